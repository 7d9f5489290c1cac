/* F4 Consolidated bills: the search box above the account list hides the options that do
   not match (chosen options stay chosen). No inline handlers (CSP): the box names its list
   in data-filter-options. */
(function () {
  "use strict";
  document.addEventListener("input", function (e) {
    var box = e.target;
    if (!box.matches || !box.matches("[data-filter-options]")) return;
    var list = document.getElementById(box.dataset.filterOptions);
    if (!list) return;
    var q = box.value.trim().toLowerCase();
    list.querySelectorAll("option").forEach(function (o) {
      o.hidden = q !== "" && o.textContent.toLowerCase().indexOf(q) === -1;
    });
  });
})();
