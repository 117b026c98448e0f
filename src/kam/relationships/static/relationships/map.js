/* OpenKAM relationship map: fetch the account's graph JSON and draw it with ECharts.
   Above the threshold the data are unit x function groups; a click on a group fetches its
   people, a click on a person loads the side panel (HTMX). */
(function () {
  "use strict";
  var chart = null;
  var el, statusEl, backBtn, form;
  var pending = false;  // a drawing whose animation has not yet ended

  function params(extra) {
    var p = new URLSearchParams(new FormData(form));
    Array.from(p.keys()).forEach(function (k) { if (!p.get(k)) { p.delete(k); } });
    if (extra) { Object.keys(extra).forEach(function (k) { p.set(k, extra[k]); }); }
    return p.toString();
  }

  function status(text) { statusEl.textContent = text; }

  function draw(data) {
    var nodes = data.nodes.map(function (n) {
      var label = n.kind === "cluster" ? n.name + " (" + n.count + ")" : n.name;
      return {
        id: n.id, name: label, raw: n, category: n.category, symbolSize: n.symbolSize,
        symbol: n.symbol || "circle", value: n.count || n.title || ""
      };
    });
    var edges = data.edges.map(function (e) {
      var style = e.lineStyle || { width: 1, color: "#ced4da", type: e.kind === "org" ? "solid" : "dashed" };
      if (e.kind === "org") { style = { width: e.count ? Math.min(1 + Math.log(e.count), 6) : 1, color: "#adb5bd" }; }
      return { source: e.source, target: e.target, lineStyle: style, raw: e };
    });
    // "rendered" once the entry animation has ended (ECharts' "finished"): a click then lands
    // where the node stays.
    pending = true;
    chart.setOption({
      animation: nodes.length < 400,
      tooltip: {
        formatter: function (p) {
          var d = p.data && p.data.raw;
          if (!d) { return ""; }
          var div = document.createElement("div");
          var lines = p.dataType === "edge"
            ? [d.kind === "link" ? (d.strength != null ? "strength " + d.strength : "") + (d.level != null ? ", level " + d.level : "") : (d.count ? d.count + "" : "")]
            : [d.name, d.title || "", d.unit ? d.unit + " · " + d.function : "", (d.roles || []).join(", ")];
          lines.filter(Boolean).forEach(function (t, i) {
            var line = document.createElement(i === 0 ? "strong" : "div");
            line.textContent = t;
            div.appendChild(line);
          });
          return div.innerHTML;
        }
      },
      legend: [{ type: "scroll", bottom: 0, data: data.categories.map(function (c) { return c.name; }) }],
      series: [{
        type: "graph", layout: "force", roam: true, draggable: nodes.length < 400,
        categories: data.categories, data: nodes, links: edges,
        label: { show: nodes.length <= 80, position: "right", fontSize: 11 },
        labelLayout: { hideOverlap: true },
        force: { repulsion: nodes.length > 150 ? 60 : 160, edgeLength: [40, 120], gravity: 0.08, layoutAnimation: false },
        emphasis: { focus: "adjacency" }
      }]
    }, true);
    el.setAttribute("data-mode", data.mode);
    el.setAttribute("data-nodes", String(nodes.length));
  }

  function load(extra) {
    status("…");
    el.setAttribute("data-rendered", "false");
    fetch(el.dataset.url + "?" + params(extra), { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(function (data) {
        draw(data);
        if (!data.people) { status(el.dataset.textEmpty); }
        else if (data.mode === "clusters") { status(data.people + " " + el.dataset.textPeople + ". " + el.dataset.textGroups); }
        else { status(data.people + " " + el.dataset.textPeople); }
        backBtn.classList.toggle("d-none", !data.cluster);
      })
      .catch(function () { status(el.dataset.textError); });
  }

  function openPerson(contactId) {
    var url = el.dataset.panelUrl.replace(/\/0\/$/, "/" + contactId + "/");
    if (window.htmx) {
      window.htmx.ajax("GET", url, { target: "#relmap-panel", swap: "innerHTML" }).then(function () {
        // On a narrow screen the panel sits below the map: bring it into view.
        if (window.innerWidth < 992) { document.getElementById("relmap-panel").scrollIntoView(); }
      });
    }
    else { window.location.href = url; }
  }

  function init() {
    el = document.getElementById("relmap-chart");
    if (!el || !window.echarts) { return; }
    statusEl = document.getElementById("relmap-status");
    backBtn = document.getElementById("relmap-back");
    form = document.getElementById("relmap-filter");
    chart = window.echarts.init(el);
    chart.on("finished", function () {
      if (pending) { pending = false; el.setAttribute("data-rendered", "true"); }
    });
    chart.on("click", function (p) {
      var d = p.data && p.data.raw;
      if (!d || p.dataType !== "node") { return; }
      if (d.kind === "cluster") { load({ cluster: d.cluster }); }
      else if (d.kind === "contact") { openPerson(d.contact); }
    });
    form.addEventListener("submit", function (ev) { ev.preventDefault(); load(); });
    form.addEventListener("change", function () { load(); });
    backBtn.addEventListener("click", function () { load(); });
    window.addEventListener("resize", function () { chart.resize(); });
    // The person panel refreshes the map after a role change (event sent by the server).
    document.body.addEventListener("relmap-changed", function () { load(); });
    load();
  }
  document.addEventListener("DOMContentLoaded", init);
})();
