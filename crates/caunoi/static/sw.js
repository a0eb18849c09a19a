// caunoi's service worker: shows Web Push alarms and opens the console on a click. It caches
// nothing and handles no fetch: console pages always come from the server. Served from /sw.js
// (push::http) so that its scope is the whole site.
'use strict';

var FALLBACK = {
  title: 'caunoi: báo động mới',
  body: 'Mở bảng điều khiển để xem.',
  url: '/inbox',
  tag: 'caunoi-alarm',
};

self.addEventListener('install', function () { self.skipWaiting(); });
self.addEventListener('activate', function (event) { event.waitUntil(self.clients.claim()); });

self.addEventListener('push', function (event) {
  var alarm = FALLBACK;
  try {
    if (event.data) { alarm = Object.assign({}, FALLBACK, event.data.json()); }
  } catch (e) {
    alarm = FALLBACK;
  }
  var options = {
    body: alarm.body,
    tag: alarm.tag,
    // Same tag: the new alarm replaces the old one and rings again.
    renotify: true,
    // An alarm stays until someone acts on it.
    requireInteraction: true,
    vibrate: [500, 200, 500, 200, 500, 200, 800],
    icon: '/static/icon-192.png',
    badge: '/static/icon-192.png',
    lang: 'vi',
    timestamp: alarm.at || Date.now(),
    data: { url: alarm.url },
  };
  event.waitUntil(self.registration.showNotification(alarm.title, options));
});

self.addEventListener('notificationclick', function (event) {
  event.notification.close();
  var path = (event.notification.data && event.notification.data.url) || '/inbox';
  var target = new URL(path, self.location.origin);
  if (target.origin !== self.location.origin) { target = new URL('/inbox', self.location.origin); }
  event.waitUntil(openConsole(target.href));
});

// Focuses a console tab that shows the page already, else brings a console tab to the page,
// else opens a new window.
function openConsole(url) {
  return self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then(function (tabs) {
    var same = tabs.filter(function (c) { return c.url === url; })[0];
    if (same) { return same.focus(); }
    var ours = tabs.filter(function (c) { return new URL(c.url).origin === self.location.origin; });
    var tab = ours.filter(function (c) { return c.focused; })[0] || ours[0];
    if (tab && tab.navigate) {
      return tab.focus()
        .then(function (c) { return (c || tab).navigate(url); })
        .catch(function () { return self.clients.openWindow(url); });
    }
    return self.clients.openWindow(url);
  });
}

// The push service replaced the subscription: subscribe again with the same server key and
// tell caunoi (with the officer's session cookie, if it is still signed in).
self.addEventListener('pushsubscriptionchange', function (event) {
  var old = event.oldSubscription;
  var key = old && old.options && old.options.applicationServerKey;
  if (!key) { return; }
  event.waitUntil(
    self.registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key })
      .then(function (sub) {
        return fetch('/push/subscriptions', {
          method: 'POST',
          credentials: 'same-origin',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(sub.toJSON()),
        });
      })
      .catch(function () { /* the officer turns alarms on again from the console */ })
  );
});
