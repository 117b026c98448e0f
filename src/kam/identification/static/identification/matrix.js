/* OpenKAM portfolio matrix: attractiveness (0–10) against relative strength (log axis, by
   default 0.33–3), bubble size = revenue, quadrants cut (by default) at R = 1 and A = 5: the
   axis and cut-offs come with the data, from the scoring model. Clicking a bubble opens the
   account's score explanation. */
(function () {
  "use strict";
  var Y_MIN = 0, Y_MAX = 10;
  var X_MIN, X_MAX, X_CUT, Y_CUT;  // from data.axis: the scoring model's configuration
  var chart = null;
  var points = [];

  function area(name, x0, y0, x1, y1, position, color) {
    return [
      { name: name, coord: [x0, y0], itemStyle: { color: color },
        label: { show: true, position: position, color: "#495057", fontWeight: "bold", fontSize: 14 } },
      { coord: [x1, y1] }
    ];
  }

  function formatNumber(value) {
    return Math.round(value).toLocaleString(document.documentElement.lang || undefined);
  }

  function matrix() {
    var el = document.getElementById("matrix-chart");
    var dataEl = document.getElementById("matrix-data");
    if (!el || !dataEl || !window.echarts) { return; }
    var data = JSON.parse(dataEl.textContent);
    var labels = data.labels;
    X_MIN = data.axis.x_min; X_MAX = data.axis.x_max;
    X_CUT = data.axis.x_cut; Y_CUT = data.axis.y_cut;
    points = data.points;
    chart = window.echarts.init(el);
    chart.setOption({
      animation: false,
      grid: { left: 70, right: 30, top: 30, bottom: 60 },
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          if (p.componentType !== "series" || !p.data) { return ""; }
          var d = p.data;
          var div = document.createElement("div");
          var title = document.createElement("strong");
          title.textContent = d.name;
          div.appendChild(title);
          [[labels.y, d.a], [labels.x, d.r], [labels.revenue, formatNumber(d.revenue)], ["", d.quadrant]]
            .forEach(function (row) {
              var line = document.createElement("div");
              line.textContent = row[0] ? row[0] + ": " + row[1] : row[1];
              div.appendChild(line);
            });
          return div.innerHTML;
        }
      },
      xAxis: {
        type: "log", logBase: 10, min: X_MIN, max: X_MAX, name: labels.x,
        nameLocation: "middle", nameGap: 32,
        axisLabel: { formatter: function (v) { return Number(v.toPrecision(2)); } },
        splitLine: { show: false }
      },
      yAxis: {
        type: "value", min: Y_MIN, max: Y_MAX, interval: 1, name: labels.y,
        nameLocation: "middle", nameGap: 40, splitLine: { show: false }
      },
      series: [{
        type: "scatter",
        data: points.map(function (p) {
          return { id: String(p.id), name: p.name, value: p.value, symbolSize: p.size, url: p.url,
                   a: p.a, r: p.r, revenue: p.revenue, quadrant: p.quadrant };
        }),
        itemStyle: { color: "rgba(13, 110, 253, 0.55)", borderColor: "#0d6efd" },
        emphasis: { focus: "self", itemStyle: { color: "rgba(13, 110, 253, 0.9)" } },
        cursor: "pointer",
        markLine: {
          silent: true, symbol: "none",
          lineStyle: { color: "#6c757d", type: "dashed" },
          label: { show: false },
          data: [{ xAxis: X_CUT }, { yAxis: Y_CUT }]
        },
        markArea: {
          silent: true,
          data: [
            area(labels.star, X_MIN, Y_CUT, X_CUT, Y_MAX, "insideTopLeft", "rgba(255, 193, 7, 0.06)"),
            area(labels.strategic, X_CUT, Y_CUT, X_MAX, Y_MAX, "insideTopRight", "rgba(25, 135, 84, 0.07)"),
            area(labels.streamline, X_MIN, Y_MIN, X_CUT, Y_CUT, "insideBottomLeft", "rgba(108, 117, 125, 0.06)"),
            area(labels.status, X_CUT, Y_MIN, X_MAX, Y_CUT, "insideBottomRight", "rgba(13, 202, 240, 0.06)")
          ]
        }
      }]
    });
    chart.on("click", function (params) {
      if (params.componentType === "series" && params.data && params.data.url) {
        window.location.href = params.data.url;
      }
    });
    el.setAttribute("data-rendered", "true");
    window.addEventListener("resize", function () { chart.resize(); });
  }

  /* Pixel positions of the bubbles inside the chart element (used by the browser tests). */
  window.kamMatrixPoints = function () {
    if (!chart) { return []; }
    return points.map(function (p) {
      var xy = chart.convertToPixel({ seriesIndex: 0 }, [p.value[0], p.value[1]]);
      return { id: p.id, x: xy[0], y: xy[1] };
    });
  };

  document.addEventListener("DOMContentLoaded", matrix);
})();
