/* OpenKAM programme: the radar of the six condition scores (condition, survey, indicators) and
   the Pareto chart of revenue by account. Data come from json_script blocks of the page. */
(function () {
  "use strict";

  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function radar() {
    var el = document.getElementById("programme-radar");
    var d = data("programme-radar-data");
    if (!el || !d || !window.echarts) { return; }
    var chart = window.echarts.init(el);
    var keys = ["score", "survey", "indicators"];
    chart.setOption({
      animation: false,
      legend: { bottom: 0 },
      tooltip: { trigger: "item" },
      radar: {
        radius: "62%",
        indicator: d.conditions.map(function (c) {
          return { name: c.n + ". " + (c.label.length > 28 ? c.label.slice(0, 27) + "…" : c.label), max: 100 };
        })
      },
      series: [{
        type: "radar",
        data: keys.map(function (k) {
          return { name: d.labels[k], value: d.series[k].map(function (v) { return v === null ? 0 : v; }) };
        })
      }]
    });
    el.setAttribute("data-rendered", "1");
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function pareto() {
    var el = document.getElementById("programme-pareto");
    var d = data("programme-pareto-data");
    if (!el || !d || !window.echarts) { return; }
    var chart = window.echarts.init(el);
    chart.setOption({
      animation: false,
      grid: { left: 50, right: 50, top: 20, bottom: 80 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: d.map(function (p) { return p.name; }), axisLabel: { rotate: 40, fontSize: 10 } },
      yAxis: [{ type: "value", name: "%", max: 100 }, { type: "value", name: "Σ %", max: 100 }],
      series: [
        { type: "bar", data: d.map(function (p) { return p.share; }) },
        { type: "line", yAxisIndex: 1, data: d.map(function (p) { return p.cumulative; }) }
      ]
    });
    el.setAttribute("data-rendered", "1");
    window.addEventListener("resize", function () { chart.resize(); });
  }

  radar();
  pareto();
})();
