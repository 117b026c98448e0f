/* OpenKAM coverage matrix: their buying centre (rows) x our team (columns), cell = summed
   activity strength of our links, drawn as an ECharts heatmap. */
(function () {
  "use strict";
  function init() {
    var el = document.getElementById("coverage-chart");
    var dataEl = document.getElementById("coverage-data");
    if (!el || !dataEl || !window.echarts) { return; }
    var data = JSON.parse(dataEl.textContent);
    var chart = window.echarts.init(el);
    chart.setOption({
      animation: false,
      tooltip: {
        formatter: function (p) {
          var v = p.data;
          var div = document.createElement("div");
          div.textContent = data.columns[v[0]].name + " × " + data.rows[v[1]].label + ": " + v[2] + " (" + v[3] + ")";
          return div.innerHTML;
        }
      },
      grid: { left: 140, right: 20, top: 10, bottom: 90, containLabel: false },
      xAxis: { type: "category", data: data.columns.map(function (c) { return c.name; }), axisLabel: { rotate: 40, interval: 0 } },
      yAxis: { type: "category", data: data.rows.map(function (r) { return r.label + " (" + r.contacts + ")"; }) },
      visualMap: { min: 0, max: data.max || 1, calculable: true, orient: "horizontal", left: "center", bottom: 0, itemHeight: 100 },
      series: [{ type: "heatmap", data: data.cells, label: { show: data.cells.length < 150, formatter: function (p) { return p.data[2]; } } }]
    });
    el.setAttribute("data-rendered", "true");
    window.addEventListener("resize", function () { chart.resize(); });
  }
  document.addEventListener("DOMContentLoaded", init);
})();
