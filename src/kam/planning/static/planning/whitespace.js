/* OpenKAM white space heatmap: units × product lines, coloured by potential or by headroom
   (potential above today's revenue). Data comes from the JSON script element. */
(function () {
  "use strict";
  var chart = null, data = null, measure = "potential";

  function draw() {
    var values = data[measure];
    var max = 0;
    values.forEach(function (v) { if (v[2] > max) { max = v[2]; } });
    chart.setOption({
      animation: false,
      tooltip: {
        position: "top",
        // ECharts renders a formatter's string as HTML: names typed by users go in as text.
        formatter: function (p) {
          var div = document.createElement("div");
          div.textContent = data.units[p.value[1]] + " · " + data.lines[p.value[0]] + ": " +
            Math.round(p.value[2]).toLocaleString(document.documentElement.lang || undefined);
          return div.innerHTML;
        }
      },
      grid: { left: 160, right: 20, top: 10, bottom: 70 },
      xAxis: { type: "category", data: data.lines, splitArea: { show: true },
               axisLabel: { interval: 0, rotate: 30 } },
      yAxis: { type: "category", data: data.units, splitArea: { show: true }, inverse: true,
               axisLabel: { width: 150, overflow: "truncate" } },
      visualMap: { min: 0, max: max || 1, calculable: true, orient: "horizontal", left: "center",
                   bottom: 0, itemHeight: 120, inRange: { color: ["#f8f9fa", "#0d6efd"] } },
      series: [{ type: "heatmap", data: values, label: { show: false },
                 emphasis: { itemStyle: { borderColor: "#333", borderWidth: 1 } } }]
    }, true);
    chart.getDom().setAttribute("data-rendered", "true");
  }

  function init() {
    var el = document.getElementById("ws-heatmap");
    var dataEl = document.getElementById("ws-heatmap-data");
    if (!el || !dataEl || !window.echarts) { return; }
    data = JSON.parse(dataEl.textContent);
    el.style.height = Math.max(200, 60 + 22 * data.units.length) + "px";
    chart = window.echarts.init(el);
    draw();
    document.querySelectorAll("[data-ws-measure]").forEach(function (button) {
      button.addEventListener("click", function () {
        measure = button.getAttribute("data-ws-measure");
        document.querySelectorAll("[data-ws-measure]").forEach(function (b) {
          b.classList.toggle("active", b === button);
        });
        draw();
      });
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  document.addEventListener("DOMContentLoaded", init);
})();
