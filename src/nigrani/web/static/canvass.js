/* Canvass maps: the incident form's place picker (#pick-map) and the incident page's map of
 * ranked camera sites around the place (#canvass-map). Station boundaries are the base
 * layer (no tiles offline). Configuration comes from JSON script tags. */
(function () {
  "use strict";
  var COLOURS = { place: "#0b3d91", in_view: "#1b7f3b", unknown: "#d2691e", away: "#7d8fa8", gone: "#b3261e" };

  function boundaries(map, url, fit) {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        var layer = L.geoJSON(data, { style: { color: "#7d8fa8", weight: 1, fillColor: "#fbfcfd", fillOpacity: 0.6 },
          onEachFeature: function (f, l) { if (f.properties && f.properties.name) l.bindTooltip(f.properties.name, { sticky: true }); } });
        layer.addTo(map); layer.bringToBack();
        if (fit && layer.getBounds().isValid()) map.fitBounds(layer.getBounds());
      });
  }

  function picker(el) {
    var config = JSON.parse(document.getElementById("pick-config").textContent);
    var lat = document.getElementById("lat"), lon = document.getElementById("lon");
    var map = L.map(el, { minZoom: 9, maxZoom: 19 });
    var marker = null;
    function place(la, lo, zoom) {
      lat.value = Number(la).toFixed(6); lon.value = Number(lo).toFixed(6);
      if (marker) marker.setLatLng([la, lo]); else marker = L.marker([la, lo]).addTo(map);
      if (zoom) map.setView([la, lo], zoom);
    }
    map.setView([26.46, 80.33], 12);
    boundaries(map, config.boundariesUrl, !lat.value);
    if (lat.value && lon.value) place(lat.value, lon.value, 16);
    map.on("click", function (e) { place(e.latlng.lat, e.latlng.lng); });
    document.getElementById("place-list").addEventListener("click", function (event) {
      var button = event.target.closest("button.choice");
      if (!button) return;
      document.getElementById("place-q").value = button.dataset.name;
      var address = document.getElementById("address");
      if (!address.value) address.value = button.dataset.name;
      this.innerHTML = "";
      place(button.dataset.lat, button.dataset.lon, 16);
    });
  }

  // A dot's colour is the legend's (nigrani.css sets it once for the map and its legend).
  function colourOf(cls) {
    var dot = document.querySelector(".map-legend .dot." + cls);
    return dot ? getComputedStyle(dot).backgroundColor : COLOURS[cls] || "#555";
  }

  function canvassMap(el) {
    var config = JSON.parse(document.getElementById("canvass-config").textContent);
    // A view first: Leaflet cannot place a circle on a map that has none yet.
    var map = L.map(el, { maxZoom: 20 }).setView([config.lat, config.lon], 17);
    boundaries(map, config.boundariesUrl, false);
    var circle = L.circle([config.lat, config.lon], { radius: 1, color: colourOf("place"), weight: 2, fillOpacity: 0.05 }).addTo(map);
    var sites = L.layerGroup().addTo(map);
    var place = L.circleMarker([config.lat, config.lon], { radius: 8, color: "#fff", weight: 2, fillColor: colourOf("place"), fillOpacity: 1 })
      .addTo(map).bindTooltip("★", { permanent: false });

    // Draw the circle and the dots of the results shown now (the radius chosen in the form);
    // the element's data-radius and data-sites say what is drawn.
    function draw() {
      var data = document.querySelector("#results script.canvass-data");
      if (!data) return;
      var canvass = JSON.parse(data.textContent);
      circle.setRadius(canvass.radius);
      sites.clearLayers();
      canvass.points.forEach(function (p) {
        L.circleMarker([p.lat, p.lon], { radius: 7, color: "#fff", weight: 1.5, fillColor: colourOf(p.cls), fillOpacity: 0.95, className: "site" })
          .addTo(sites).bindTooltip(p.rank + ". " + p.name)
          .on("click", function () { var row = document.getElementById("site-" + p.id); if (row) row.scrollIntoView({ behavior: "smooth", block: "center" }); });
      });
      place.bringToFront();  // the incident's own dot stays above a site at the same spot
      map.fitBounds(circle.getBounds(), { padding: [20, 20] });
      el.dataset.radius = String(canvass.radius);
      el.dataset.sites = String(canvass.points.length);
      var print = document.getElementById("print-list");
      if (print) print.href = print.href.replace(/radius=\d+/, "radius=" + canvass.radius);
    }
    draw();
    document.body.addEventListener("htmx:afterSettle", function (event) {
      if (event.detail && event.detail.target && event.detail.target.id === "results") draw();
    });
  }

  var pick = document.getElementById("pick-map");
  if (pick) picker(pick);
  var canvass = document.getElementById("canvass-map");
  if (canvass) canvassMap(canvass);
})();
