// Live updates for the officer inbox: when alarm.js (which owns the page's live stream,
// /inbox/events) reports a change in the officer's scope, the queue list or the open
// conversation's thread is reloaded from the server. No inline script (CSP).
(function () {
  'use strict';
  var list = document.getElementById('inbox-list');
  var thread = document.getElementById('thread');
  if (!list && !thread) { return; }

  function reload(el, url) {
    if (!el || !url) { return; }
    fetch(url, { credentials: 'same-origin', headers: { 'Accept': 'text/html', 'X-Caunoi-Live': '1' } })
      .then(function (r) {
        if (r.status === 401 && window.caunoiSessionEnded) { window.caunoiSessionEnded(); }
        return r.ok ? r.text() : null;
      })
      .then(function (html) {
        if (html === null) { return; }
        var draft = document.activeElement;
        el.innerHTML = html;
        if (draft && draft.focus && document.contains(draft)) { draft.focus(); }
      })
      .catch(function () { /* the next event retries */ });
  }

  document.addEventListener('caunoi:live', function (ev) {
    var data = ev.detail || {};
    if (list && data.list) { reload(list, list.getAttribute('data-live-list')); }
    if (thread && data.thread) { reload(thread, thread.getAttribute('data-live-thread')); }
  });
})();
