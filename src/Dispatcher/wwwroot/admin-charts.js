// The admin charts (uPlot, served from the app). The dashboard's data is in <script type="application/json"
// id="charts-data">; a figure with data-live-rate draws a running dispatch's messages per second from its server-sent
// events. Each chart sets data-points to how many points it drew (what the browser tests read).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  if (typeof uPlot === "undefined") return;
  const width = el => {
    const style = getComputedStyle(el);
    return Math.max(240, el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight));
  };
  const palette = ["#b3001b", "#1a73e8", "#188038", "#e8a200", "#8430ce", "#5f6368", "#d01884", "#12b5cb"];

  const source = document.getElementById("charts-data");
  const data = source ? JSON.parse(source.textContent) : {};

  const daily = document.getElementById("chart-daily");
  if (daily && data.daily) {
    const d = data.daily;
    new uPlot({
      width: width(daily), height: 220,
      series: [{}, { label: "sent", stroke: palette[0] }, { label: "bounced", stroke: palette[5] }, { label: "complaints", stroke: palette[3] }],
      axes: [{}, {}],
    }, [d.days, d.sent, d.bounced, d.complained], daily);
    daily.dataset.points = String(d.days.length);
  }

  const confirmed = document.getElementById("chart-confirmed");
  if (confirmed && data.confirmed) {
    const c = data.confirmed;
    new uPlot({
      width: width(confirmed), height: 220,
      series: [{}, ...c.lists.map((l, i) => ({ label: l.name, stroke: palette[i % palette.length] }))],
      axes: [{}, {}],
    }, [c.days, ...c.lists.map(l => l.confirmed)], confirmed);
    confirmed.dataset.points = String(c.lists.length * c.days.length);
  }

  const alerts = document.getElementById("chart-alerts");
  if (alerts && data.alerts) {
    const a = data.alerts;
    const x = a.dispatches.map((_, i) => i + 1);
    new uPlot({
      width: width(alerts), height: 220,
      scales: { x: { time: false } },
      series: [{ label: "alert", value: (_, i) => i == null ? "" : "#" + a.dispatches[i - 1] },
               { label: "seconds", stroke: palette[0], points: { size: 8 } }],
      axes: [{ values: (_, ticks) => ticks.map(t => a.dispatches[t - 1] ? "#" + a.dispatches[t - 1] : "") }, {}],
    }, [x, a.seconds], alerts);
    alerts.dataset.points = String(x.length);
  }

  // Messages per second between two progress events; the first point is the rate since the dispatch started.
  document.querySelectorAll("figure[data-live-rate]").forEach(figure => {
    const times = [], rates = [];
    const chart = new uPlot({
      width: width(figure), height: 220,
      series: [{}, { label: "messages/s", stroke: palette[0], fill: "rgba(179,0,27,0.08)" }],
      axes: [{}, {}],
    }, [times, rates], figure);
    let last = null;
    const events = new EventSource(figure.dataset.liveRate);
    events.addEventListener("progress", e => {
      const d = JSON.parse(e.data);
      const now = Date.now() / 1000, done = d.sent + d.failed + d.bounced + d.skipped;
      const rate = last ? (done - last.done) / Math.max(0.001, now - last.now) : (d.ratePerSecond ?? 0);
      last = { now, done };
      times.push(now); rates.push(Math.round(rate));
      if (times.length > 600) { times.shift(); rates.shift(); } // ten minutes
      chart.setData([times, rates]);
      figure.dataset.points = String(times.length);
      if (d.status === "completed" || d.status === "cancelled") {
        events.close(); // else the browser would open the finished stream again
        figure.dataset.finished = d.status;
      }
    });
  });
});
