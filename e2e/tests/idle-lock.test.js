// The duty device's idle lock in a real browser. The ward's admin allows duty devices; the duty
// officer of Bãi Cháy keeps this browser as the duty device and leaves the units page open.
// The server's clock is moved past the idle timeout (CAUNOI_TEST_CLOCK=on: POST /__test/clock
// from this machine, the browser-test counterpart of the Rust tests' `clock.advance`), so the
// test does not wait 30 minutes. Then an emergency in the web chat still rings on the open page
// (its live stream runs on while locked); the next page asks for the password at /unlock, which
// rings too; the password returns to the page the officer asked for, and the session goes on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { withCaunoi, watchErrors, signIn, resultsDir, DEMO_PASSWORD, RECORD_NOTIFICATIONS } from '../lib.js';

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const env = withCaunoi({ testClock: true });

async function axe(page) {
  await page.evaluate(AXE);
  const result = await page.evaluate(() => window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa', 'best-practice'] }));
  return result.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

test('an idle duty device asks for the password on the next page, keeps ringing, and returns to that page', async () => {
  // The ward's admin (the province's) lets Bãi Cháy keep duty devices signed in for 12 hours.
  const adminCtx = await env.browser.newContext();
  const admin = await adminCtx.newPage();
  await signIn(admin, env.server.base, 'admin.qn');
  await admin.goto(`${env.server.base}/inbox/roster?unit=qn-bai-chay`);
  await admin.selectOption('#duty-session #hours', '12');
  await Promise.all([admin.waitForNavigation(), admin.click('#duty-session button[type=submit]')]);
  await adminCtx.close();

  const ctx = await env.browser.newContext({ viewport: { width: 1280, height: 900 } });
  await ctx.addInitScript(RECORD_NOTIFICATIONS);
  const page = await ctx.newPage();
  const errors = watchErrors(page);
  await signIn(page, env.server.base, 'trucban.baichay');
  await page.goto(`${env.server.base}/inbox`);
  await Promise.all([page.waitForNavigation(), page.click('form#duty-device button[type=submit]')]);
  assert.match(await page.textContent('#duty-device'), /Thiết bị trực ban: phiên đăng nhập được giữ đến/);
  await page.goto(`${env.server.base}/units`);
  await page.waitForSelector('body[data-live="on"]');

  // Idle past the timeout (30 minutes by default).
  await env.server.advanceClock(31 * 60);

  // An emergency while locked: the open page's stream still brings it.
  const citizenCtx = await env.browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const chat = await citizenCtx.newPage();
  await chat.goto(`${env.server.base}/u/qn-bai-chay/chat`);
  await chat.fill('#text', 'chay nha o to 5 khu 3, cuu voi');
  await chat.click('#send');
  await chat.locator('.msg.out .bubble', { hasText: 'KHẨN CẤP' }).first().waitFor({ timeout: 20_000 });
  await page.locator('#alarm:not([hidden])').waitFor({ timeout: 20_000 });
  assert.match(await page.textContent('#alarm .alarm-text'), /KHẨN/);
  assert.equal(await page.evaluate(() => window.__notifications.length), 1, 'a desktop notification while locked');

  // The next page asks for the password first, and still rings.
  await page.goto(`${env.server.base}/kb?q=c%C6%B0%20tr%C3%BA`);
  assert.equal(new URL(page.url()).pathname, '/unlock');
  assert.equal(new URL(page.url()).searchParams.get('next'), '/kb?q=c%C6%B0%20tr%C3%BA');
  assert.match(await page.textContent('h1'), /Mở khóa thiết bị trực/);
  await page.waitForSelector('body[data-live="on"]');
  await page.locator('#alarm:not([hidden])').waitFor({ timeout: 10_000 });
  assert.equal(await page.locator('header nav a[href="/inbox"]').count(), 0, 'no console navigation while locked');
  await page.screenshot({ path: join(resultsDir, 'idle-lock-unlock.png') });
  assert.deepEqual(await axe(page), [], 'the unlock page passes axe');

  // A wrong password: refused, still locked, nothing else opens.
  await page.fill('#password', 'sai-mat-khau');
  await page.click('form[action="/unlock"] button[type=submit]');
  await page.waitForSelector('.notice.err');
  assert.match(await page.textContent('.notice.err'), /Mật khẩu không đúng/);
  const locked = await page.request.get(`${env.server.base}/account`, { maxRedirects: 0 });
  assert.equal(locked.status(), 303);
  assert.match(locked.headers().location, /^\/unlock\?next=/);

  // The password: back to the page asked for, the session alive again.
  await page.fill('#password', DEMO_PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click('form[action="/unlock"] button[type=submit]')]);
  const url = new URL(page.url());
  assert.equal(url.pathname + url.search, '/kb?q=c%C6%B0%20tr%C3%BA');
  await page.waitForSelector('body[data-live="on"]');
  await page.goto(`${env.server.base}/account`);
  assert.equal(new URL(page.url()).pathname, '/account', 'unlocked: pages open again');
  // The browser logs the wrong password's 422 itself; nothing else may fail.
  assert.deepEqual(errors.filter((e) => !/status of 422/.test(e)), [], 'no script or CSP errors');
  await ctx.close();
  await citizenCtx.close();
});
