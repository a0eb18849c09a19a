// The duty alarm in a real browser: the duty officer of Bãi Cháy has the console open on a page
// that is not the inbox; a citizen on a phone reports a fight in the web chat; the officer's
// page rings (the red banner, a desktop notification) and keeps ringing from page to page until
// "Đã nhận". The citizen's header says the conversation waits for an officer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { withCaunoi, watchErrors, signIn, resultsDir, RECORD_NOTIFICATIONS } from '../lib.js';

const env = withCaunoi();

test('an emergency in the web chat rings on the duty officer\'s open console until acknowledged', async () => {
  const officerCtx = await env.browser.newContext({ viewport: { width: 1280, height: 900 } });
  await officerCtx.addInitScript(RECORD_NOTIFICATIONS);
  const officer = await officerCtx.newPage();
  const officerErrors = watchErrors(officer);
  await signIn(officer, env.server.base, 'trucban.baichay');
  await officer.goto(`${env.server.base}/kb`);
  await officer.waitForSelector('body[data-live="on"]');
  assert.ok(await officer.locator('#alarm').isHidden(), 'quiet before anything happens');

  const citizenCtx = await env.browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const citizen = await citizenCtx.newPage();
  const citizenErrors = watchErrors(citizen);
  await citizen.goto(`${env.server.base}/u/qn-bai-chay/chat`);
  await citizen.fill('#text', 'co nguoi danh nhau cam dao o cho ha long, cuu voi');
  await citizen.click('#send');
  await citizen.locator('.msg.out .bubble', { hasText: 'KHẨN CẤP' }).first().waitFor({ timeout: 20_000 });
  await citizen.locator('#chat-state[data-state="waiting_human"]').waitFor({ timeout: 10_000 });
  assert.match(await citizen.textContent('#chat-state'), /Đang chờ cán bộ/);
  await citizen.screenshot({ path: join(resultsDir, 'alarm-citizen-phone.png') });

  // The officer's page rings within a few seconds.
  await officer.locator('#alarm:not([hidden])').waitFor({ timeout: 20_000 });
  assert.match(await officer.textContent('#alarm .alarm-text'), /KHẨN/);
  const href = await officer.getAttribute('#alarm .alarm-open', 'href');
  assert.match(href, /^\/inbox\/\d+$/);
  const notes = await officer.evaluate(() => window.__notifications);
  assert.equal(notes.length, 1, `one desktop notification: ${JSON.stringify(notes)}`);
  assert.match(notes[0].title, /khẩn cấp/i);
  assert.ok(!/danh nhau|dao/.test(JSON.stringify(notes)), 'no message text in the notification');
  await officer.screenshot({ path: join(resultsDir, 'alarm-officer.png') });

  // Another page: still ringing (not acknowledged).
  await officer.goto(`${env.server.base}/units`);
  await officer.locator('#alarm:not([hidden])').waitFor({ timeout: 10_000 });
  // Acknowledged: quiet, and it stays quiet after a reload.
  await officer.click('#alarm .alarm-ack');
  assert.ok(await officer.locator('#alarm').isHidden());
  await officer.reload();
  await officer.waitForSelector('body[data-live="on"]');
  await officer.waitForTimeout(2500);
  assert.ok(await officer.locator('#alarm').isHidden(), 'an acknowledged alarm does not ring again');

  // The conversation is in the inbox, urgent first.
  await officer.goto(`${env.server.base}${href}`);
  assert.match(await officer.textContent('#thread'), /danh nhau/);
  assert.deepEqual(officerErrors, [], 'no script or CSP errors on the console');
  assert.deepEqual(citizenErrors, [], 'no script or CSP errors in the chat');
  await officerCtx.close();
  await citizenCtx.close();
});

test('a watched inbox whose session ended shows a sign-in prompt over itself, never a nested sign-in page', async () => {
  const ctx = await env.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const inbox = await ctx.newPage();
  await signIn(inbox, env.server.base, 'canbo.baichay');
  await inbox.goto(`${env.server.base}/inbox?queue=unit`);
  await inbox.waitForSelector('body[data-live="on"]');
  // The session ends elsewhere (signed out in another tab; the idle timeout does the same).
  const other = await ctx.newPage();
  await other.goto(`${env.server.base}/account`);
  await Promise.all([other.waitForNavigation(), other.click('form[action="/logout"] button')]);
  // Something changes in the unit: the page tries to refresh its list.
  const citizen = await env.browser.newContext({ viewport: { width: 390, height: 844 } });
  const chat = await citizen.newPage();
  await chat.goto(`${env.server.base}/u/qn-bai-chay/chat`);
  await chat.fill('#text', 'cho em gap can bo');
  await chat.click('#send');
  await inbox.locator('#session-ended:not([hidden])').waitFor({ timeout: 20_000 });
  assert.match(await inbox.textContent('#session-ended'), /Phiên đăng nhập đã hết/);
  assert.equal(await inbox.getAttribute('#session-ended-login', 'href'), '/login?next=%2Finbox%3Fqueue%3Dunit');
  assert.equal(await inbox.locator('#inbox-list form[action="/login"], #inbox-list #password').count(), 0, 'no sign-in page nested in the list');
  await inbox.screenshot({ path: join(resultsDir, 'session-ended.png') });
  await ctx.close();
  await citizen.close();
});
