// The duty alarm, on every console page of a signed-in officer. It owns the page's one live
// stream (/inbox/events, server-sent events; the inbox pages pass their own URL through
// data-live-events, and through `caunoiFollow` when they open a conversation in place) and
// re-broadcasts each change as a `caunoi:live` DOM event for inbox.js.
//
// An urgent conversation that waits in the officer's units, or is assigned to the officer, and
// an urgent case whose alarm reached the officer (the `case_alarm` of each event: a web report,
// a phone-in, a forward), ring until acknowledged on this device ("Đã nhận", or opening it) or
// taken on the server (the case acknowledged or opened by an officer): a red banner on
// every page, a two-tone sound every few seconds (once the page has been touched: browsers
// allow sound only after a gesture), vibration, a flashing tab title and a desktop
// notification that stays until clicked (after the officer allowed notifications with the
// bell button). The acknowledgement is kept per device (localStorage), so moving from page to
// page does not silence an alarm nobody has seen. No inline script (CSP).
(function () {
  'use strict';
  var box = document.getElementById('alarm');
  if (!box || !window.EventSource) { return; }
  var text = box.querySelector('.alarm-text');
  var open = box.querySelector('.alarm-open');
  var ackBtn = box.querySelector('.alarm-ack');
  var bell = document.getElementById('alarm-bell');
  // The acknowledgements on this device, apart per kind (a conversation and a case may share
  // an id).
  var KEYS = { conversation: 'caunoi-alarm-ack', 'case': 'caunoi-case-alarm-ack' };
  var KINDS = ['conversation', 'case'];
  var latest = { conversation: null, 'case': null };
  var REPEAT_MS = 5000;
  var host = document.querySelector('[data-live-events]');
  var here = Number((host && host.getAttribute('data-conversation')) || 0);
  var url = host ? host.getAttribute('data-live-events') : box.getAttribute('data-events');
  var baseTitle = document.title;
  var current = null;
  var repeat = null;
  var flash = null;
  var notified = { conversation: 0, 'case': 0 };
  var audio = null;

  function t(name) { return box.getAttribute('data-t-' + name) || ''; }
  function acked(kind) {
    try { return Number(localStorage.getItem(KEYS[kind]) || 0); } catch (e) { return 0; }
  }
  function setAcked(kind, id) {
    try { localStorage.setItem(KEYS[kind], String(Math.max(id, acked(kind)))); } catch (e) { /* private mode */ }
  }

  // Sound: a Web Audio context, resumed by the first touch or key on the page.
  function arm() {
    try {
      if (!audio) {
        var Ctx = window.AudioContext || window.webkitAudioContext;
        if (!Ctx) { return; }
        audio = new Ctx();
      }
      if (audio.state === 'suspended') { audio.resume(); }
    } catch (e) { audio = null; }
    showBell();
  }
  document.addEventListener('pointerdown', arm, true);
  document.addEventListener('keydown', arm, true);

  function tone(freq, start, length) {
    var osc = audio.createOscillator();
    var gain = audio.createGain();
    osc.type = 'square';
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, start);
    gain.gain.exponentialRampToValueAtTime(0.25, start + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + length);
    osc.connect(gain);
    gain.connect(audio.destination);
    osc.start(start);
    osc.stop(start + length + 0.05);
  }
  function beep() {
    if (!audio || audio.state !== 'running') { return false; }
    var now = audio.currentTime;
    for (var i = 0; i < 3; i += 1) {
      tone(880, now + i * 0.5, 0.22);
      tone(660, now + i * 0.5 + 0.25, 0.22);
    }
    return true;
  }

  function notify(kind, alarm) {
    if (!window.Notification || Notification.permission !== 'granted' || notified[kind] >= alarm.newest) { return; }
    notified[kind] = alarm.newest;
    var options = {
      body: t(kind === 'case' ? 'case-body' : 'body'), tag: 'caunoi-urgent', renotify: true, requireInteraction: true,
      vibrate: [300, 150, 300, 150, 300], data: { url: alarm.href || '/inbox' },
    };
    function direct() {
      try {
        var n = new Notification(t('title'), options);
        n.onclick = function () { window.focus(); if (alarm.href) { window.location.href = alarm.href; } n.close(); };
      } catch (e) { /* a browser that allows notifications only from a service worker */ }
    }
    // Through the service worker where there is one: Chrome on Android shows only those, and
    // a click then focuses or opens the console there (sw.js).
    if (navigator.serviceWorker && navigator.serviceWorker.getRegistration) {
      navigator.serviceWorker.getRegistration('/').then(function (reg) {
        if (reg && reg.showNotification) { reg.showNotification(t('title'), options).catch(direct); } else { direct(); }
      }, direct);
    } else {
      direct();
    }
  }

  function ringOnce() {
    var sounded = beep();
    box.classList.toggle('silent', !sounded);
    // Browsers refuse vibration before the page was touched (and log it as an error).
    var touched = !navigator.userActivation || navigator.userActivation.hasBeenActive;
    if (navigator.vibrate && touched) { try { navigator.vibrate([300, 150, 300, 150, 300]); } catch (e) { /* ignored */ } }
  }

  function ring(kind, alarm) {
    var fresh = !current || current.kind !== kind || current.alarm.newest !== alarm.newest;
    current = { kind: kind, alarm: alarm };
    var words = kind === 'case' ? ['case-many', 'case-one'] : ['many', 'one'];
    text.textContent = alarm.count > 1 ? t(words[0]).replace('{n}', String(alarm.count)) : t(words[1]);
    box.setAttribute('data-kind', kind);
    if (alarm.href) { open.href = alarm.href; open.hidden = false; } else { open.hidden = true; }
    box.hidden = false;
    document.body.classList.add('alarm-on');
    if (fresh) {
      box.classList.remove('ringing');
      void box.offsetWidth; // restart the animation
      box.classList.add('ringing');
    }
    notify(kind, alarm);
    if (!repeat) {
      ringOnce();
      repeat = setInterval(ringOnce, REPEAT_MS);
    }
    if (!flash) {
      var n = 0;
      flash = setInterval(function () {
        document.title = (n % 2 === 0) ? '🔴 ' + t('flash') + ' · ' + baseTitle : baseTitle;
        n += 1;
      }, 800);
    }
  }

  function stop() {
    current = null;
    box.hidden = true;
    document.body.classList.remove('alarm-on');
    if (repeat) { clearInterval(repeat); repeat = null; }
    if (flash) { clearInterval(flash); flash = null; document.title = baseTitle; }
  }

  // Rings for the first kind with an alarm not acknowledged on this device, else stops.
  function evaluate() {
    for (var i = 0; i < KINDS.length; i += 1) {
      var kind = KINDS[i];
      var alarm = latest[kind];
      if (alarm && alarm.newest && alarm.count > 0 && alarm.newest > acked(kind)) { ring(kind, alarm); return; }
    }
    stop();
  }
  function handle(alarm, caseAlarm) {
    latest.conversation = alarm || null;
    latest['case'] = caseAlarm || null;
    if (alarm && here && here === alarm.newest) { setAcked('conversation', alarm.newest); }
    evaluate();
  }

  ackBtn.addEventListener('click', function () {
    if (current) { setAcked(current.kind, current.alarm.newest); }
    stop();
    evaluate();
  });
  open.addEventListener('click', function () { if (current) { setAcked(current.kind, current.alarm.newest); } });
  // Acknowledged in another tab of this device.
  window.addEventListener('storage', function (e) {
    if (e.key === KEYS.conversation || e.key === KEYS['case']) { evaluate(); }
  });

  // The bell: allows desktop notifications and tests the sound, after a click.
  function showBell() {
    if (!bell) { return; }
    var allowed = window.Notification && Notification.permission === 'granted';
    var sound = audio && audio.state === 'running';
    bell.classList.toggle('on', !!(allowed && sound));
    bell.title = allowed ? t('bell-on') : t('bell-off');
  }
  if (bell) {
    bell.hidden = false;
    bell.addEventListener('click', function () {
      arm();
      beep();
      if (window.Notification && Notification.permission === 'default') {
        Notification.requestPermission().then(showBell, showBell);
      }
      showBell();
    });
    showBell();
  }

  // A session that ended (the idle timeout) must not leave a page that looks alive: the
  // stream's own requests are told 401, and a prompt covers the page with the way back.
  var ended = document.getElementById('session-ended');
  function sessionEnded() {
    if (!ended || !ended.hidden) { return; }
    var login = document.getElementById('session-ended-login');
    if (login) { login.href = '/login?next=' + encodeURIComponent(location.pathname + location.search); }
    ended.hidden = false;
    stop();
    document.title = '⚠ ' + baseTitle;
    document.body.setAttribute('data-live', 'ended');
  }
  window.caunoiSessionEnded = sessionEnded;

  var source = null;
  function connect() {
    source = new EventSource(url);
    source.addEventListener('ready', onReady);
    source.addEventListener('change', onChange);
    source.addEventListener('error', function () {
      if (source.readyState !== EventSource.CLOSED) { return; }
      // Closed for good: the session ended (401), or the server is away; ask which.
      fetch('/account', { credentials: 'same-origin', headers: { 'X-Caunoi-Live': '1' }, method: 'HEAD' })
        .then(function (r) { if (r.status === 401) { sessionEnded(); } else { setTimeout(connect, 3000); } })
        .catch(function () { setTimeout(connect, 3000); });
    });
  }
  function onReady(ev) {
    try {
      var data = JSON.parse(ev.data);
      handle(data.alarm, data.case_alarm);
    } catch (e) { /* a malformed event is skipped */ }
  }
  function onChange(ev) {
    var data = {};
    try { data = JSON.parse(ev.data); } catch (e) { return; }
    handle(data.alarm, data.case_alarm);
    document.dispatchEvent(new CustomEvent('caunoi:live', { detail: data }));
  }
  connect();
  // The inbox opens conversations in place (inbox.js): the stream then follows the open one, so
  // its thread updates live and opening it acknowledges its alarm on this device.
  window.caunoiFollow = function (nextUrl, conversation, title) {
    here = Number(conversation || 0);
    if (title) {
      baseTitle = title;
      if (!flash) { document.title = title; }
    }
    var alarm = latest.conversation;
    if (alarm && here && here === alarm.newest) { setAcked('conversation', alarm.newest); evaluate(); }
    if (nextUrl && nextUrl !== url) {
      url = nextUrl;
      if (source) { source.close(); }
      connect();
    }
  };
  window.addEventListener('beforeunload', function () { if (source) { source.close(); } });
  document.body.setAttribute('data-live', 'on');
})();
