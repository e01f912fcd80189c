// Small progressive enhancements. Every page works without this file; it holds no user-visible text
// (labels live in the templates, where they are translated).
(function () {
  "use strict";

  document.documentElement.classList.replace("no-js", "js");

  function closeMenu(toggle) {
    toggle.setAttribute("aria-expanded", "false");
    document.body.classList.remove("menu-open");
  }

  document.addEventListener("click", function (event) {
    // The phone menu: one button opens and closes it.
    var toggle = event.target.closest("[data-menu-toggle]");
    if (toggle) {
      var open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", String(open));
      document.body.classList.toggle("menu-open", open);
      return;
    }
    // Expand or collapse every branch of a tree at once.
    var expand = event.target.closest("[data-tree-expand]");
    var collapse = event.target.closest("[data-tree-collapse]");
    var button = expand || collapse;
    if (button) {
      var selector = button.getAttribute(expand ? "data-tree-expand" : "data-tree-collapse");
      document.querySelectorAll(selector + " details").forEach(function (details) {
        details.open = Boolean(expand);
      });
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var toggle = document.querySelector("[data-menu-toggle][aria-expanded='true']");
    if (toggle) {
      closeMenu(toggle);
      toggle.focus();
    }
  });
})();
