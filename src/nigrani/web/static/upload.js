/* Resumable footage upload (tus 1.0 core protocol): create, then PATCH parts at the offset
 * the server acknowledged. After a dropped connection, Resume asks the server (HEAD) where
 * it stopped; the upload's address is kept in localStorage, so a reload resumes too. */
(function () {
  "use strict";
  var box = document.getElementById("uploader");
  if (!box) return;
  var CHUNK = 1024 * 1024;
  var input = document.getElementById("footage-file");
  var bar = document.getElementById("upload-progress");
  var status = document.getElementById("upload-status");
  var start = document.getElementById("upload-start");
  var resume = document.getElementById("upload-resume");
  var endpoint = box.dataset.endpoint;
  var busy = false;

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, key) { return key in values ? values[key] : all; });
  }
  function mb(bytes) { return (bytes / 1048576).toFixed(1); }
  function key(file) { return "nigrani-upload:" + [file.name, file.size, file.lastModified].join(":"); }
  function headers(extra) {
    var h = { "Tus-Resumable": "1.0.0", "X-CSRF-Token": box.dataset.csrf, "Accept": "application/json" };
    Object.keys(extra || {}).forEach(function (k) { h[k] = extra[k]; });
    return h;
  }
  function show(offset, total) {
    bar.hidden = false; bar.max = total; bar.value = offset;
    status.textContent = fill(box.dataset.tSending, { done: mb(offset), total: mb(total) });
  }
  function refused(response) {
    return response.json().then(function (body) {
      var message = body && body.error ? body.error.message : response.statusText;
      var error = new Error(message); error.refused = true; throw error;
    }, function () { var e = new Error(response.statusText); e.refused = true; throw e; });
  }

  function create(file) {
    var meta = "filename " + btoa(unescape(encodeURIComponent(file.name)));
    return fetch(endpoint, { method: "POST", credentials: "same-origin",
      headers: headers({ "Upload-Length": String(file.size), "Upload-Metadata": meta }) })
      .then(function (r) {
        if (r.status !== 201) return refused(r);
        var url = r.headers.get("Location");
        localStorage.setItem(key(file), url);
        return { url: url, offset: 0 };
      });
  }

  function locate(file) {
    var url = localStorage.getItem(key(file));
    if (!url) return create(file);
    return fetch(url, { method: "HEAD", credentials: "same-origin", headers: headers() }).then(function (r) {
      if (r.ok) return { url: url, offset: Number(r.headers.get("Upload-Offset")) };
      localStorage.removeItem(key(file));
      return create(file);
    });
  }

  function send(file, upload) {
    show(upload.offset, file.size);
    if (upload.offset >= file.size) return Promise.resolve(upload);
    var part = file.slice(upload.offset, Math.min(upload.offset + CHUNK, file.size));
    return fetch(upload.url, { method: "PATCH", credentials: "same-origin", body: part,
      headers: headers({ "Upload-Offset": String(upload.offset), "Content-Type": "application/offset+octet-stream" }) })
      .then(function (r) {
        if (r.status !== 204) return refused(r);
        upload.offset = Number(r.headers.get("Upload-Offset"));
        upload.sha = r.headers.get("Nigrani-Evidence-Sha256") || upload.sha;
        return send(file, upload);
      });
  }

  function run() {
    var file = input.files && input.files[0];
    if (!file) { status.textContent = box.dataset.tChoose; return; }
    if (busy) return;
    busy = true; start.disabled = true; resume.hidden = true;
    var upload = null;
    locate(file).then(function (u) { upload = u; return send(file, u); }).then(function (u) {
      localStorage.removeItem(key(file));
      status.textContent = fill(box.dataset.tDone, { sha: u.sha || "" });
      status.classList.add("done");
      setTimeout(function () { window.location.reload(); }, 1500);
    }).catch(function (error) {
      if (error.refused) {
        localStorage.removeItem(key(file));
        status.textContent = fill(box.dataset.tRefused, { message: error.message });
        start.disabled = false;
      } else {
        var done = upload ? upload.offset : 0;
        status.textContent = fill(box.dataset.tLost, { done: mb(done), total: mb(file.size) });
        resume.hidden = false;
      }
    }).then(function () { busy = false; });
  }

  start.addEventListener("click", run);
  resume.addEventListener("click", run);
  input.addEventListener("change", function () { start.disabled = false; resume.hidden = true; status.textContent = ""; });
})();
