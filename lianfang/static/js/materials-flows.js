/* Flows between units (materials transfers): a sankey drawn with the vendored ECharts from the
 * page's json_script data; the table beside it is the accessible version. A flow that would make a
 * cycle (A → B and B → A in the same period) cannot be drawn by a sankey, so the page falls back to
 * a force graph with arrows. */
(function () {
  "use strict";

  function hasCycle(nodes, links) {
    var out = {};
    nodes.forEach(function (n) { out[n] = []; });
    links.forEach(function (l) { out[l.source].push(l.target); });
    var state = {};
    function visit(n) {
      if (state[n] === 1) return true;
      if (state[n] === 2) return false;
      state[n] = 1;
      for (var i = 0; i < out[n].length; i++) if (visit(out[n][i])) return true;
      state[n] = 2;
      return false;
    }
    return nodes.some(visit);
  }

  function draw(el) {
    var source = document.getElementById(el.getAttribute("data-source"));
    if (!source || !window.echarts) return;
    var data = JSON.parse(source.textContent);
    if (!data.links.length) return;
    el.style.height = Math.max(260, Math.min(720, data.nodes.length * 28)) + "px";
    var chart = window.echarts.init(el, null, { renderer: "svg" });
    var nodes = data.nodes.map(function (n) { return { name: n }; });
    var series = hasCycle(data.nodes, data.links)
      ? {
          type: "graph", layout: "force", roam: true, label: { show: true }, edgeSymbol: ["none", "arrow"],
          force: { repulsion: 220, edgeLength: 120 }, data: nodes,
          links: data.links.map(function (l) { return { source: l.source, target: l.target, value: l.value, label: { show: true, formatter: String(l.value) } }; }),
        }
      : { type: "sankey", nodeAlign: "left", emphasis: { focus: "adjacency" }, data: nodes, links: data.links, lineStyle: { color: "gradient", curveness: 0.5 } };
    chart.setOption({ animation: false, tooltip: { trigger: "item" }, series: [series] });
    el.setAttribute("data-drawn", "true");
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function init() { document.querySelectorAll("[data-flow-chart]").forEach(draw); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
