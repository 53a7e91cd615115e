// Progressive enhancement for the admin UI: every page works without this file.
// 1. Live progress: elements with data-progress="/admin/dispatches/ID?handler=Progress" refresh every second.
// 2. Live preview: a form with data-preview re-renders its preview (debounced) as the organiser types.
(() => {
  const format = n => n === null || n === undefined ? '–' : Number(n).toLocaleString();

  function watch(el) {
    const url = el.dataset.progress;
    const tick = async () => {
      try {
        const res = await fetch(url, { headers: { Accept: 'application/json' }, credentials: 'same-origin' });
        if (!res.ok) return;
        const d = await res.json();
        const done = d.sent + d.failed + d.bounced + d.skipped;
        const pct = d.total > 0 ? Math.round(done * 100 / d.total) : (d.status === 'completed' ? 100 : 0);
        el.querySelectorAll('[data-field]').forEach(f => {
          const key = f.dataset.field;
          if (key === 'percent') f.textContent = pct + '%';
          else if (key === 'status') { f.textContent = d.status; f.className = 'badge ' + d.status; }
          else if (key === 'eta') f.textContent = d.etaSeconds === null ? '–' : (d.etaSeconds < 90 ? d.etaSeconds + ' s' : Math.round(d.etaSeconds / 60) + ' min');
          else if (key === 'rate') f.textContent = d.ratePerSecond === null ? '–' : format(Math.round(d.ratePerSecond)) + '/s';
          else f.textContent = format(d[key]);
        });
        const bar = el.querySelector('.progress > span');
        if (bar) bar.style.width = pct + '%';
        if (d.status === 'completed' || d.status === 'cancelled') {
          // Nothing left to pause or cancel.
          document.querySelectorAll('[data-live-controls]').forEach(c => c.hidden = true);
          return;
        }
      } catch { /* try again */ }
      setTimeout(tick, 1000);
    };
    tick();
  }

  function preview(form) {
    const frame = document.querySelector(form.dataset.preview);
    const text = document.querySelector(form.dataset.previewText);
    const subject = document.querySelector(form.dataset.previewSubject);
    let timer;
    const refresh = async () => {
      const body = new FormData(form);
      const res = await fetch(form.dataset.previewUrl, { method: 'POST', body, credentials: 'same-origin', headers: { Accept: 'application/json' } });
      if (!res.ok) return;
      const p = await res.json();
      if (frame) frame.srcdoc = p.html;
      if (text) text.textContent = p.text;
      if (subject) subject.textContent = p.subject;
    };
    form.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(refresh, 400); });
  }

  document.addEventListener('DOMContentLoaded', () => {
    document.querySelectorAll('[data-progress]').forEach(watch);
    document.querySelectorAll('form[data-preview]').forEach(preview);
  });
})();
