// Run now with live progress (Mail collectors page). Without this script the form posts and the
// page waits for the session; with it, the session starts at once (POST .../start) and its counts
// are polled from .../progress (the scheduler's live report) until it finishes. A row whose
// collector is already running when the page loads is followed the same way.
'use strict';
(function () {
  const POLL_MS = 500;
  const stateText = { connecting: 'Connecting and listing the mailbox…', downloading: 'Downloading', finishing: 'Delivering the last messages and deleting what is due…' };

  function describe(p) {
    if (!p.running) return p.summary || 'Not run since the server started.';
    // fetched: received from the server; the report's counts move when a batch is stored and delivered.
    const counts = `${p.seen} on server, ${p.fetched} downloaded, ${p.delivered} delivered so far`;
    if (p.state === 'downloading') return `Downloading ${p.fetched} of ${p.toFetch} new messages: ${counts}.`;
    return `${stateText[p.state] || p.state} ${counts}.`;
  }

  function follow(row, button) {
    const name = row.dataset.collector;
    const out = row.querySelector('.live');
    const base = `/collectors/${encodeURIComponent(name)}`;
    if (button) button.disabled = true;
    const show = (p) => {
      out.textContent = describe(p);
      out.className = `live ${p.running ? 'muted' : p.errors.length ? 'bad' : 'ok'}`;
      out.dataset.state = p.state;
      // Finished: the summary replaces the previous run's counts rendered with the page.
      if (!p.running) for (const el of [...out.parentElement.children]) if (el !== out && el.tagName === 'SPAN' && !el.classList.contains('tag')) el.remove();
      if (!p.running && !row.querySelector('a.session-log')) {
        const a = document.createElement('a');
        a.href = `${base}/log`;
        a.className = 'session-log';
        a.textContent = 'Last session’s log';
        out.after(a);
      }
    };
    const poll = async () => {
      try {
        const res = await fetch(`${base}/progress`, { headers: { accept: 'application/json' } });
        if (!res.ok) throw new Error(`the server answered ${res.status}`);
        const p = await res.json();
        show(p);
        if (p.running) return void setTimeout(poll, POLL_MS);
      } catch (err) {
        out.textContent = `Lost track of the session (${err.message}); reload the page to see its result.`;
        out.className = 'live bad';
      }
      if (button) button.disabled = false;
    };
    return { show, poll };
  }

  for (const form of document.querySelectorAll('form.run-now')) {
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const row = form.closest('tr');
      const button = form.querySelector('button');
      const f = follow(row, button);
      try {
        const res = await fetch(form.action.replace(/\/run$/, '/start'), {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
          body: new URLSearchParams(new FormData(form)),
        });
        if (!res.ok) throw new Error(`the server answered ${res.status}`);
        const r = await res.json();
        f.show(r.progress);
        f.poll();
      } catch {
        // The form without the script still works: post it and wait for the session.
        button.disabled = false;
        form.submit();
      }
    });
  }
  for (const out of document.querySelectorAll('tr[data-collector] .live[data-running="yes"]')) follow(out.closest('tr'), out.closest('tr').querySelector('form.run-now button')).poll();
})();
