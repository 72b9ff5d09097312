/* Nigrani control-room map: camera sites (points or grid clusters) over jurisdiction
 * boundaries, with or without a street-map tile layer. Configuration comes from the
 * page's JSON script tag #map-config; no other inline script is used. */
(function () {
  "use strict";

  var COLOURS = { linked: "#1b7f3b", registry: "#d2691e", offline: "#c62828", area: "#fbfcfd", edge: "#7d8fa8" };
  var DEBOUNCE_MS = 250;

  var config = JSON.parse(document.getElementById("map-config").textContent);
  var labels = config.labels;
  var form = document.getElementById("map-filters");
  var statusLine = document.getElementById("map-status");
  var panel = document.getElementById("site-panel");
  var compact = new Intl.NumberFormat("en-IN", { notation: "compact", maximumFractionDigits: 1 });

  var renderer = L.canvas({ padding: 0.3, tolerance: 8 });
  var map = L.map("map", { renderer: renderer, minZoom: 4, maxZoom: 19, zoomControl: true });
  var sites = L.layerGroup().addTo(map);
  var layerOrder = [labels.tiles, labels.cameras, labels.station, labels.circle, labels.zone];
  var layers = L.control.layers(null, null, {
    collapsed: window.innerWidth < 760,
    sortLayers: true,
    sortFunction: function (a, b, nameA, nameB) {
      return layerOrder.indexOf(nameA) - layerOrder.indexOf(nameB);
    },
  }).addTo(map);
  var selectedId = config.selected;
  var inFlight = null;
  var boundaryLayers = {};

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, key) {
      return key in values ? String(values[key]) : all;
    });
  }

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }

  function setStatus(text, isError) {
    statusLine.textContent = text;
    statusLine.classList.toggle("error", Boolean(isError));
  }

  function filterParams() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) {
      if (value) params.set(key, value);
    });
    return params;
  }

  function clamp(value, low, high) {
    return Math.min(Math.max(value, low), high);
  }

  function viewParams() {
    var b = map.getBounds();
    var bbox = [
      clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -90, 90),
      clamp(b.getEast(), -180, 180), clamp(b.getNorth(), -90, 90),
    ].map(function (v) { return v.toFixed(6); });
    var params = filterParams();
    params.set("bbox", bbox.join(","));
    params.set("zoom", String(map.getZoom()));
    return params;
  }

  function pointStyle(p) {
    var chosen = p.id === selectedId;
    return {
      radius: chosen ? 9 : 6,
      color: chosen ? "#111" : "#fff",
      weight: chosen ? 3 : 1.5,
      fillColor: p.offline > 0 ? COLOURS.offline : p.linked > 0 ? COLOURS.linked : COLOURS.registry,
      fillOpacity: 0.95,
    };
  }

  function addPoint(feature) {
    var p = feature.properties;
    var at = feature.geometry.coordinates;
    var marker = L.circleMarker([at[1], at[0]], pointStyle(p));
    var tip = fill(labels.point, {
      category: config.categories[p.category] || p.category, cameras: p.cameras, linked: p.linked,
    });
    if (p.offline > 0) tip += " · " + fill(labels.offline, { n: p.offline });
    marker.bindTooltip(tip);
    marker.on("click", function () { showSite(p.id); });
    marker.siteId = p.id;
    marker.siteLinked = p.linked;
    marker.siteOffline = p.offline;
    sites.addLayer(marker);
  }

  function addCluster(feature) {
    var p = feature.properties;
    var at = feature.geometry.coordinates;
    var size = Math.round(24 + 5 * Math.log10(Math.max(p.count, 1)));
    var html = compact.format(p.count);
    var tip = fill(labels.cluster, p);
    if (p.offline > 0) {  // a red badge: how many of the group's linked cameras are offline
      html += '<span class="map-cluster-offline">' + compact.format(p.offline) + "</span>";
      tip += " · " + fill(labels.offline, { n: p.offline });
    }
    var className = "map-cluster" + (p.offline > 0 ? " has-offline" : "");
    var icon = L.divIcon({ className: className, html: html, iconSize: [size, size] });
    var marker = L.marker([at[1], at[0]], { icon: icon, keyboard: true, title: "" });
    marker.bindTooltip(tip);
    marker.on("click", function () {
      map.setView([at[1], at[0]], Math.min(map.getZoom() + 2, map.getMaxZoom()));
    });
    sites.addLayer(marker);
  }

  function draw(collection) {
    sites.clearLayers();
    collection.features.forEach(function (f) {
      if (f.properties.cluster) addCluster(f); else addPoint(f);
    });
    var template = collection.mode === "clusters" ? labels.clusters : labels.points;
    setStatus(fill(template, { n: collection.total.toLocaleString("en-IN") }), false);
  }

  function refresh() {
    if (inFlight) inFlight.abort();
    var controller = new AbortController();
    inFlight = controller;
    setStatus(labels.loading, false);
    fetch(config.dataUrl + "?" + viewParams().toString(), {
      headers: { Accept: "application/json" }, signal: controller.signal,
    }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) throw new Error((body.error && body.error.message) || labels.failed);
        return body;
      });
    }).then(function (body) {
      if (inFlight === controller) draw(body);
    }).catch(function (error) {
      if (error.name !== "AbortError") setStatus(error.message || labels.failed, true);
    });
  }

  function restyle() {
    sites.eachLayer(function (layer) {
      if (layer.siteId !== undefined) {
        layer.setStyle(pointStyle({ id: layer.siteId, linked: layer.siteLinked, offline: layer.siteOffline }));
        if (layer.siteId === selectedId) layer.bringToFront();
      }
    });
  }

  function showSite(id) {
    selectedId = id;
    restyle();
    htmx.ajax("GET", config.panelUrl + id, { target: panel, swap: "innerHTML" }).then(function () {
      if (window.innerWidth < 760) panel.scrollIntoView({ behavior: "smooth", block: "start" });
    });
  }

  function boundaryStyle(level) {
    var tiles = Boolean(config.tiles);
    if (level === "station") {
      return { color: COLOURS.edge, weight: 1, fillColor: COLOURS.area, fillOpacity: tiles ? 0.05 : 1 };
    }
    if (level === "circle") return { color: "#5877a8", weight: 1.6, dashArray: "5 4", fill: false };
    return { color: "#0b3d91", weight: 2.6, fill: false };
  }

  function addBoundaries(level, collection) {
    if (!collection.features.length) return;
    var layer = L.geoJSON(collection, {
      style: function () { return boundaryStyle(level); },
      interactive: level === "station",
      onEachFeature: function (feature, shape) {
        if (level === "station") {
          shape.bindTooltip(feature.properties.name, { sticky: true, className: "station-name" });
        }
      },
    });
    boundaryLayers[level] = layer.addTo(map);
    layers.addOverlay(layer, labels[level]);
    // Stations at the back, circle and zone outlines over them, sites on top.
    ["zone", "circle", "station"].forEach(function (name) {
      if (boundaryLayers[name]) boundaryLayers[name].bringToBack();
    });
  }

  function loadBoundaries() {
    config.levels.forEach(function (level) {
      fetch(config.boundariesUrl + "?level=" + level, { headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (collection) { if (collection) addBoundaries(level, collection); })
        .catch(function () { setStatus(labels.failed, true); });
    });
  }

  function start() {
    if (config.tiles) {
      var tiles = L.tileLayer(config.tiles.url, { maxZoom: 19, attribution: config.tiles.attribution });
      tiles.addTo(map);
      layers.addOverlay(tiles, labels.tiles);
    }
    layers.addOverlay(sites, labels.cameras);
    L.control.scale({ imperial: false }).addTo(map);
    if (config.focus) map.setView([config.focus[0], config.focus[1]], config.focus[2]);
    else map.fitBounds(config.bounds, { padding: [8, 8] });
    loadBoundaries();
    map.on("moveend", debounce(refresh, DEBOUNCE_MS));
    form.addEventListener("change", function () {
      var query = filterParams().toString();
      history.replaceState(null, "", form.getAttribute("action") + (query ? "?" + query : ""));
      refresh();
    });
    form.addEventListener("submit", function (event) { event.preventDefault(); refresh(); });
    refresh();
  }

  start();
})();
