// Video hearings: the citizen's waiting room and the officer's console share this file.
// Media goes browser to browser (WebRTC); the page's WebSocket carries the queue's news and
// the call's signalling. The officer's page makes the offer; the citizen's page answers.
(function () {
  "use strict";
  var root = document.querySelector("[data-hearing]");
  if (!root) return;
  var side = root.dataset.hearing; // "citizen" or "officer"
  var ice = JSON.parse(root.dataset.ice || "[]");
  var text = JSON.parse(root.dataset.text || "{}");
  var csrf = root.dataset.csrf;
  var local = null;   // the camera and microphone stream
  var audioOnly = false;
  var pc = null;      // RTCPeerConnection of the current call
  var pcTicket = null;
  var socket = null;
  var shown = document.getElementById("call-state");
  var rec = null;     // the send-only connection to the server's recorder (consented calls)
  var recordUrl = null;

  function say(message) { if (shown) shown.textContent = message; }

  // -- the camera and microphone check ---------------------------------------------------
  function startMedia() {
    if (local) return Promise.resolve(local);
    var preview = document.getElementById("self-view");
    var note = document.getElementById("media-check");
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      if (note) note.textContent = text.no_media;
      return Promise.resolve(null);
    }
    return navigator.mediaDevices.getUserMedia({ video: true, audio: true }).then(function (stream) {
      local = stream;
      if (note) note.textContent = text.media_ok;
      return stream;
    }, function () {
      // the camera denied (or missing): try the microphone alone
      return navigator.mediaDevices.getUserMedia({ audio: true }).then(function (stream) {
        local = stream; audioOnly = true;
        if (note) note.textContent = text.audio_only;
        root.classList.add("audio-only");
        return stream;
      }, function () {
        if (note) note.textContent = text.no_media;
        root.classList.add("no-media");
        return null;
      });
    }).then(function (stream) {
      if (stream && preview) { preview.srcObject = stream; }
      return stream;
    });
  }

  // -- the peer connection ----------------------------------------------------------------
  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  }

  function signal(ticket, data) {
    send(side === "officer" ? { type: "signal", ticket: ticket, data: data } : { type: "signal", data: data });
  }

  function newPeer(ticket) {
    closePeer();
    pcTicket = ticket;
    pc = new RTCPeerConnection({ iceServers: ice });
    var remote = document.getElementById("remote-view");
    pc.ontrack = function (event) {
      if (remote && remote.srcObject !== event.streams[0]) remote.srcObject = event.streams[0];
    };
    pc.onicecandidate = function (event) {
      if (event.candidate) signal(ticket, { candidate: event.candidate.toJSON() });
    };
    pc.onconnectionstatechange = function () {
      if (!pc) return;
      if (pc.connectionState === "connected") {
        say(text.connected); root.classList.add("in-call"); startRecording();
        if (side === "officer") refreshPanel(); // "being called" becomes "in the call"
      }
      if (pc.connectionState === "failed") { say(text.failed); root.classList.add("call-failed"); }
    };
    if (local) local.getTracks().forEach(function (track) { pc.addTrack(track, local); });
    // receive video even when this side sends none (audio only)
    if (!local || local.getVideoTracks().length === 0) pc.addTransceiver("video", { direction: "recvonly" });
    if (!local) pc.addTransceiver("audio", { direction: "recvonly" });
    return pc;
  }

  function closePeer() {
    if (pc) { pc.close(); }
    pc = null; pcTicket = null;
    root.classList.remove("in-call");
    stopRecording();
  }

  // -- the consented recording: this page's camera and microphone, sent to the server too --
  function gathered(peer) {
    return new Promise(function (resolve) {
      if (peer.iceGatheringState === "complete") { resolve(); return; }
      var done = function () { if (peer.iceGatheringState === "complete") resolve(); };
      peer.addEventListener("icegatheringstatechange", done);
      setTimeout(resolve, 3000); // send what was gathered by then
    });
  }

  function startRecording() {
    if (!recordUrl || rec || !local) return;
    var peer = rec = new RTCPeerConnection({ iceServers: ice });
    local.getTracks().forEach(function (track) {
      peer.addTransceiver(track, { direction: "sendonly", streams: [local] });
    });
    peer.createOffer().then(function (description) {
      return peer.setLocalDescription(description);
    }).then(function () { return gathered(peer); }).then(function () {
      return fetch(recordUrl, {
        method: "POST", credentials: "same-origin",
        headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify({ type: "offer", sdp: peer.localDescription.sdp }),
      });
    }).then(function (r) {
      if (!r.ok) throw new Error("recorder refused");
      return r.json();
    }).then(function (answer) {
      return peer.setRemoteDescription(answer);
    }).then(function () {
      root.classList.add("recording");
    }).catch(function () {
      if (rec === peer) { peer.close(); rec = null; }
      say(text.not_recorded);
    });
  }

  function stopRecording() {
    if (rec) rec.close();
    rec = null;
    root.classList.remove("recording");
  }

  function offer(ticket) {
    var peer = newPeer(ticket);
    peer.createOffer().then(function (description) {
      return peer.setLocalDescription(description);
    }).then(function () {
      signal(ticket, { sdp: peer.localDescription.toJSON() });
    });
  }

  function onSignal(ticket, data) {
    if (!data) return;
    if (data.hello && side === "citizen") { join(); return; }
    if (data.sdp && data.sdp.type === "offer") {
      var peer = newPeer(ticket);
      peer.setRemoteDescription(data.sdp).then(function () {
        return peer.createAnswer();
      }).then(function (description) {
        return peer.setLocalDescription(description);
      }).then(function () { signal(ticket, { sdp: peer.localDescription.toJSON() }); });
    } else if (data.sdp && data.sdp.type === "answer" && pc) {
      pc.setRemoteDescription(data.sdp);
    } else if (data.candidate && pc) {
      pc.addIceCandidate(data.candidate).catch(function () {});
    }
  }

  // What the browser test (and a curious operator) reads: frames and bytes received.
  window.hearingStats = function () {
    if (!pc) return Promise.resolve(null);
    return pc.getStats().then(function (report) {
      var out = { video_frames: 0, video_bytes: 0, audio_bytes: 0, state: pc.connectionState };
      report.forEach(function (s) {
        if (s.type !== "inbound-rtp") return;
        if (s.kind === "video") { out.video_frames += s.framesDecoded || 0; out.video_bytes += s.bytesReceived || 0; }
        if (s.kind === "audio") { out.audio_bytes += s.bytesReceived || 0; }
      });
      return out;
    });
  };

  // -- the socket --------------------------------------------------------------------------
  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + root.dataset.socket);
    socket.onmessage = function (event) {
      var message = JSON.parse(event.data);
      if (side === "citizen") fromServerToCitizen(message); else fromServerToOfficer(message);
    };
    socket.onopen = function () { if (side === "officer") greet(); else refresh(); };
    socket.onclose = function () { setTimeout(connect, 2000); };
  }

  // -- the citizen's side ------------------------------------------------------------------
  var joined = false;
  function join() {
    if (joined && pc) return;
    startMedia().then(function () {
      joined = true;
      say(text.joining);
      send({ type: "join", audio_only: audioOnly });
    });
  }

  function fromServerToCitizen(message) {
    if (message.type === "queue") {
      if (message.you && message.kind === "called") join();
      refresh();
    } else if (message.type === "signal") {
      onSignal(null, message.data);
    } else if (message.type === "hangup") {
      closePeer(); joined = false; say(text.ended); refresh();
    }
  }

  function showStatus(status) {
    var fields = { "room-state": status.state_label, "room-position": status.position || "—", "room-eta": status.eta_text };
    Object.keys(fields).forEach(function (id) {
      var el = document.getElementById(id);
      if (el && fields[id] !== undefined) el.textContent = fields[id];
    });
    root.dataset.state = status.state;
    var outcome = document.getElementById("room-outcome");
    if (outcome && status.complaint_number) {
      outcome.hidden = false;
      document.getElementById("room-complaint").textContent = status.complaint_number;
      document.getElementById("room-complaint").href = "/citizen/complaints/" + status.complaint_number;
    }
    if (status.state === "called" && !joined) join();
    recordUrl = status.record ? root.dataset.record : null;
    if (recordUrl && pc && pc.connectionState === "connected") startRecording();
  }

  function refresh() {
    fetch(root.dataset.status, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (status) { if (status) showStatus(status); });
  }

  // -- the officer's side ------------------------------------------------------------------
  function heldTicket() { return root.dataset.ticket ? Number(root.dataset.ticket) : null; }

  function greet() {
    var ticket = heldTicket();
    if (ticket) startMedia().then(function () { signal(ticket, { hello: true }); });
  }

  // A "joined" that came before this page knew it had called them, kept whole (it says
  // whether the call is recorded) to be acted on when the call-next answer comes.
  var joinedEarly = {};
  function fromServerToOfficer(message) {
    if (message.type === "joined" && message.ticket !== heldTicket()) {
      joinedEarly[message.ticket] = message;
    } else if (message.type === "joined") {
      recordUrl = message.record ? "/hearings/tickets/" + message.ticket + "/recording" : null;
      if (pc && pcTicket === message.ticket && pc.connectionState === "connected") return;
      say(text.joined);
      startMedia().then(function () { offer(message.ticket); });
    } else if (message.type === "signal" && message.ticket === heldTicket()) {
      onSignal(message.ticket, message.data);
    } else if (message.type === "left" && message.ticket === heldTicket()) {
      say(text.left);
    } else if (message.type === "queue" && !heldTicket()) {
      var list = document.getElementById("line-refresh");
      if (list) list.hidden = false;
    }
  }

  // The console's panel and line for the call just made, without leaving the page (the
  // call is already ringing on it).
  function refreshPanel() {
    return fetch(root.dataset.console, { credentials: "same-origin" })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        ["held-panel", "line-section"].forEach(function (id) {
          var now = document.getElementById(id), next = fresh.getElementById(id);
          if (now && next) now.replaceWith(next);
        });
      });
  }

  // Call next without leaving the page: the citizen's room joins the moment it hears.
  document.addEventListener("submit", function (event) {
    var callForm = event.target.closest("#call-next");
    if (!callForm) return;
    event.preventDefault();
    startMedia().then(function () {
      return fetch(callForm.action, {
        method: "POST", credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRF-Token": csrf },
      });
    }).then(function (r) { return r.json().then(function (body) { return [r.ok, body]; }); })
      .then(function (answer) {
        var body = answer[1];
        if (!answer[0]) { say((body.error && body.error.message) || text.failed); return; }
        if (!body.ticket) { say(text.nobody); return; }
        root.dataset.ticket = String(body.ticket);
        var early = joinedEarly[body.ticket];
        delete joinedEarly[body.ticket];
        if (early) fromServerToOfficer(early);
        refreshPanel();
      });
  });

  window.hearingHangUp = function () {
    if (pcTicket) send({ type: "hangup", ticket: pcTicket });
    closePeer();
  };
  document.addEventListener("click", function (event) {
    if (event.target.closest("#hang-up")) { window.hearingHangUp(); say(text.ended); }
  });

  if (side === "citizen") { startMedia(); setInterval(refresh, 5000); }
  if (side === "officer" && heldTicket()) startMedia();
  connect();
})();
