/* The contact graph drawn with the vendored ECharts (lianfang/static/vendor/echarts). The data is the
 * page's json_script; the table below the chart stays the accessible version (screen readers,
 * printers, pages without JavaScript). */
(function () {
  "use strict";

  var COLOURS = { case: "#c0392b", close: "#d68910", secondary: "#7f8c8d" };

  function draw(el) {
    var source = document.getElementById(el.getAttribute("data-source"));
    if (!source || !window.echarts) return;
    var data = JSON.parse(source.textContent);
    el.style.height = Math.max(320, Math.min(720, 120 + data.nodes.length * 18)) + "px";
    var chart = window.echarts.init(el, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      tooltip: {
        formatter: function (p) {
          if (p.dataType === "node") return p.data.name + "<br>" + p.data.detail;
          return "";
        },
      },
      series: [{
        type: "graph",
        layout: "force",
        roam: true,
        draggable: true,
        force: { repulsion: 160, edgeLength: [40, 110] },
        label: { show: true, position: "right", fontSize: 12 },
        edgeSymbol: ["none", "arrow"],
        edgeSymbolSize: 7,
        lineStyle: { color: "#999", width: 1.2 },
        data: data.nodes.map(function (n) {
          var colour = n.kind === "case" ? COLOURS.case : (COLOURS[n.status] || COLOURS.close);
          return {
            id: n.id,
            name: n.name,
            detail: n.detail,
            symbolSize: n.id === data.root ? 30 : (n.kind === "case" ? 22 : 13),
            itemStyle: { color: colour, borderColor: n.id === data.root ? "#222" : colour, borderWidth: 2 },
          };
        }),
        links: data.links.map(function (l) {
          return { source: l.source, target: l.target, lineStyle: { type: l.degree === "secondary" ? "dashed" : "solid" } };
        }),
      }],
    });
    el.setAttribute("data-drawn", "true");
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function init() {
    document.querySelectorAll("[data-contact-graph]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
