/* OpenKAM executive dashboard: the portfolio matrix thumbnail, the health and stage
   distributions and the condition scores with their trend, drawn by ECharts from the page's
   JSON. A click on a bar opens the list behind it. The charts are redrawn at the print size
   before printing, so the page prints to one A4 landscape sheet. */
(function () {
  "use strict";
  var charts = [];

  function data() {
    var el = document.getElementById("dashboard-data");
    return el ? JSON.parse(el.textContent) : null;
  }

  function init(id, option, links) {
    var el = document.getElementById(id);
    if (!el || !window.echarts) { return; }
    var chart = window.echarts.init(el);
    chart.setOption(option);
    if (links) {
      chart.on("click", function (p) {
        var url = links[p.dataIndex];
        if (url) { window.location.href = url; }
      });
    }
    el.setAttribute("data-rendered", "1");
    charts.push(chart);
  }

  function bars(id, rows, colors, rotate) {
    init(id, {
      animation: false,
      grid: { left: 30, right: 8, top: 8, bottom: rotate ? 34 : 22 },
      tooltip: { trigger: "item" },
      xAxis: { type: "category", data: rows.map(function (r) { return r.label; }),
               axisLabel: { fontSize: 9, interval: 0, rotate: rotate || 0 } },
      yAxis: { type: "value", minInterval: 1, axisLabel: { fontSize: 9 } },
      series: [{
        type: "bar", cursor: "pointer",
        data: rows.map(function (r, i) {
          return { value: r.count, itemStyle: { color: colors ? colors[i % colors.length] : "#0d6efd" } };
        })
      }]
    }, rows.map(function (r) { return r.link; }));
  }

  function matrix(m) {
    var axis = m.axis || { x_min: 0.33, x_max: 3, x_cut: 1, y_cut: 5 };
    init("dash-matrix-chart", {
      animation: false,
      grid: { left: 26, right: 8, top: 8, bottom: 20 },
      xAxis: { type: "log", min: axis.x_min, max: axis.x_max, splitLine: { show: false },
               axisLabel: { fontSize: 9, formatter: function (v) { return Number(v.toPrecision(2)); } } },
      yAxis: { type: "value", min: 0, max: 10, interval: 5, splitLine: { show: false },
               axisLabel: { fontSize: 9 } },
      series: [{
        type: "scatter", cursor: "pointer",
        data: m.points.map(function (p) { return { value: [p[0], p[1]], symbolSize: Math.max(4, p[2] / 3) }; }),
        itemStyle: { color: "rgba(13, 110, 253, 0.5)", borderColor: "#0d6efd" },
        markLine: { silent: true, symbol: "none", label: { show: false },
                    lineStyle: { color: "#6c757d", type: "dashed" },
                    data: [{ xAxis: axis.x_cut }, { yAxis: axis.y_cut }] }
      }]
    }, null);
    var chart = charts[charts.length - 1];
    if (chart) { chart.on("click", function () { window.location.href = m.link; }); }
  }

  function conditions(c, labels) {
    var names = c.conditions.map(function (x) { return String(x.condition); });
    var series = [{
      name: labels.score, type: "bar", cursor: "pointer",
      data: c.conditions.map(function (x) {
        return { value: x.score, itemStyle: { color: x.weak ? "#dc3545" : "#198754" } };
      })
    }];
    c.campaigns.forEach(function (name, i) {
      series.push({
        name: labels.survey + " · " + name, type: "line", symbolSize: 4,
        lineStyle: { width: 1, opacity: 0.4 + 0.6 * (i + 1) / c.campaigns.length },
        data: c.conditions.map(function (x) { return x.trend[i]; })
      });
    });
    init("dash-conditions-chart", {
      animation: false,
      grid: { left: 28, right: 8, top: 8, bottom: 20 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: names, axisLabel: { fontSize: 9 } },
      yAxis: { type: "value", min: 0, max: 100, interval: 50, axisLabel: { fontSize: 9 } },
      series: series
    }, c.conditions.map(function (x) { return x.link; }));
  }

  function resize() {
    charts.forEach(function (chart) { chart.resize(); });
  }

  var d = data();
  if (d) {
    matrix(d.matrix);
    bars("dash-health-chart", d.health, ["#dc3545", "#ffc107", "#198754"]);
    bars("dash-stages-chart", d.stages, null, 25);
    conditions(d.conditions, d.labels);
  }
  window.addEventListener("resize", resize);
  window.addEventListener("beforeprint", resize);
  window.addEventListener("afterprint", resize);
  if (window.matchMedia) {
    var print = window.matchMedia("print");
    if (print.addEventListener) { print.addEventListener("change", resize); }
  }
  var button = document.getElementById("dashboard-print");
  if (button) { button.addEventListener("click", function () { window.print(); }); }
  var root = document.getElementById("dashboard");
  if (root) { root.setAttribute("data-charts", String(charts.length)); }
})();
