// The monthly health chart of the account health page (ECharts, vendored).
(function () {
  "use strict";
  var node = document.getElementById("health-trend");
  var data = document.getElementById("health-trend-data");
  if (!node || !data || typeof echarts === "undefined") return;
  var rows = JSON.parse(data.textContent);
  var chart = echarts.init(node);
  chart.setOption({
    animation: false,
    grid: { left: 40, right: 20, top: 20, bottom: 30 },
    tooltip: { trigger: "axis" },
    xAxis: { type: "category", data: rows.map(function (r) { return r.month; }) },
    yAxis: { type: "value", min: 0, max: 100 },
    visualMap: {
      show: false,
      pieces: [
        { lt: 40, color: "#dc3545" },
        { gte: 40, lt: 60, color: "#ffc107" },
        { gte: 60, color: "#198754" }
      ]
    },
    series: [{ type: "line", data: rows.map(function (r) { return r.score; }) }]
  });
  node.dataset.rendered = "1";
  window.addEventListener("resize", function () { chart.resize(); });
})();
