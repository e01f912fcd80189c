/* Trend charts drawn with the vendored ECharts (lianfang/static/vendor/echarts), loaded only on pages
 * with charts. Each <div data-chart> names a <script type="application/json"> (Django's json_script)
 * in data-source and a series key in data-key; the table beside it stays the accessible version.
 *
 * A day without figures (null) is a gap, never a 0. When the last day is not over yet, data-partial
 * holds its translated label ("截至 09:47" / "as of 09:47"): that point is drawn hollow, joined by a
 * dashed line and labelled, so nobody reads a morning's count as a fall. */
(function () {
  "use strict";

  function draw(el) {
    var source = document.getElementById(el.getAttribute("data-source"));
    if (!source || !window.echarts) return;
    var rows = JSON.parse(source.textContent);
    var key = el.getAttribute("data-key");
    var max = el.getAttribute("data-max");
    var partial = el.getAttribute("data-partial");
    var values = rows.map(function (r) { return r[key] === undefined ? null : r[key]; });
    var last = values.length - 1;
    var series = [{
      name: el.getAttribute("data-label"),
      type: "line",
      connectNulls: false,
      data: values.slice(),
    }];
    if (partial && last >= 0 && values[last] !== null) {
      // The finished days in the solid line; the day still counting apart.
      series[0].data[last] = null;
      var tail = values.map(function () { return null; });
      tail[last] = {
        value: values[last],
        symbol: "emptyCircle",
        symbolSize: 9,
        label: { show: true, position: "top", formatter: partial, fontSize: 11 },
      };
      if (last > 0 && values[last - 1] !== null) tail[last - 1] = values[last - 1];
      series.push({
        name: el.getAttribute("data-label") + " (" + partial + ")",
        type: "line",
        connectNulls: false,
        data: tail,
        lineStyle: { type: "dashed" },
        itemStyle: { color: "#1f6fb5" },
        color: "#1f6fb5",
      });
      series[0].color = "#1f6fb5";
    }
    el.style.height = "220px";
    var chart = window.echarts.init(el, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      grid: { left: 40, right: 24, top: 24, bottom: 28 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: rows.map(function (r) { return r.date.slice(5); }) },
      yAxis: { type: "value", min: 0, max: max ? Number(max) : null, minInterval: 1 },
      series: series,
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
