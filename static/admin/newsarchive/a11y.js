"use strict";
// The admin's autocomplete (Select2) leaves the search box of a multiple choice without a
// name: give it its field's label, so screen readers say what it searches.
window.addEventListener("load", function () {
  document.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
    const label = document.querySelector('label[for="' + select.id + '"]');
    const container = select.nextElementSibling;
    if (!label || !container) {
      return;
    }
    const name = label.textContent.replace(/:\s*$/, "").trim();
    container.querySelectorAll(".select2-search__field").forEach(function (field) {
      field.setAttribute("aria-label", name);
    });
  });
});
