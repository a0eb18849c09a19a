// Turning Web Push alarms on and off in this browser (templates/push_enable.html). On load it
// only registers the service worker and looks: is push supported, is this browser already
// subscribed, does the server know the subscription. The notification permission is asked
// only after a click on "Bật báo động" (browsers refuse or bury prompts that nobody asked for).
// No inline script (CSP); texts come from the box's data-msg-* attributes in the page language.
(function () {
  'use strict';
  var box = document.getElementById('push-enable');
  if (!box) { return; }
  var place = box.getAttribute('data-push'); // "page" (device list) or "inbox" (prompt)
  var onBtn = box.querySelector('[data-push-on]');
  var offBtn = box.querySelector('[data-push-off]');
  var laterBtn = box.querySelector('[data-push-later]');
  var statusEl = box.querySelector('[data-push-status]');
  var LATER_KEY = 'caunoi.push.later';

  function msg(name) { return box.getAttribute('data-msg-' + name) || ''; }
  function say(text) { if (statusEl) { statusEl.textContent = text; } }
  function show() { box.hidden = false; }

  function post(url, body) {
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'Accept': 'application/json' },
      body: JSON.stringify(body),
    });
  }

  // base64url → the bytes PushManager.subscribe wants as applicationServerKey.
  function keyBytes(text) {
    var b64 = text.replace(/-/g, '+').replace(/_/g, '/');
    while (b64.length % 4) { b64 += '='; }
    var raw = atob(b64);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i += 1) { out[i] = raw.charCodeAt(i); }
    return out;
  }

  function sameKey(sub, key) {
    var current = sub.options && sub.options.applicationServerKey;
    if (!current) { return true; }
    var a = new Uint8Array(current);
    if (a.length !== key.length) { return false; }
    for (var i = 0; i < a.length; i += 1) { if (a[i] !== key[i]) { return false; } }
    return true;
  }

  function markThisDevice(id) {
    var row = document.getElementById('device-' + id);
    var tag = row && row.querySelector('[data-this-device]');
    if (tag) { tag.hidden = false; }
  }

  function showOn(id) {
    if (place === 'inbox') { box.hidden = true; return; }
    show();
    if (onBtn) { onBtn.hidden = true; }
    if (offBtn) { offBtn.hidden = false; }
    say(msg('on'));
    if (id) { markThisDevice(id); }
  }

  function showOff(text) {
    if (place === 'inbox' && laterUntil() > Date.now()) { return; }
    show();
    if (onBtn) { onBtn.hidden = false; onBtn.disabled = false; }
    if (offBtn) { offBtn.hidden = true; }
    say(text || '');
  }

  function laterUntil() {
    try { return Number(localStorage.getItem(LATER_KEY) || 0); } catch (e) { return 0; }
  }

  if (!('serviceWorker' in navigator) || !('PushManager' in window) || !('Notification' in window)) {
    if (place !== 'inbox') { show(); if (onBtn) { onBtn.hidden = true; } say(msg('unsupported')); }
    return;
  }

  var registration = navigator.serviceWorker.register('/sw.js', { scope: '/' });

  function look() {
    return registration
      .then(function (reg) { return reg.pushManager.getSubscription(); })
      .then(function (sub) {
        if (Notification.permission === 'denied') {
          if (place !== 'inbox') { show(); if (onBtn) { onBtn.hidden = true; } say(msg('denied')); }
          return;
        }
        if (!sub || Notification.permission !== 'granted') { showOff(''); return; }
        return post('/push/subscriptions/status', { endpoint: sub.endpoint })
          .then(function (r) { return r.ok ? r.json() : { known: false }; })
          .then(function (s) { if (s.known) { showOn(s.id); } else { showOff(''); } });
      })
      .catch(function () { showOff(''); });
  }

  function turnOn() {
    if (onBtn) { onBtn.disabled = true; }
    say(msg('working'));
    // Asked here, after the click, never on load.
    Notification.requestPermission()
      .then(function (permission) {
        if (permission !== 'granted') { throw new Error(permission === 'denied' ? 'denied' : 'dismissed'); }
        return Promise.all([
          registration,
          fetch('/push/key', { credentials: 'same-origin' }).then(function (r) {
            if (!r.ok) { throw new Error('key'); }
            return r.json();
          }),
        ]);
      })
      .then(function (both) {
        var reg = both[0];
        var key = keyBytes(both[1].key);
        return reg.pushManager.getSubscription().then(function (existing) {
          // A subscription made with another server key (a restored backup, another instance
          // on this origin) cannot receive our messages: replace it.
          if (existing && !sameKey(existing, key)) {
            return existing.unsubscribe().then(function () { return null; });
          }
          return existing;
        }).then(function (existing) {
          return existing || reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
        });
      })
      .then(function (sub) { return post('/push/subscriptions', sub.toJSON()); })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (body) {
          if (!r.ok) {
            // The server's refusal is written for people: show it as it is.
            var refused = new Error('refused');
            refused.shown = body.message;
            throw refused;
          }
          return body;
        });
      })
      .then(function (body) {
        if (place === 'page') { window.location.reload(); return; }
        showOn(body.id);
        box.hidden = true;
      })
      .catch(function (e) {
        if (Notification.permission === 'denied' || (e && e.message === 'denied')) {
          showOff(msg('denied'));
        } else if (e && e.message === 'dismissed') {
          showOff(msg('dismissed'));
        } else {
          showOff((e && e.shown) || msg('failed'));
        }
      });
  }

  function turnOff() {
    if (offBtn) { offBtn.disabled = true; }
    registration
      .then(function (reg) { return reg.pushManager.getSubscription(); })
      .then(function (sub) {
        if (!sub) { return null; }
        return post('/push/subscriptions/remove', { endpoint: sub.endpoint }).then(function () { return sub.unsubscribe(); });
      })
      .then(function () {
        if (place === 'page') { window.location.reload(); return; }
        showOff(msg('off'));
      })
      .catch(function () { if (offBtn) { offBtn.disabled = false; } say(msg('failed')); });
  }

  if (onBtn) { onBtn.addEventListener('click', turnOn); }
  if (offBtn) { offBtn.addEventListener('click', turnOff); }
  if (laterBtn) {
    laterBtn.addEventListener('click', function () {
      try { localStorage.setItem(LATER_KEY, String(Date.now() + 7 * 24 * 3600 * 1000)); } catch (e) { /* ignored */ }
      box.hidden = true;
    });
  }
  look();
})();
