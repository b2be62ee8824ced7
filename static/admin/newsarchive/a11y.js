"use strict";
// The admin's autocomplete (Select2) leaves the search box of a multiple choice without a
// name: give it its field's label, so screen readers say what it searches. Select2 builds
// its boxes when jQuery is ready, which may come after this script runs, and again when
// the choice changes: a MutationObserver names each box as it appears.
(function () {
  function nameSearchBoxes() {
    document.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      const label = document.querySelector('label[for="' + select.id + '"]');
      const container = select.nextElementSibling;
      if (!label || !container) {
        return;
      }
      const name = label.textContent.replace(/:\s*$/, "").trim();
      container.querySelectorAll(".select2-search__field:not([aria-label])").forEach(
        function (field) {
          field.setAttribute("aria-label", name);
        }
      );
    });
  }
  function start() {
    nameSearchBoxes();
    new MutationObserver(nameSearchBoxes).observe(document.body, {
      childList: true,
      subtree: true,
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
