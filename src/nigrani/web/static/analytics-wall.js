/* The alert wall kept live: each server-sent "alert" puts the alert's line at the top of the
 * feed (replacing its old line) and sets its station's count; alerts of stations without
 * a tile here (outside the zone or circle chosen) are left out. Each message carries the
 * alert's change number: a line the page holds for the same or a newer change is kept as
 * it is, so a change replayed after a reconnect (EventSource sends back the last id it got,
 * and the server sends what changed meanwhile) is never shown twice. "reload" says more was
 * missed than the server replays. Without the script the page is still right when loaded. */
(function () {
  "use strict";
  var feed = document.getElementById("alert-feed");
  if (!feed || !window.EventSource) return;
  var state = document.getElementById("feed-state");
  var source = new EventSource(feed.dataset.stream);
  source.onopen = function () { if (state) state.textContent = state.dataset.live; };
  source.onerror = function () { if (state) state.textContent = state.dataset.lost; };
  source.addEventListener("reload", function () { window.location.reload(); });
  source.addEventListener("alert", function (message) {
    var alert = JSON.parse(message.data);
    var tile = document.getElementById("tile-" + alert.station);
    if (!tile) return; // a station outside the zone or circle this wall is narrowed to
    var old = document.getElementById("alert-" + alert.id);
    if (old && (parseInt(old.dataset.seq, 10) || 0) >= alert.seq) return; // seen already
    var holder = document.createElement("ul");
    holder.innerHTML = alert.html.trim();
    var line = holder.firstElementChild;
    if (old) old.remove();
    else tile.querySelector("[data-latest]").textContent = alert.latest;
    line.classList.add("fresh");
    feed.insertBefore(line, feed.firstElementChild);
    var empty = document.getElementById("feed-empty");
    if (empty) empty.remove();
    var before = parseInt(tile.querySelector("[data-active]").textContent, 10) || 0;
    tile.querySelector("[data-active]").textContent = alert.active;
    tile.classList.toggle("busy", alert.active > 0);
    var total = document.querySelector("h1 .level");
    if (total) total.textContent = Math.max(0, (parseInt(total.textContent, 10) || 0) + alert.active - before);
  });
})();
/* The tiles' people now: the page fetched again every 20 s (while it is seen) and each
 * tile's line replaced by the new one; nothing else on the page changes. */
(function () {
  "use strict";
  var tiles = document.getElementById("alert-tiles");
  if (!tiles || !window.fetch || !window.DOMParser) return;
  function refresh() {
    if (document.hidden) return;
    fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html");
        tiles.querySelectorAll(".alert-tile").forEach(function (tile) {
          var now = fresh.querySelector("#" + tile.id + " [data-now]");
          if (now) tile.querySelector("[data-now]").textContent = now.textContent;
        });
      })
      .catch(function () { /* the next round tries again */ });
  }
  window.setInterval(refresh, 20000);
})();
