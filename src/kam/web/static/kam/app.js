/* OpenKAM page behaviour that would otherwise be inline (the Content-Security-Policy allows no
   inline script or style): data-* attributes in the templates say what to do. */
(function () {
  "use strict";

  function apply(root) {
    root.querySelectorAll("[data-width]").forEach(function (el) {
      el.style.width = Number(el.getAttribute("data-width")) + "%";
    });
    root.querySelectorAll("[data-indent]").forEach(function (el) {
      el.style.paddingLeft = Number(el.getAttribute("data-indent")) + "rem";
    });
  }

  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el && el.hasAttribute && el.hasAttribute("data-autosubmit") && el.form) {
      el.form.submit();
    }
  });

  document.addEventListener("focusin", function (event) {
    var el = event.target;
    if (el && el.hasAttribute && el.hasAttribute("data-select-on-focus")) { el.select(); }
  });

  document.addEventListener("click", function (event) {
    var button = event.target && event.target.closest ? event.target.closest("[data-copy-target]") : null;
    if (!button) { return; }
    var field = document.getElementById(button.getAttribute("data-copy-target"));
    if (!field) { return; }
    field.select();
    if (navigator.clipboard) { navigator.clipboard.writeText(field.value); }
    button.textContent = button.getAttribute("data-done");
  });

  if (window.htmx) {
    window.htmx.onLoad(apply);  /* the page, then every piece HTMX swaps in */
  } else {
    document.addEventListener("DOMContentLoaded", function () { apply(document); });
  }
})();
