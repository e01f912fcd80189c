// The non-reporter list: one button copies the list for the chat group. The page works without this
// file (the text box can be selected and copied by hand); it holds no user-visible text (the
// button's data-copied / data-failed attributes carry the translated words).
(function () {
  "use strict";

  function done(button, ok) {
    var status = button.parentNode.querySelector(".nr-copy-status");
    if (status) status.textContent = button.getAttribute(ok ? "data-copied" : "data-failed");
  }

  function fallback(box) {
    // Pages served over plain http (an intranet) have no clipboard API: select and copy.
    box.focus();
    box.select();
    box.setSelectionRange(0, box.value.length);
    try {
      return document.execCommand("copy");
    } catch (e) {
      return false;
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var box = document.querySelector(button.getAttribute("data-copy"));
    if (!box) return;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(box.value).then(
        function () { done(button, true); },
        function () { done(button, fallback(box)); }
      );
    } else {
      done(button, fallback(box));
    }
  });
})();
