// Check-in pages: the cascading location selects and the proxy "all normal" button. Every page
// works without this file (the server fills the selects after a submit, and "all normal" is a
// submit button); it holds no user-visible text.
(function () {
  "use strict";

  function load(select, url) {
    select.disabled = true;
    return fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (html) { select.innerHTML = html; select.disabled = false; });
  }

  document.addEventListener("change", function (event) {
    var select = event.target.closest("[data-division-level]");
    if (!select) return;
    var box = select.closest("[data-divisions]");
    var url = box.getAttribute("data-divisions");
    var city = box.querySelector("[name=city]");
    var district = box.querySelector("[name=district]");
    if (select.name === "province") {
      district.innerHTML = "<option value=''>—</option>";
      load(city, url + "?level=city&province=" + encodeURIComponent(select.value));
    } else if (select.name === "city") {
      load(district, url + "?level=district&city=" + encodeURIComponent(select.value));
    }
  });

  // "All normal": fill every empty temperature box with the normal reading, to review before saving.
  document.addEventListener("click", function (event) {
    var fill = event.target.closest("[data-fill-normal]");
    if (!fill) return;
    event.preventDefault();
    var value = fill.getAttribute("data-fill-normal");
    document.querySelectorAll("[data-temperature]").forEach(function (input) {
      if (!input.value) input.value = value;
    });
  });
})();
