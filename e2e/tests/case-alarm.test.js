// An urgent report from the web form rings on the duty officer's open console: a citizen on a
// 390 px phone reports a fight with a knife through the ward's report form (the category is
// not an urgent one: the text makes it urgent); the duty officer of Bãi Cháy, looking at
// another console page, sees the red banner and gets a desktop notification within seconds,
// with a link to the case; opening the case takes the alarm, so it rings on no device any more.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { withCaunoi, watchErrors, signIn, resultsDir, RECORD_NOTIFICATIONS } from '../lib.js';

const env = withCaunoi();

async function quietConsole(base, username, path) {
  const ctx = await env.browser.newContext({ viewport: { width: 1280, height: 900 } });
  await ctx.addInitScript(RECORD_NOTIFICATIONS);
  const page = await ctx.newPage();
  const errors = watchErrors(page);
  await signIn(page, base, username);
  await page.goto(`${base}${path}`);
  await page.waitForSelector('body[data-live="on"]');
  return { ctx, page, errors };
}

test('an urgent web report rings on the duty officer\'s open console until the case is opened', async () => {
  const officer = await quietConsole(env.server.base, 'trucban.baichay', '/kb');
  assert.ok(await officer.page.locator('#alarm').isHidden(), 'quiet before anything happens');

  const citizenCtx = await env.browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const citizen = await citizenCtx.newPage();
  const citizenErrors = watchErrors(citizen);
  await citizen.goto(`${env.server.base}/u/qn-bai-chay/bao-tin`);
  await citizen.click('text=Đánh nhau, đe dọa, đòi nợ');
  await citizen.waitForSelector('#description');
  await citizen.fill('#description', 'Có người đánh nhau cầm dao trước cổng chợ Bãi Cháy, nhiều người đang bỏ chạy.');
  await citizen.fill('#address', 'Cổng chợ Bãi Cháy, đường Hạ Long');
  await citizen.check('input[name="mode"][value="anonymous"]');
  const sentAt = Date.now();
  await Promise.all([citizen.waitForURL(/\/bao-tin\/bien-nhan$/), citizen.click('#send-report')]);
  const code = (await citizen.textContent('#case-code')).trim();
  assert.match(code, /^TB-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
  await citizen.screenshot({ path: join(resultsDir, 'case-alarm-citizen-phone.png'), fullPage: true });

  // The officer's page (the knowledge base, not the board) rings within seconds.
  const page = officer.page;
  await page.locator('#alarm:not([hidden])').waitFor({ timeout: 15_000 });
  const rangAfter = Date.now() - sentAt;
  assert.match(await page.textContent('#alarm .alarm-text'), /tin báo khẩn cấp/);
  const href = await page.getAttribute('#alarm .alarm-open', 'href');
  assert.match(href, /^\/cases\/\d+$/);
  const notes = await page.evaluate(() => window.__notifications);
  assert.equal(notes.length, 1, `one desktop notification: ${JSON.stringify(notes)}`);
  assert.match(notes[0].title, /khẩn cấp/i);
  assert.match(notes[0].body, /tin báo khẩn cấp/);
  assert.ok(!/dao|đánh nhau|chợ/.test(JSON.stringify(notes)), 'no report text in the notification');
  await page.screenshot({ path: join(resultsDir, 'case-alarm-officer.png') });
  // Another console page: still ringing.
  await page.goto(`${env.server.base}/units`);
  await page.locator('#alarm:not([hidden])').waitFor({ timeout: 10_000 });

  // The link opens the case; opening it takes the alarm.
  await Promise.all([page.waitForURL(new RegExp(`${href}$`)), page.click('#alarm .alarm-open')]);
  assert.match(await page.textContent('main'), new RegExp(code));
  assert.match(await page.textContent('main'), /Báo động tin khẩn/);
  await page.goto(`${env.server.base}/kb`);
  await page.waitForSelector('body[data-live="on"]');
  await page.waitForTimeout(2500);
  assert.ok(await page.locator('#alarm').isHidden(), 'an opened case does not ring again');
  // Taken on the env.server, not only on this device: a fresh browser of the same officer is quiet.
  const other = await quietConsole(env.server.base, 'trucban.baichay', '/account');
  await other.page.waitForTimeout(2500);
  assert.ok(await other.page.locator('#alarm').isHidden(), 'quiet on another device too');

  assert.deepEqual(officer.errors, [], 'no script or CSP errors on the console');
  assert.deepEqual(other.errors, [], 'no script or CSP errors on the console');
  assert.deepEqual(citizenErrors, [], 'no script or CSP errors on the form');
  console.log(`# the console rang ${rangAfter} ms after the citizen pressed "send"`);
  await officer.ctx.close();
  await other.ctx.close();
  await citizenCtx.close();
});

test('the banner\'s "Đã nhận" silences the case alarm on this device only', async () => {
  const desk = await quietConsole(env.server.base, 'trucban.baichay', '/kb');
  const citizenCtx = await env.browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const citizen = await citizenCtx.newPage();
  await citizen.goto(`${env.server.base}/u/qn-bai-chay/bao-tin`);
  await citizen.click('text=Cháy, nổ');
  await citizen.waitForSelector('#description');
  await citizen.fill('#description', 'Khói đen bốc lên từ kho hàng cuối phố.');
  await citizen.fill('#address', 'Tổ 5, khu 2, phường Bãi Cháy');
  await citizen.check('input[name="mode"][value="anonymous"]');
  await Promise.all([citizen.waitForURL(/\/bao-tin\/bien-nhan$/), citizen.click('#send-report')]);

  await desk.page.locator('#alarm:not([hidden])').waitFor({ timeout: 15_000 });
  assert.match(await desk.page.getAttribute('#alarm .alarm-open', 'href'), /^\/cases\/\d+$/);
  await desk.page.click('#alarm .alarm-ack');
  assert.ok(await desk.page.locator('#alarm').isHidden());
  await desk.page.reload();
  await desk.page.waitForSelector('body[data-live="on"]');
  await desk.page.waitForTimeout(2500);
  assert.ok(await desk.page.locator('#alarm').isHidden(), 'acknowledged on this device');
  // The case itself was not opened: another device of the duty desk still rings.
  const other = await quietConsole(env.server.base, 'trucban.baichay', '/account');
  await other.page.locator('#alarm:not([hidden])').waitFor({ timeout: 10_000 });
  assert.deepEqual(desk.errors, []);
  await desk.ctx.close();
  await other.ctx.close();
  await citizenCtx.close();
});
