/* Trend charts drawn with the vendored ECharts (lianfang/static/vendor/echarts), loaded only on pages
 * with charts. Each <div data-chart> names a <script type="application/json"> (Django's json_script)
 * in data-source and a series key in data-key; the table beside it stays the accessible version. */
(function () {
  "use strict";

  function draw(el) {
    var source = document.getElementById(el.getAttribute("data-source"));
    if (!source || !window.echarts) return;
    var rows = JSON.parse(source.textContent);
    var key = el.getAttribute("data-key");
    var max = el.getAttribute("data-max");
    el.style.height = "220px";
    var chart = window.echarts.init(el, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      grid: { left: 40, right: 16, top: 16, bottom: 28 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: rows.map(function (r) { return r.date.slice(5); }) },
      yAxis: { type: "value", min: 0, max: max ? Number(max) : null, minInterval: 1 },
      series: [{
        name: el.getAttribute("data-label"),
        type: "line",
        connectNulls: false,
        data: rows.map(function (r) { return r[key]; }),
      }],
    });
    el.setAttribute("data-drawn", "true");
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function init() {
    document.querySelectorAll("[data-chart]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
