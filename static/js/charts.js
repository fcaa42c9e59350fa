// Charts from server-built data: every <figure class="xh-chart"> holds a <canvas> and a
// <script type="application/json"> data block (never executed, so the CSP allows it):
//   {"type": "bar" | "line", "horizontal": false, "labels": [...],
//    "datasets": [{"label", "data", "color", "type"?, "axis"?: "percent"}],
//    "count_axis"?: "title", "percent_axis"?: "title"}
// Charts are drawn on page load and whenever htmx brings new content in (a polled widget replaces
// itself, so its old chart is destroyed and the new one drawn). Needs the vendored Chart.js 4 UMD.
(function () {
  if (window.xhCharts) {
    // Loaded again by a boosted navigation: the listeners exist already; draw what is on the page.
    window.xhCharts.whenReady(() => window.xhCharts.drawAll(document));
    return;
  }

  function dataset(spec, d) {
    const type = d.type || spec.type;
    return {
      label: d.label,
      data: d.data,
      type: type,
      backgroundColor: type === "line" ? d.color : d.color + "bb",
      borderColor: d.color,
      borderWidth: type === "line" ? 2 : 0,
      pointRadius: type === "line" ? 2 : 0,
      spanGaps: false,
      order: type === "line" ? 0 : 1,
      yAxisID: spec.horizontal ? undefined : d.axis === "percent" ? "percent" : "y",
    };
  }

  function config(spec) {
    const datasets = spec.datasets.map((d) => dataset(spec, d));
    const scales = {};
    if (spec.horizontal) {
      scales.x = { beginAtZero: true, ticks: { precision: 0 } };
      scales.y = { ticks: { autoSkip: false } };
    } else {
      scales.y = {
        beginAtZero: true,
        ticks: { precision: 0 },
        title: { display: Boolean(spec.count_axis), text: spec.count_axis || "" },
      };
      if (datasets.some((d) => d.yAxisID === "percent")) {
        scales.percent = {
          position: "right",
          min: 0,
          max: 100,
          grid: { drawOnChartArea: false },
          title: { display: Boolean(spec.percent_axis), text: spec.percent_axis || "" },
        };
      }
    }
    return {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        indexAxis: spec.horizontal ? "y" : "x",
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        plugins: { legend: { display: datasets.length > 1, position: "bottom" } },
        scales: scales,
      },
    };
  }

  function drawAll(root) {
    if (!window.Chart) return;
    // Charts whose canvas htmx removed are destroyed (Chart.js keeps a registry of instances).
    Object.values(window.Chart.instances).forEach((chart) => {
      if (!chart.canvas.isConnected) chart.destroy();
    });
    root.querySelectorAll(".xh-chart").forEach((figure) => {
      const canvas = figure.querySelector("canvas");
      const data = figure.querySelector('script[type="application/json"]');
      if (!canvas || !data || window.Chart.getChart(canvas)) return;
      let spec;
      try {
        spec = JSON.parse(data.textContent);
      } catch (error) {
        return;
      }
      new window.Chart(canvas, config(spec));
      canvas.dataset.drawn = "true";
    });
  }

  // After a boosted navigation the scripts may be evaluated in any order: wait for Chart.js.
  function whenReady(callback) {
    if (window.Chart) {
      callback();
      return;
    }
    const script = document.querySelector("script[data-chartjs]");
    if (script) script.addEventListener("load", callback, { once: true });
  }

  window.xhCharts = { drawAll: drawAll, whenReady: whenReady };
  document.addEventListener("htmx:load", (event) => whenReady(() => drawAll(event.detail.elt)));
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => whenReady(() => drawAll(document)));
  } else {
    whenReady(() => drawAll(document));
  }
})();
