// Small progressive enhancements. Every page works without this file; it holds no user-visible text
// (labels live in the templates, where they are translated).
(function () {
  "use strict";

  var root = document.documentElement;
  root.classList.replace("no-js", "js");

  function closeMenu(toggle) {
    toggle.setAttribute("aria-expanded", "false");
    document.body.classList.remove("menu-open");
  }

  // --- submenus (防疫物资 ▸, 管理 ▸): one open at a time; a click elsewhere or Escape closes them ---
  function closeSubmenus(except) {
    document.querySelectorAll("[data-submenu][aria-expanded='true']").forEach(function (button) {
      if (button !== except) button.setAttribute("aria-expanded", "false");
    });
  }

  // --- the menu on one row, or folded behind the menu button before it would wrap ---------------
  // Measured rather than set at a fixed width: the row's length depends on the user's entries and
  // language. The subtitle beside the brand goes first; then the whole menu folds.
  var PHONE = window.matchMedia("(max-width: 860px)");

  function fits(bar) {
    var end = bar.querySelector(".menu-end");
    if (!end) return true;
    var style = window.getComputedStyle(bar);
    var limit = bar.getBoundingClientRect().right - parseFloat(style.paddingRight);
    return end.getBoundingClientRect().right <= limit + 0.5;
  }

  function fitMenu() {
    var bar = document.querySelector(".topbar");
    if (!bar || !document.getElementById("menu")) return;
    if (PHONE.matches) {
      root.classList.add("menu-compact");
      return;
    }
    var wasCompact = root.classList.contains("menu-compact");
    root.classList.remove("menu-compact", "menu-tight");
    if (!fits(bar)) root.classList.add("menu-tight");
    if (!fits(bar)) root.classList.add("menu-compact");
    if (wasCompact && !root.classList.contains("menu-compact")) {
      var toggle = document.querySelector("[data-menu-toggle]");
      if (toggle) closeMenu(toggle);
    }
  }

  var pending = false;
  window.addEventListener("resize", function () {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(function () {
      pending = false;
      fitMenu();
    });
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", fitMenu);
  } else {
    fitMenu();
  }
  // Web fonts are not used, but a late system font swap can still change widths.
  if (document.fonts && document.fonts.ready) document.fonts.ready.then(fitMenu);

  document.addEventListener("click", function (event) {
    // The phone menu: one button opens and closes it.
    var toggle = event.target.closest("[data-menu-toggle]");
    if (toggle) {
      var open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", String(open));
      document.body.classList.toggle("menu-open", open);
      return;
    }
    var submenu = event.target.closest("[data-submenu]");
    if (submenu) {
      var expanded = submenu.getAttribute("aria-expanded") === "true";
      closeSubmenus(submenu);
      submenu.setAttribute("aria-expanded", String(!expanded));
      return;
    }
    if (!event.target.closest(".submenu")) closeSubmenus(null);
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
    var open = document.querySelector("[data-submenu][aria-expanded='true']");
    if (open) {
      closeSubmenus(null);
      open.focus();
      return;
    }
    var toggle = document.querySelector("[data-menu-toggle][aria-expanded='true']");
    if (toggle) {
      closeMenu(toggle);
      toggle.focus();
    }
  });
})();
