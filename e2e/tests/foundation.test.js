// Foundation in a real browser: sign-in, the unit tree, editing a unit through the form (CSRF
// lets the real site through), and the public unit page with its QR code on a phone screen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { withCaunoi, watchErrors, signIn, resultsDir } from '../lib.js';

const env = withCaunoi();

test('an officer signs in and sees the unit tree of the province', async () => {
  const page = await env.browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = watchErrors(page);
  await signIn(page, env.server.base, 'admin.qn');
  assert.equal(new URL(page.url()).pathname, '/units');
  await page.waitForSelector('#unit-tree');
  const names = await page.$$eval('#unit-tree a.name', (as) => as.map((a) => a.textContent.trim()));
  assert.ok(names.includes('Công an tỉnh Quảng Ninh'));
  assert.ok(names.includes('Công an phường Bãi Cháy'));
  assert.ok(names.length >= 29, `tree has ${names.length} units`);
  await page.screenshot({ path: join(resultsDir, 'unit-tree.png'), fullPage: true });
  await page.click('text=Công an phường Bãi Cháy');
  await page.waitForSelector('h1');
  assert.equal(await page.textContent('h1'), 'Công an phường Bãi Cháy');
  assert.deepEqual(errors, [], 'no script or CSP errors');
  await page.close();
});

test('a wrong password shows a clear Vietnamese message', async () => {
  const page = await env.browser.newPage();
  await page.goto(`${env.server.base}/login`);
  await page.fill('#username', 'admin.qn');
  await page.fill('#password', 'sai mật khẩu');
  await page.click('main button[type=submit]');
  await page.waitForSelector('.notice.err');
  assert.match(await page.textContent('.notice.err'), /Tên đăng nhập hoặc mật khẩu không đúng/);
  await page.close();
});

test('an admin edits the page details of a ward through the form', async () => {
  const page = await env.browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = watchErrors(page);
  await signIn(page, env.server.base, 'admin.qn');
  await page.goto(`${env.server.base}/units/qn-bai-chay/edit`);
  await page.fill('#hotline', '0203 3999 777');
  await page.fill('#hours_sun', 'abc');
  await page.click('main button[type=submit]');
  await page.waitForSelector('.field-error');
  assert.match(await page.textContent('.field-error'), /Giờ làm việc không hợp lệ/);
  await page.fill('#hours_sun', '');
  await Promise.all([page.waitForNavigation(), page.click('main button[type=submit]')]);
  assert.match(await page.textContent('.notice.ok'), /Đã lưu thông tin đơn vị/);
  assert.match(await page.textContent('dl.facts'), /0203 3999 777/);
  assert.deepEqual(errors.filter((e) => !e.includes('422')), []);
  await page.close();
});

test('the public unit page works on a 390x844 phone screen, and shows its QR code on a desktop', async () => {
  const ctx = await env.browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await ctx.newPage();
  const errors = watchErrors(page);
  await page.goto(`${env.server.base}/u/qn-bai-chay`);
  assert.equal(await page.textContent('.hero h1'), 'Công an phường Bãi Cháy');
  const tel = await page.$$eval('a.call', (as) => as.map((a) => a.getAttribute('href')));
  assert.ok(tel.includes('tel:113'));
  assert.ok(tel.some((h) => /^tel:\+84\d{9,10}$/.test(h)), `tap-to-call links: ${tel}`);
  assert.ok(await page.locator('#qr-chat').isHidden(), 'no QR code for the phone to scan itself');
  const scrollWidth = await page.evaluate(() => document.scrollingElement.scrollWidth);
  assert.ok(scrollWidth <= 390, `no sideways scrolling (${scrollWidth}px)`);
  const desk = await env.browser.newPage({ viewport: { width: 1280, height: 900 } });
  await desk.goto(`${env.server.base}/u/qn-bai-chay`);
  const qr = await desk.$('#qr-chat svg');
  assert.ok(qr, 'QR code is drawn');
  const box = await qr.boundingBox();
  assert.ok(box.width >= 150, `QR is large enough to scan: ${JSON.stringify(box)}`);
  const png = await desk.$eval('a[href$="qr.png"]', (a) => a.getAttribute('href'));
  await desk.close();
  const r = await fetch(env.server.base + png);
  assert.equal(r.headers.get('content-type'), 'image/png');
  await page.screenshot({ path: join(resultsDir, 'public-unit-phone.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await ctx.close();
});
