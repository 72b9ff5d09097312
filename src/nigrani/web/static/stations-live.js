/* Live wall and full view: hls.js plays the recorder's rolling playlists; a tile whose
   picture stops shows the offline badge and retries. The full view adds sound and delay. */
(function () {
  "use strict";
  // Muxed fMP4 arrives as one "audiovideo" track; MPEG-TS as separate audio and video.
  function audioCodec(data) {
    if (data.audio) return data.audio.codec || "present";
    var codecs = ((data.audiovideo && data.audiovideo.codec) || "").split(",");
    for (var i = 0; i < codecs.length; i++) if (/mp4a|opus|ac-3/.test(codecs[i])) return codecs[i].trim();
    return "none";
  }
  var RETRY_MS = 5000;
  var STALL_MS = 10000;

  function badge(video, off) {
    var el = video.parentElement.querySelector(".badge.offline");
    if (el) el.hidden = !off;
    video.dataset.state = off ? "offline" : "playing";
  }

  function watch(video) {
    // The badge goes only once the picture moves: a dark tile keeps saying since when.
    var last = video.currentTime, since = Date.now();
    setInterval(function () {
      if (video.currentTime !== last) { last = video.currentTime; since = Date.now(); badge(video, false); }
      else if (Date.now() - since > STALL_MS) badge(video, true);
    }, 1000);
  }

  function start(video) {
    var src = video.dataset.src;
    if (!window.Hls || !Hls.isSupported()) {
      if (video.canPlayType("application/vnd.apple.mpegurl")) video.src = src;
      return;
    }
    var hls = new Hls({ liveSyncDurationCount: 2, liveMaxLatencyDurationCount: 5,
      maxLiveSyncPlaybackRate: 1.5, backBufferLength: 10 });
    video.hls = hls;
    hls.on(Hls.Events.BUFFER_CODECS, function (_e, data) {
      video.dataset.audio = audioCodec(data);
      document.dispatchEvent(new CustomEvent("nigrani:codecs", { detail: video }));
    });
    hls.on(Hls.Events.MANIFEST_PARSED, function () {
      video.play().catch(function () { /* autoplay refused: the tile waits for a click */ });
    });
    hls.on(Hls.Events.ERROR, function (_e, data) {
      if (!data.fatal) return;
      hls.destroy();
      badge(video, true);
      setTimeout(function () { start(video); }, RETRY_MS);
    });
    hls.loadSource(src);
    hls.attachMedia(video);
  }

  function fullView(video) {
    var button = document.getElementById("unmute");
    var latency = document.getElementById("latency");
    var audio = document.getElementById("audio-state");
    button.addEventListener("click", function () {
      // A click is the user gesture browsers want before they play sound.
      video.muted = !video.muted;
      if (!video.muted) video.volume = 1;
      video.play().catch(function () {});
      button.textContent = video.muted ? button.dataset.off : button.dataset.on;
      button.setAttribute("aria-pressed", String(!video.muted));
    });
    document.addEventListener("nigrani:codecs", function (e) {
      if (e.detail !== video) return;
      var has = video.dataset.audio !== "none";
      audio.textContent = (has ? audio.dataset.yes + " " + video.dataset.audio : audio.dataset.no);
      audio.classList.toggle("ok", has);
    });
    setInterval(function () {
      var hls = video.hls, seconds = null;
      if (hls && hls.playingDate) seconds = (Date.now() - hls.playingDate.getTime()) / 1000;
      else if (hls && isFinite(hls.latency)) seconds = hls.latency;
      latency.textContent = seconds === null ? "—" : seconds.toFixed(1) + " s";
      video.dataset.latency = seconds === null ? "" : seconds.toFixed(2);
    }, 1000);
  }

  document.querySelectorAll("video[data-src]").forEach(function (video) {
    start(video);
    watch(video);
    if (video.dataset.full === "true") fullView(video);
  });
})();
