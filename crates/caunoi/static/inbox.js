// Live updates for the officer inbox. Listens to /inbox/events (server-sent events) and, when
// something changed in the officer's scope, reloads the queue list or the open conversation's
// thread from the server. A newly waiting urgent conversation rings: a red banner that shakes,
// the tab title flashes and the phone vibrates where it can. No inline script (CSP).
(function () {
  'use strict';
  var list = document.getElementById('inbox-list');
  var thread = document.getElementById('thread');
  var host = list || thread;
  if (!host || !window.EventSource) { return; }
  var alertBox = document.getElementById('urgent-alert');
  var baseTitle = document.title;
  var flashTimer = null;

  function reload(el, url) {
    if (!el || !url) { return; }
    fetch(url, { credentials: 'same-origin', headers: { 'Accept': 'text/html' } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html === null) { return; }
        var draft = document.activeElement;
        el.innerHTML = html;
        if (draft && draft.focus && document.contains(draft)) { draft.focus(); }
      })
      .catch(function () { /* the next event retries */ });
  }

  function ring() {
    if (alertBox) {
      alertBox.hidden = false;
      alertBox.classList.remove('ringing');
      void alertBox.offsetWidth; // restart the animation
      alertBox.classList.add('ringing');
    }
    if (navigator.vibrate) { try { navigator.vibrate([300, 150, 300, 150, 300]); } catch (e) { /* ignored */ } }
    if (flashTimer) { clearInterval(flashTimer); }
    var n = 0;
    flashTimer = setInterval(function () {
      document.title = (n % 2 === 0) ? '🔴 KHẨN · ' + baseTitle : baseTitle;
      n += 1;
      if (n > 12) { clearInterval(flashTimer); flashTimer = null; document.title = baseTitle; }
    }, 700);
  }

  var source = new EventSource(host.getAttribute('data-live-events'));
  source.addEventListener('change', function (ev) {
    var data = {};
    try { data = JSON.parse(ev.data); } catch (e) { return; }
    if (list && data.list) { reload(list, list.getAttribute('data-live-list')); }
    if (thread && data.thread) { reload(thread, thread.getAttribute('data-live-thread')); }
    if (data.urgent_rose) { ring(); }
    if (alertBox && data.urgent === 0) { alertBox.hidden = true; }
  });
  window.addEventListener('beforeunload', function () { source.close(); });
  document.body.setAttribute('data-live', 'on');
})();
