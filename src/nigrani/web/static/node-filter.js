/* Long lists of jurisdictions, searchable: a box above a <select data-filter-select> narrows
 * it to the options whose names (English, Hindi) or code hold what was typed, and chooses
 * the first of them when the chosen one is filtered out. The box is hidden in the page and
 * shown here, so without the script the plain select still works. */
(function () {
  "use strict";
  function norm(text) { return (text || "").normalize("NFC").toLocaleLowerCase(); }

  function narrow(box, select, none) {
    var wanted = norm(box.value.trim());
    var first = null;
    var chosenShown = false;
    Array.prototype.forEach.call(select.options, function (option) {
      var hit = !wanted || norm(option.dataset.search + " " + option.text).indexOf(wanted) >= 0;
      option.hidden = !hit;
      if (hit && first === null) first = option;
      if (hit && option.selected) chosenShown = true;
    });
    if (!chosenShown && first !== null) first.selected = true;
    if (none) none.hidden = first !== null;
  }

  document.querySelectorAll("input[data-filter-select]").forEach(function (box) {
    var select = document.getElementById(box.dataset.filterSelect);
    if (!select) return;
    var none = document.getElementById(box.dataset.filterSelect + "-none");
    box.hidden = false;
    box.addEventListener("input", function () { narrow(box, select, none); });
  });
})();
