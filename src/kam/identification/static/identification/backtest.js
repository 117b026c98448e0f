/* OpenKAM backtest: revenue and growth capture by K, of the model versions compared and of the
   naive pick (the data come with the page, from the backtest). */
(function () {
  "use strict";
  function draw() {
    var el = document.getElementById("backtest-chart");
    var dataEl = document.getElementById("backtest-data");
    if (!el || !dataEl || !window.echarts) { return; }
    var data = JSON.parse(dataEl.textContent);
    var chart = window.echarts.init(el);
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { type: "scroll", top: 0 },
      grid: { top: 60, left: 50, right: 20, bottom: 40 },
      xAxis: { type: "category", name: "K", data: data.tops.map(String) },
      yAxis: { type: "value", max: 1 },
      series: data.series.map(function (s) {
        return { name: s.name, type: "line", data: s.values, symbolSize: 8,
                 lineStyle: { type: s.name.indexOf("·") > 0 && /naive|наив/i.test(s.name) ? "dashed" : "solid" } };
      })
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
