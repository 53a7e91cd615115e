// The dashboard's charts (uPlot, served from the app). The data is in <script type="application/json" id="charts-data">;
// each chart sets data-points to how many points it drew (what the browser tests read).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const source = document.getElementById("charts-data");
  if (!source || typeof uPlot === "undefined") return;
  const data = JSON.parse(source.textContent);
  const width = el => Math.max(280, el.clientWidth - 32);

  const daily = document.getElementById("chart-daily");
  if (daily && data.daily) {
    const d = data.daily;
    new uPlot({
      width: width(daily), height: 220,
      series: [{}, { label: "sent", stroke: "#b3001b" }, { label: "bounced", stroke: "#5f6368" }, { label: "complaints", stroke: "#e8a200" }],
      axes: [{}, {}],
    }, [d.days, d.sent, d.bounced, d.complained], daily);
    daily.dataset.points = String(d.days.length);
  }

  const alerts = document.getElementById("chart-alerts");
  if (alerts && data.alerts) {
    const a = data.alerts;
    const x = a.dispatches.map((_, i) => i + 1);
    new uPlot({
      width: width(alerts), height: 220,
      scales: { x: { time: false } },
      series: [{ label: "alert", value: (_, i) => i == null ? "" : "#" + a.dispatches[i - 1] },
               { label: "seconds", stroke: "#b3001b", points: { size: 8 } }],
      axes: [{ values: (_, ticks) => ticks.map(t => a.dispatches[t - 1] ? "#" + a.dispatches[t - 1] : "") }, {}],
    }, [x, a.seconds], alerts);
    alerts.dataset.points = String(x.length);
  }
});
