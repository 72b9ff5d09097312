// "Copy" buttons beside a secret shown once: data-copy names the element to copy.
(function () {
  "use strict";
  function fallback(source) {
    // Without a secure context (plain http on a LAN address) there is no clipboard API.
    var range = document.createRange();
    range.selectNodeContents(source);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    return document.execCommand("copy");
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.getElementById(button.dataset.copy);
    var text = source.textContent.trim();
    var done = function () { button.textContent = button.dataset.done; };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { if (fallback(source)) done(); });
    } else if (fallback(source)) {
      done();
    }
  });
})();
