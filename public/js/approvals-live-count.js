// Keeps /approvals current without a reload: listens to the same-origin Server-Sent Events stream
// /approvals/events (the server pushes the pending count whenever a request is raised or changes;
// nothing polls), updates the count, and swaps in the fresh list from /approvals. Loaded as a file
// because the CSP allows no inline script; without JavaScript the page works as before (reload).
(function () {
  'use strict';
  var badge = document.querySelector('[data-live-count]');
  var list = document.querySelector('[data-live-list]');
  if (!badge || typeof EventSource === 'undefined') return;
  var note = document.querySelector('[data-live-count-note]');

  function refreshList() {
    if (!list) return;
    fetch('/approvals', { headers: { Accept: 'text/html' }, credentials: 'same-origin', cache: 'no-store' })
      .then(function (res) { return res.ok ? res.text() : null; })
      .then(function (html) {
        if (!html) { if (note) note.hidden = false; return; }
        var fresh = new DOMParser().parseFromString(html, 'text/html').querySelector('[data-live-list]');
        if (!fresh) { if (note) note.hidden = false; return; }
        list.replaceChildren.apply(list, Array.prototype.slice.call(fresh.childNodes).map(function (n) { return document.importNode(n, true); }));
        document.dispatchEvent(new CustomEvent('elevate:content-updated'));
      })
      .catch(function () { if (note) note.hidden = false; });
  }

  var source = new EventSource('/approvals/events');
  source.addEventListener('open', function () { badge.dataset.live = 'on'; });
  source.addEventListener('pending', function (e) {
    var body;
    try { body = JSON.parse(e.data); } catch (err) { return; }
    if (!body || typeof body.pending !== 'number') return;
    var changed = badge.textContent.trim() !== String(body.pending);
    badge.textContent = String(body.pending);
    if (changed) refreshList();
  });
  // Signed out or the service stopping: stop, and say the list may be stale.
  source.addEventListener('end', function () {
    source.close();
    badge.dataset.live = 'ended';
    if (note) note.hidden = false;
  });
  source.addEventListener('error', function () {
    if (source.readyState === EventSource.CLOSED) badge.dataset.live = 'ended';
  });
})();
