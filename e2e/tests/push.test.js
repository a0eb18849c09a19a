// Web Push alarms in a real browser. Headless Chromium here cannot reach a real push service
// (pushManager.subscribe() waits forever for Google's servers, which this machine cannot
// reach; Playwright's default incognito contexts refuse push altogether), so the test stands
// in for the push service: the page's PushManager hands out a subscription whose endpoint is
// a small push service this test runs on 127.0.0.1 (caunoi runs with
// CAUNOI_PUSH_TEST_ENDPOINTS=on). Everything else is real: the service worker at /sw.js, the
// permission asked after the click, the subscription posted through the CSRF check, the device
// list, "Gửi thử", caunoi's worker encrypting and signing the message. The test's push service
// decrypts it as RFC 8291 says (node:crypto, a third implementation next to caunoi's and the
// Rust testkit's), checks the VAPID JWT (RFC 8292), and hands the plaintext to the browser's
// service worker through the DevTools protocol (ServiceWorker.deliverPushMessage), as a push
// service would; the notification it shows is read back with getNotifications().
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createServer } from 'node:http';
import { createECDH, createPublicKey, hkdfSync, createDecipheriv, randomBytes, verify } from 'node:crypto';
import { startCaunoi, launchBrowser, watchErrors, signIn, resultsDir } from '../lib.js';

let server;
let browser;
let pushService;

const b64u = (buf) => Buffer.from(buf).toString('base64url');
const unb64u = (s) => Buffer.from(s, 'base64url');

// The keys a browser would make when it subscribes: a P-256 pair and a 16-octet secret.
function browserKeys() {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return { ecdh, p256dh: b64u(ecdh.getPublicKey()), auth: b64u(randomBytes(16)) };
}

// RFC 8291 §3.4 with RFC 8188: ECDH with the subscription's private key, HKDF, AES-128-GCM.
function decrypt(keys, body) {
  const salt = body.subarray(0, 16);
  const idlen = body[20];
  const asPublic = body.subarray(21, 21 + idlen);
  const record = body.subarray(21 + idlen);
  const ecdhSecret = keys.ecdh.computeSecret(asPublic);
  const uaPublic = keys.ecdh.getPublicKey();
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), uaPublic, asPublic]);
  const ikm = Buffer.from(hkdfSync('sha256', ecdhSecret, unb64u(keys.auth), keyInfo, 32));
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(record.subarray(record.length - 16));
  const padded = Buffer.concat([decipher.update(record.subarray(0, record.length - 16)), decipher.final()]);
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end -= 1;
  assert.equal(padded[end], 2, 'last-record delimiter');
  return padded.subarray(0, end).toString('utf8');
}

// RFC 8292: vapid t=<ES256 JWT for the endpoint's origin, exp ≤ 24 h, sub>, k=<public key>.
function checkVapid(header, origin) {
  const m = /^vapid t=([^,]+),\s*k=(.+)$/.exec(header || '');
  assert.ok(m, `VAPID authorization: ${header}`);
  const [head, claims, sig] = m[1].split('.');
  assert.equal(JSON.parse(unb64u(head)).alg, 'ES256');
  const k = unb64u(m[2]);
  const key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b64u(k.subarray(1, 33)), y: b64u(k.subarray(33, 65)) }, format: 'jwk' });
  assert.ok(verify('sha256', Buffer.from(`${head}.${claims}`), { key, dsaEncoding: 'ieee-p1363' }, unb64u(sig)), 'signature');
  const c = JSON.parse(unb64u(claims));
  assert.equal(c.aud, origin);
  const now = Math.floor(Date.now() / 1000);
  assert.ok(c.exp > now && c.exp <= now + 24 * 3600, `exp ${c.exp}`);
  assert.match(c.sub, /^(mailto:|https:)/);
  return { claims: c, k: m[2] };
}

function startPushService() {
  const subscriptions = new Map(); // id -> keys
  const received = [];
  const waiting = [];
  const srv = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const id = req.url.split('/').pop();
      const keys = subscriptions.get(id);
      if (!keys) { res.writeHead(410).end(); return; }
      try {
        const vapid = checkVapid(req.headers.authorization, `http://${req.headers.host}`);
        assert.equal(req.headers['content-encoding'], 'aes128gcm');
        const msg = { id, plaintext: decrypt(keys, Buffer.concat(chunks)), urgency: req.headers.urgency, ttl: Number(req.headers.ttl), topic: req.headers.topic, vapid };
        received.push(msg);
        waiting.splice(0).forEach((w) => w(msg));
        res.writeHead(201).end();
      } catch (e) {
        received.push({ id, error: String(e) });
        res.writeHead(400).end(String(e));
      }
    });
  });
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => {
    const origin = `http://127.0.0.1:${srv.address().port}`;
    resolve({
      origin,
      received,
      subscribe() {
        const id = b64u(randomBytes(9));
        const keys = browserKeys();
        subscriptions.set(id, keys);
        return { endpoint: `${origin}/push/${id}`, p256dh: keys.p256dh, auth: keys.auth };
      },
      next(ms = 20_000) {
        return new Promise((res, rej) => {
          waiting.push(res);
          setTimeout(() => rej(new Error('no push message arrived')), ms);
        });
      },
      close: () => new Promise((r) => srv.close(r)),
    });
  }));
}

// Replaces the browser's push service with ours: subscribe() and getSubscription() return a
// subscription at our endpoint; requestPermission() calls are counted.
function standInPushManager(sub) {
  window.__permissionRequests = 0;
  const ask = Notification.requestPermission.bind(Notification);
  Notification.requestPermission = (...a) => { window.__permissionRequests += 1; return ask(...a); };
  // Kept across page loads, as a browser keeps its subscription.
  const STORE = '__stand_in_subscription';
  const make = (key) => ({
    endpoint: sub.endpoint,
    expirationTime: null,
    options: { userVisibleOnly: true, applicationServerKey: key },
    toJSON() { return { endpoint: sub.endpoint, expirationTime: null, keys: { p256dh: sub.p256dh, auth: sub.auth } }; },
    unsubscribe() { localStorage.removeItem(STORE); return Promise.resolve(true); },
  });
  PushManager.prototype.subscribe = function (options) {
    const key = new Uint8Array(options.applicationServerKey);
    localStorage.setItem(STORE, JSON.stringify(Array.from(key)));
    return Promise.resolve(make(key.buffer));
  };
  PushManager.prototype.getSubscription = function () {
    const stored = localStorage.getItem(STORE);
    return Promise.resolve(stored ? make(new Uint8Array(JSON.parse(stored)).buffer) : null);
  };
}

before(async () => {
  pushService = await startPushService();
  process.env.CAUNOI_PUSH_TEST_ENDPOINTS = 'on';
  server = await startCaunoi();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await pushService?.close();
});

test('an officer turns alarms on, and "Gửi thử" rings the service worker', async () => {
  const context = await browser.newContext({
    viewport: { width: 412, height: 915 },
    isMobile: true,
    hasTouch: true,
    userAgent: 'Mozilla/5.0 (Linux; Android 14; SM-A546E) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
  });
  const sub = pushService.subscribe();
  await context.addInitScript(standInPushManager, sub);
  const page = await context.newPage();
  const errors = watchErrors(page);
  await signIn(page, server.base, 'trucban.baichay');

  // The inbox offers alarms, without asking anything on load.
  await page.goto(`${server.base}/inbox`);
  await page.waitForSelector('#push-enable', { state: 'visible' });
  assert.match(await page.textContent('#push-enable'), /Bật báo động trên thiết bị này/);
  assert.equal(await page.evaluate(() => window.__permissionRequests), 0, 'no permission prompt on load');
  assert.equal(await page.evaluate(() => Notification.permission), 'default');
  await page.screenshot({ path: join(resultsDir, 'push-inbox-prompt.png') });
  const manifest = await page.evaluate(() => fetch(document.querySelector('link[rel=manifest]').href).then((r) => r.json()));
  assert.equal(manifest.name, 'caunoi – Trực ban');
  assert.equal(manifest.display, 'standalone');

  // On the device page: a click asks for the permission (granted here through the context),
  // subscribes and stores the device.
  await page.goto(`${server.base}/account`);
  await Promise.all([page.waitForNavigation(), page.click('#alarm-devices')]);
  await page.waitForSelector('#push-on', { state: 'visible' });
  assert.ok(await page.isHidden('#push-off'));
  assert.ok(await page.$('#no-devices'));
  await context.grantPermissions(['notifications'], { origin: server.base });
  assert.equal(await page.evaluate(() => window.__permissionRequests), 0);
  await Promise.all([page.waitForNavigation(), page.click('#push-on')]);
  await page.waitForSelector('#devices tbody tr');
  const row = await page.textContent('#devices tbody tr');
  assert.match(row, /Chrome · Android/);
  assert.match(row, /127\.0\.0\.1/);
  await page.waitForSelector('#devices [data-this-device]', { state: 'visible' });
  await page.waitForSelector('#push-off', { state: 'visible' });
  assert.ok(await page.isHidden('#push-on'), 'one of the two buttons at a time');
  assert.match(await page.textContent('#push-status'), /Thiết bị này đang nhận báo động/);
  const swScope = await page.evaluate(() => navigator.serviceWorker.ready.then((r) => r.scope));
  assert.equal(swScope, `${server.base}/`);
  await page.screenshot({ path: join(resultsDir, 'push-devices.png'), fullPage: true });

  // "Gửi thử": caunoi encrypts and signs; our push service decrypts and checks the token.
  const arriving = pushService.next();
  await Promise.all([page.waitForNavigation(), page.click('#devices button:has-text("Gửi thử")')]);
  assert.match(await page.textContent('.notice.ok'), /Đã gửi báo động thử/);
  const msg = await arriving;
  assert.equal(msg.error, undefined, msg.error);
  assert.equal(msg.urgency, 'high');
  assert.equal(msg.vapid.claims.aud, pushService.origin);
  const key = await page.evaluate(() => fetch('/push/key').then((r) => r.json()));
  assert.equal(msg.vapid.k, key.key);
  const alarm = JSON.parse(msg.plaintext);
  assert.equal(alarm.title, 'Thử báo động caunoi');
  assert.equal(alarm.url, '/account/alarms');

  // As a push service would, hand the message to the browser's service worker.
  const cdp = await context.newCDPSession(page);
  const registrations = [];
  cdp.on('ServiceWorker.workerRegistrationUpdated', (e) => registrations.push(...e.registrations));
  await cdp.send('ServiceWorker.enable');
  const deadline = Date.now() + 10_000;
  while (!registrations.some((r) => r.scopeURL === `${server.base}/` && !r.isDeleted) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
  }
  const reg = registrations.find((r) => r.scopeURL === `${server.base}/` && !r.isDeleted);
  assert.ok(reg, 'the service worker is registered for the whole site');
  await cdp.send('ServiceWorker.deliverPushMessage', { origin: server.base, registrationId: reg.registrationId, data: msg.plaintext });
  const shownBy = Date.now() + 10_000;
  let shown = [];
  while (shown.length === 0 && Date.now() < shownBy) {
    shown = await page.evaluate(async () => {
      const r = await navigator.serviceWorker.ready;
      const n = await r.getNotifications();
      return n.map((x) => ({ title: x.title, body: x.body, tag: x.tag, requireInteraction: x.requireInteraction, renotify: x.renotify, url: x.data && x.data.url }));
    });
    if (shown.length === 0) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(shown.length, 1, 'the service worker showed the alarm');
  const [notification] = shown;
  assert.deepEqual(notification, {
    title: 'Thử báo động caunoi',
    body: 'Thiết bị này sẽ nhận báo động khi có tin khẩn.',
    tag: 'caunoi-test',
    requireInteraction: true,
    renotify: true,
    url: '/account/alarms',
  });

  // Turning alarms off on this device removes it from the list.
  await Promise.all([page.waitForNavigation(), page.click('#push-off')]);
  await page.waitForSelector('#no-devices');
  await page.waitForSelector('#push-on', { state: 'visible' });
  assert.deepEqual(errors, [], 'no script or CSP errors');
  await context.close();
});

test('a browser that blocks notifications gets a clear message and nothing is stored', async () => {
  const context = await browser.newContext();
  const sub = pushService.subscribe();
  await context.addInitScript(standInPushManager, sub);
  const page = await context.newPage();
  const errors = watchErrors(page);
  await signIn(page, server.base, 'canbo.baichay');
  await page.goto(`${server.base}/account/alarms`);
  await page.waitForSelector('#push-on', { state: 'visible' });
  // Headless Chromium dismisses or denies the prompt when nothing grants it.
  await page.click('#push-on');
  await page.waitForFunction(() => /chặn thông báo|chưa cho phép/.test(document.querySelector('#push-status').textContent));
  assert.equal(await page.evaluate(() => window.__permissionRequests), 1, 'asked once, after the click');
  await page.reload();
  assert.ok(await page.$('#no-devices'), 'no device stored');
  assert.deepEqual(errors, [], 'no script or CSP errors');
  await context.close();
});
