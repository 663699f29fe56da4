// Keeps the pending-requests count on /approvals current: polls the same-origin JSON count every
// 15 seconds and says when the list is out of date. Loaded as a file because the CSP allows no
// inline script.
(function () {
  'use strict';
  var badge = document.querySelector('[data-live-count]');
  if (!badge) return;
  var note = document.querySelector('[data-live-count-note]');
  var shown = badge.textContent;
  function refresh() {
    fetch('/approvals/count', { headers: { Accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' })
      .then(function (res) { return res.ok ? res.json() : null; })
      .then(function (body) {
        if (!body || typeof body.pending !== 'number') return;
        badge.textContent = String(body.pending);
        if (note && String(body.pending) !== shown) note.hidden = false;
      })
      .catch(function () { /* offline or signed out: keep the last value */ });
  }
  setInterval(refresh, 15000);
})();
