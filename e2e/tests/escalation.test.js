// An unacknowledged alarm widens, in a real browser, on a moved clock. Every open console page
// of the ward rings at once (inbox::alarms: open pages ring on their own); the escalation is for
// the officers who are not looking. The duty officer's page rings for a fire from the web chat,
// and nobody opens it. The server's clock is moved past the two minutes (CAUNOI_TEST_CLOCK=on,
// the browser-test counterpart of the Rust tests' `clock.advance`); the escalation worker's next
// round (every 15 s of real time) widens the alarm — counted on /metrics, which an operator
// alerts on — while the page keeps ringing; the step is on the conversation's timeline when an
// officer opens it, and opening it stops the widening.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { withCaunoi, watchErrors, signIn, resultsDir, RECORD_NOTIFICATIONS } from '../lib.js';

const env = withCaunoi({ testClock: true });

async function console_(username, path) {
  const ctx = await env.browser.newContext({ viewport: { width: 1280, height: 900 } });
  await ctx.addInitScript(RECORD_NOTIFICATIONS);
  const page = await ctx.newPage();
  const errors = watchErrors(page);
  await signIn(page, env.server.base, username);
  await page.goto(`${env.server.base}${path}`);
  await page.waitForSelector('body[data-live="on"]');
  return { ctx, page, errors };
}

async function escalations() {
  const text = await (await fetch(`${env.server.base}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('caunoi_alarm_escalations_total{subject="conversation"}'));
  return line ? Number(line.split(' ').pop()) : 0;
}

test('an alarm nobody acknowledges widens on the clock, keeps ringing, and is on the timeline', async () => {
  const duty = await console_('trucban.baichay', '/kb');

  const citizenCtx = await env.browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const chat = await citizenCtx.newPage();
  await chat.goto(`${env.server.base}/u/qn-bai-chay/chat`);
  await chat.fill('#text', 'nha ben canh dang chay lon, khoi den mu mit, cuu voi');
  await chat.click('#send');
  await chat.locator('.msg.out .bubble', { hasText: '114' }).first().waitFor({ timeout: 20_000 });

  await duty.page.locator('#alarm:not([hidden])').waitFor({ timeout: 20_000 });
  const href = await duty.page.getAttribute('#alarm .alarm-open', 'href');
  assert.match(href, /^\/inbox\/\d+$/);
  assert.equal(await escalations(), 0, 'nothing widens before two minutes');

  // Two minutes pass without anyone opening it: the worker's next round widens it.
  await env.server.advanceClock(2 * 60 + 1);
  const deadline = Date.now() + 40_000;
  while ((await escalations()) < 1) {
    assert.ok(Date.now() < deadline, 'the alarm widened within two escalation rounds');
    await duty.page.waitForTimeout(500);
  }
  assert.equal(await escalations(), 1, 'one step, not one per round');
  // Still ringing on the open page (nobody acknowledged it), now on another page too.
  await duty.page.goto(`${env.server.base}/units`);
  await duty.page.locator('#alarm:not([hidden])').waitFor({ timeout: 10_000 });
  assert.equal(await duty.page.getAttribute('#alarm .alarm-open', 'href'), href);

  // An officer of the ward opens it: the step is on the timeline, and the widening stops.
  const officer = await console_('canbo.baichay', href);
  const main = await officer.page.textContent('main');
  assert.match(main, /Báo động tin khẩn lan rộng/);
  assert.match(main, /báo cho tất cả cán bộ của đơn vị/);
  await officer.page.screenshot({ path: join(resultsDir, 'escalation-timeline.png') });
  await env.server.advanceClock(10 * 60);
  await duty.page.waitForTimeout(16_000);
  assert.equal(await escalations(), 1, 'an opened alarm widens no more');

  assert.deepEqual(duty.errors, [], 'no script or CSP errors (duty officer)');
  assert.deepEqual(officer.errors, [], 'no script or CSP errors (officer)');
  await duty.ctx.close();
  await officer.ctx.close();
  await citizenCtx.close();
});
