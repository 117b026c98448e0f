/* OpenKAM charts: read the JSON the page embeds and draw it with ECharts. */
(function () {
  "use strict";
  function revenueChart() {
    var el = document.getElementById("revenue-chart");
    var dataEl = document.getElementById("revenue-data");
    if (!el || !dataEl || !window.echarts) { return; }
    var data = JSON.parse(dataEl.textContent);
    var chart = window.echarts.init(el);
    var series = data.lines.map(function (line) {
      return { name: line.name, type: "bar", stack: "revenue", data: line.data, emphasis: { focus: "series" } };
    });
    chart.setOption({
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { type: "scroll", bottom: 0 },
      grid: { left: 10, right: 20, top: 20, bottom: 50, containLabel: true },
      xAxis: { type: "category", data: data.years },
      yAxis: { type: "value", name: data.labels.currency || "" },
      series: series
    });
    el.setAttribute("data-rendered", "true");
    window.addEventListener("resize", function () { chart.resize(); });
  }
  document.addEventListener("DOMContentLoaded", revenueChart);
})();
