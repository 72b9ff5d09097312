/* Playback: hls.js plays each camera's VOD playlist of the day; the timeline maps clock
   time (IST on screen, epoch ms inside) to the position in the playlist and back. */
(function () {
  "use strict";
  // Muxed fMP4 arrives as one "audiovideo" track; MPEG-TS as separate audio and video.
  function audioCodec(data) {
    if (data.audio) return data.audio.codec || "present";
    var codecs = ((data.audiovideo && data.audiovideo.codec) || "").split(",");
    for (var i = 0; i < codecs.length; i++) if (/mp4a|opus|ac-3/.test(codecs[i])) return codecs[i].trim();
    return "none";
  }
  var config = JSON.parse(document.getElementById("playback-config").textContent);
  var IST_MS = 5.5 * 3600 * 1000;

  function offsets(segments) {
    var at = 0;
    return segments.map(function (s) { var o = at; at += s[1]; return o; });
  }

  function position(player, wall) {
    for (var i = 0; i < player.segments.length; i++) {
      var s = player.segments[i];
      if (wall < s[0]) return player.offsets[i];  // in a gap: the next recorded moment
      if (wall < s[0] + s[1] * 1000) return player.offsets[i] + (wall - s[0]) / 1000;
    }
    return null;
  }

  function clockAt(player, pos) {
    for (var i = player.segments.length - 1; i >= 0; i--) {
      if (pos >= player.offsets[i]) return player.segments[i][0] + (pos - player.offsets[i]) * 1000;
    }
    return null;
  }

  function istText(ms) { return new Date(ms + IST_MS).toISOString().slice(11, 19); }
  function istInput(ms) { return new Date(ms + IST_MS).toISOString().slice(0, 19); }

  var players = config.players.map(function (p) {
    p.offsets = offsets(p.segments);
    p.video = document.querySelector('video[data-camera="' + p.id + '"]');
    return p;
  });

  function play(p, wall) {
    var pos = position(p, wall);
    if (pos === null) return;
    p.video.currentTime = pos;
    p.video.play().catch(function () {
      p.video.muted = true;  // no click yet: start silent, the controls turn sound on
      p.video.play().catch(function () {});
    });
  }

  players.forEach(function (p) {
    if (!p.segments.length || !window.Hls || !Hls.isSupported()) return;
    var start = position(p, config.at);
    var hls = new Hls({ startPosition: start === null ? 0 : start, maxBufferLength: 30 });
    p.hls = hls;
    hls.on(Hls.Events.BUFFER_CODECS, function (_e, data) {
      p.video.dataset.audio = audioCodec(data);
    });
    hls.on(Hls.Events.MANIFEST_PARSED, function () {
      p.video.play().catch(function () { p.video.muted = true; p.video.play().catch(function () {}); });
    });
    hls.loadSource(p.playlist);
    hls.attachMedia(p.video);
  });

  var lead = players.filter(function (p) { return p.hls; })[0];
  var clock = document.getElementById("play-clock");
  if (lead) {
    lead.video.addEventListener("timeupdate", function () {
      var wall = clockAt(lead, lead.video.currentTime);
      if (wall === null) return;
      clock.textContent = istText(wall);
      lead.video.dataset.wall = String(Math.round(wall));
      document.querySelectorAll(".timeline").forEach(function (line) {
        var from = Number(line.dataset.start), to = Number(line.dataset.end);
        line.querySelector(".cursor").style.left = (100 * (wall - from) / (to - from)) + "%";
      });
      players.forEach(function (p) {  // the other cameras follow the first one's clock
        if (p === lead || !p.hls) return;
        var pos = position(p, wall);
        if (pos !== null && Math.abs(p.video.currentTime - pos) > 1.5) p.video.currentTime = pos;
        if (lead.video.paused !== p.video.paused) lead.video.paused ? p.video.pause() : p.video.play().catch(function () {});
      });
    });
  }

  document.querySelectorAll(".timeline").forEach(function (line) {
    line.addEventListener("click", function (e) {
      var rect = line.getBoundingClientRect();
      var start = Number(line.dataset.start), stop = Number(line.dataset.end);
      var wall = start + (stop - start) * (e.clientX - rect.left) / rect.width;
      players.forEach(function (p) { if (p.hls) play(p, wall); });
      clipAround(wall);
    });
  });

  // The export form follows the moment being played: 30 s either side of where the officer
  // clicked the timeline or paused, never past the newest recorded moment.
  function clipAround(wall) {
    var from = document.getElementById("clip-start"), to = document.getElementById("clip-end");
    if (!from || !to || document.getElementById("clip-short")) return;
    var newest = Math.max.apply(null, players.map(function (p) {
      var last = p.segments[p.segments.length - 1];
      return last ? last[0] + last[1] * 1000 : 0;
    }));
    var end = Math.min(wall + 30000, newest || wall + 30000);
    from.value = istInput(Math.min(wall - 30000, end - 60000));
    to.value = istInput(end);
  }
  if (lead) {
    lead.video.addEventListener("pause", function () {
      var wall = clockAt(lead, lead.video.currentTime);
      if (wall !== null) clipAround(wall);
    });
  }
})();
