// Connecting a unit's Zalo OA from the console, in a real browser against the demo's fake
// Zalo: the form in Vietnamese, "Kết nối với Zalo" to the consent page and back, the live
// check's OA name, the domain verification file, the public page's Zalo link, a refused
// consent, and a revocation that disconnects the OA and tells the admin.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { startCaunoi, launchBrowser, watchErrors, signIn, resultsDir } from '../lib.js';

let server;
let browser;
let demo;

before(async () => {
  server = await startCaunoi();
  browser = await launchBrowser();
  demo = JSON.parse(readFileSync(join(server.dataDir, 'demo.json'), 'utf8'));
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const shot = (page, name) => page.screenshot({ path: join(resultsDir, name), fullPage: true });

async function fake(path, body) {
  const r = await fetch(`${demo.fake_zalo_url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body ?? {}),
  });
  assert.ok(r.ok, `${path}: ${r.status}`);
}

test('an admin connects the ward\'s OA through Zalo\'s consent page, and a revocation disconnects it', async () => {
  const oa = demo.zalo_oas.find((o) => o.unit === 'qn-hong-gai');
  assert.ok(oa && !oa.connected, 'the demo has an OA waiting to be connected');
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = watchErrors(page);
  await signIn(page, server.base, 'admin.honggai');
  await page.goto(`${server.base}/units/qn-hong-gai`);
  assert.match(await page.textContent('#zalo-summary'), /Chưa kết nối/);
  await Promise.all([page.waitForNavigation(), page.click('#zalo-summary a')]);
  assert.equal(new URL(page.url()).pathname, '/units/qn-hong-gai/zalo');
  assert.equal(await page.inputValue('#callback-url'), `${server.base}/zalo/callback`);
  await shot(page, 'zalo-connect-empty-desktop.png');

  await page.fill('#app_id', oa.app_id);
  await page.fill('#oa_id', oa.oa_id);
  await page.fill('#app_secret', oa.app_secret);
  await page.fill('#oa_secret_key', oa.oa_secret_key);
  // Through the fake's consent page and back to caunoi's callback.
  await Promise.all([page.waitForURL(/\/units\/qn-hong-gai\/zalo\?done=connected/), page.click('#zalo-consent')]);
  assert.match(await page.textContent('.notice.ok'), /Đã kết nối Zalo OA/);
  assert.match(await page.textContent('#zalo-health'), /Đã kết nối/);
  assert.equal((await page.textContent('#zalo-oa-name')).trim(), 'Công an phường Hồng Gai');
  assert.equal(await page.inputValue('#webhook-url'), `${server.base}/channels/zalo/${oa.oa_id}/webhook`);

  // Domain verification: the code Zalo gives, served at the site root.
  const code = 'E2eVerifier_Code-123456789';
  await page.fill('#site_code', `zalo_verifier${code}.html`);
  await Promise.all([page.waitForNavigation(), page.click('#zalo-verification button[type=submit]')]);
  assert.match(await page.textContent('.notice.ok'), /Đã lưu mã xác thực tên miền/);
  await shot(page, 'zalo-connected-desktop.png');
  const file = await fetch(`${server.base}/zalo_verifier${code}.html`);
  assert.equal(file.status, 200);
  assert.match(await file.text(), new RegExp(`zalo-platform-site-verification" content="${code}"`));
  const root = await fetch(`${server.base}/`, { redirect: 'manual' });
  assert.match(await root.text(), new RegExp(`<meta name="zalo-platform-site-verification" content="${code}">`));

  // The public page now sends citizens to the OA.
  const citizen = await browser.newPage({ viewport: { width: 390, height: 844 } });
  await citizen.goto(`${server.base}/u/qn-hong-gai`);
  assert.ok(await citizen.$(`a[href="https://zalo.me/${oa.oa_id}"]`), 'the follow link is shown');

  // A refused consent, then a revocation on Zalo's side.
  await fake('/__fake/faults', { kind: 'next_consent', consent: { decision: 'deny' } });
  await Promise.all([page.waitForURL(/error=denied/), page.click('#zalo-consent')]);
  assert.match(await page.textContent('#zalo-problem'), /Bạn đã từ chối hoặc hủy việc cấp quyền/);
  assert.match(await page.textContent('#zalo-health'), /Đã kết nối/, 'a refused reconnection keeps the connection');
  await shot(page, 'zalo-consent-denied-desktop.png');

  await fake(`/__fake/oas/${oa.oa_id}/revoke`);
  await page.goto(`${server.base}/units`);
  assert.match(await page.textContent('.notice.err'), /Zalo OA · Công an phường Hồng Gai:.*đã mất kết nối/s);
  await shot(page, 'zalo-revoked-landing-desktop.png');
  await page.goto(`${server.base}/units/qn-hong-gai/zalo`);
  assert.match(await page.textContent('#zalo-lost'), /Quản trị viên OA đã thu hồi quyền/);
  await citizen.reload();
  assert.equal(await citizen.$('a[href^="https://zalo.me/"]'), null, 'a disconnected OA is not advertised');

  // Reconnecting with the stored secrets (the fields stay empty).
  await Promise.all([page.waitForURL(/done=connected/), page.click('#zalo-consent')]);
  assert.match(await page.textContent('#zalo-health'), /Đã kết nối/);
  assert.deepEqual(errors, [], 'no script or CSP errors');
  await citizen.close();
  await page.close();
});

test('on a phone the connection page reads top to bottom and the token pair can be pasted', async () => {
  const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
  const errors = watchErrors(page);
  await signIn(page, server.base, 'admin.qn');
  await page.goto(`${server.base}/units/qn-bai-chay/zalo`);
  assert.match(await page.textContent('#zalo-health'), /Đã kết nối/);
  await shot(page, 'zalo-connected-phone.png');
  // A made-up pair is checked with Zalo and refused, nothing changes.
  const oa = demo.zalo_oas.find((o) => o.unit === 'qn-bai-chay');
  await page.click('#zalo-paste summary');
  await page.fill('#access_token', 'made-up-access-token');
  await page.fill('#refresh_token', 'made-up-refresh-token');
  await Promise.all([page.waitForNavigation(), page.click('#zalo-save-tokens')]);
  assert.match(await page.textContent('.field-error'), /Zalo không chấp nhận cặp mã này/);
  assert.equal(await page.inputValue('#oa_id'), oa.oa_id);
  await shot(page, 'zalo-paste-refused-phone.png');
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `no sideways scrolling (${width}px)`);
  // The refused form answers 422, which Chromium logs; nothing else may appear.
  assert.deepEqual(errors.filter((e) => !/status of 422/.test(e)), [], 'no script or CSP errors');
  await page.close();
});
