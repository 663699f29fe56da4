// Shows every <time datetime="…" data-time="…"> in the reader's local time with a relative part
// ("3 h ago", "in 42 min"); the server's text (UTC) stays as the fallback without JavaScript and
// the exact UTC value stays in the title for hover. A file, not inline, because the CSP allows no
// inline script. Refreshes the relative parts every 30 seconds.
(function () {
  'use strict';
  if (typeof Intl === 'undefined' || !Intl.DateTimeFormat) return;
  var lang = document.documentElement.lang || undefined;
  var sameYear = new Intl.DateTimeFormat(lang, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
  var otherYear = new Intl.DateTimeFormat(lang, { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });
  var full = new Intl.DateTimeFormat(lang, { dateStyle: 'full', timeStyle: 'long' });
  var rtf = Intl.RelativeTimeFormat ? new Intl.RelativeTimeFormat(lang, { numeric: 'auto', style: 'short' }) : null;

  function relative(ms, now) {
    if (!rtf) return '';
    var s = Math.round((ms - now) / 1000);
    var a = Math.abs(s);
    if (a < 45) return rtf.format(0, 'second');
    if (a < 45 * 60) return rtf.format(Math.round(s / 60), 'minute');
    if (a < 22 * 3600) return rtf.format(Math.round(s / 3600), 'hour');
    if (a < 26 * 86400) return rtf.format(Math.round(s / 86400), 'day');
    if (a < 320 * 86400) return rtf.format(Math.round(s / (30 * 86400)), 'month');
    return rtf.format(Math.round(s / (365 * 86400)), 'year');
  }

  function render() {
    var now = Date.now();
    var nodes = document.querySelectorAll('time[datetime][data-time]');
    for (var i = 0; i < nodes.length; i++) {
      var el = nodes[i];
      var iso = el.getAttribute('datetime');
      var ms = Date.parse(iso);
      if (isNaN(ms)) continue;
      var d = new Date(ms);
      var local = (d.getFullYear() === new Date(now).getFullYear() ? sameYear : otherYear).format(d);
      var rel = relative(ms, now);
      var mode = el.getAttribute('data-time');
      var text = mode === 'relative' ? rel || local : mode === 'absolute' || !rel ? local : local + ' · ' + rel;
      if (el.textContent !== text) el.textContent = text;
      el.title = full.format(d) + '\n' + iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '') + ' UTC';
    }
  }

  render();
  setInterval(render, 30000);
})();
