/* Zones on a camera's snapshot: click corners on the canvas over the picture, name the
   zone, say what it is for, add it; the list is saved as JSON with points in fractions
   (0..1) of the picture and the kind ("other" for zones saved before kinds existed). */
(function () {
  "use strict";
  var img = document.getElementById("zone-img");
  var canvas = document.getElementById("zone-canvas");
  var field = document.getElementById("zones_json");
  var list = document.getElementById("zone-list");
  var nameInput = document.getElementById("zone-name");
  var kindInput = document.getElementById("zone-kind");
  var zones = JSON.parse(field.value || "[]");
  zones.forEach(function (z) { z.kind = z.kind || "other"; });
  var points = [];
  var COLOURS = ["#f29f05", "#1b7f3b", "#b3261e", "#0b3d91", "#8e24aa"];

  function size() {
    canvas.width = img.clientWidth || 640;
    canvas.height = img.clientHeight || 360;
    draw();
  }

  function path(ctx, pts) {
    ctx.beginPath();
    pts.forEach(function (p, i) {
      var x = p[0] * canvas.width, y = p[1] * canvas.height;
      if (i) ctx.lineTo(x, y); else ctx.moveTo(x, y);
    });
  }

  function draw() {
    var ctx = canvas.getContext("2d");
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.lineWidth = 2;
    zones.forEach(function (z, i) {
      var colour = COLOURS[i % COLOURS.length];
      path(ctx, z.points); ctx.closePath();
      ctx.fillStyle = colour + "55"; ctx.strokeStyle = colour; ctx.fill(); ctx.stroke();
      ctx.fillStyle = "#fff"; ctx.font = "bold 14px sans-serif";
      ctx.fillText(z.name, z.points[0][0] * canvas.width + 4, z.points[0][1] * canvas.height + 16);
    });
    if (points.length) {
      ctx.strokeStyle = "#fff"; ctx.setLineDash([5, 4]); path(ctx, points); ctx.stroke();
      ctx.setLineDash([]);
      points.forEach(function (p) {
        ctx.fillStyle = "#fff";
        ctx.fillRect(p[0] * canvas.width - 3, p[1] * canvas.height - 3, 6, 6);
      });
    }
  }

  function render() {
    field.value = JSON.stringify(zones);
    list.innerHTML = "";
    zones.forEach(function (z, i) {
      var li = document.createElement("li");
      var option = kindInput.querySelector('option[value="' + z.kind + '"]');
      li.textContent = z.name + " · " + (option ? option.textContent : z.kind) + " (" + z.points.length + ") ";
      var remove = document.createElement("button");
      remove.type = "button"; remove.className = "link-dark"; remove.textContent = list.dataset.remove;
      remove.addEventListener("click", function () { zones.splice(i, 1); render(); });
      li.appendChild(remove);
      list.appendChild(li);
    });
    draw();
  }

  canvas.addEventListener("click", function (e) {
    var rect = canvas.getBoundingClientRect();
    var x = Math.min(1, Math.max(0, (e.clientX - rect.left) / rect.width));
    var y = Math.min(1, Math.max(0, (e.clientY - rect.top) / rect.height));
    points.push([Math.round(x * 10000) / 10000, Math.round(y * 10000) / 10000]);
    draw();
  });
  document.getElementById("zone-undo").addEventListener("click", function () { points.pop(); draw(); });
  document.getElementById("zone-add").addEventListener("click", function () {
    var name = nameInput.value.trim();
    if (!name) { nameInput.focus(); return; }
    if (points.length < 3) return;
    zones.push({ name: name, points: points, kind: kindInput.value });
    points = []; nameInput.value = ""; kindInput.value = "other";
    render();
  });
  img.addEventListener("load", size);
  img.addEventListener("error", function () {
    var note = document.getElementById("zone-missing");
    note.textContent = img.dataset.missing; note.hidden = false;
    img.classList.add("missing");
    size();
  });
  window.addEventListener("resize", size);
  if (img.complete && img.naturalWidth) size();
  render();
})();
