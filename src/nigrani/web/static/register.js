// Citizen camera registration: choose the place by GPS or by locality, then confirm the station.
(function () {
  "use strict";
  var form = document.getElementById("register-form");
  if (!form) return;
  var lat = document.getElementById("lat");
  var lon = document.getElementById("lon");
  var status = document.getElementById("place-status");
  var list = document.getElementById("place-list");
  var query = document.getElementById("place-q");

  function choose(la, lo) {
    lat.value = Number(la).toFixed(6);
    lon.value = Number(lo).toFixed(6);
    htmx.ajax("GET", "/citizen/places/check?lat=" + lat.value + "&lon=" + lon.value,
              { target: "#place-status", swap: "innerHTML" });
  }

  list.addEventListener("click", function (event) {
    var button = event.target.closest("button.choice");
    if (!button) return;
    query.value = button.dataset.name;
    list.innerHTML = "";
    choose(button.dataset.lat, button.dataset.lon);
  });

  document.getElementById("use-location").addEventListener("click", function () {
    if (!navigator.geolocation) { status.textContent = status.dataset.noGps || "GPS unavailable"; return; }
    navigator.geolocation.getCurrentPosition(
      function (pos) { choose(pos.coords.latitude, pos.coords.longitude); },
      function (err) { status.textContent = err.message; },
      { enableHighAccuracy: true, timeout: 10000 });
  });

  form.addEventListener("submit", function (event) {
    if (!lat.value || !lon.value) {
      event.preventDefault();
      status.textContent = form.dataset.needPlace;
      query.focus();
    }
  });
})();
