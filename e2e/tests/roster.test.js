// The duty roster on a 390 px phone, in a real browser: the ward's duty officer plans a night
// shift that repeats every night for two weeks, sees it listed as a repeating planning and as
// shifts of the next 14 days, and writes a hand-over note that the next officer on duty will
// read. No horizontal scroll, no console error, axe-core finds no violation; a screenshot is
// kept in test-results/roster-phone.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { withCaunoi, watchErrors, signIn, resultsDir } from '../lib.js';

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const env = withCaunoi();

function local(date, hour) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(hour)}:00`;
}

test('a nightly shift for two weeks and a hand-over note on a phone', async () => {
  const context = await env.browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'vi-VN' });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await signIn(page, env.server.base, 'trucban.baichay');
  await page.goto(`${env.server.base}/inbox/roster?unit=qn-bai-chay`);

  const today = new Date();
  const tomorrow = new Date(today.getTime() + 24 * 3600 * 1000);
  const until = new Date(today.getTime() + 13 * 24 * 3600 * 1000);
  await page.selectOption('#officer', { label: 'Vũ Hoàng Nam' });
  await page.fill('#starts_at', local(today, 22));
  await page.fill('#ends_at', local(tomorrow, 6));
  await page.check('input[name=repeat][value=daily]');
  await page.fill('#until', local(until, 0).slice(0, 10));
  await Promise.all([page.waitForNavigation(), page.click('#add-shift button[type=submit]')]);
  assert.match(await page.textContent('.notice.ok'), /Đã lưu lịch trực/);
  const series = await page.textContent('#series');
  assert.match(series, /Vũ Hoàng Nam/);
  assert.match(series, /Hằng ngày/);
  assert.match(series, /22:00–06:00/);
  assert.match(series, /còn 1[34] ca/);

  // An overlapping planning is refused in place, with the reason, and saves nothing.
  await page.selectOption('#officer', { label: 'Vũ Hoàng Nam' });
  await page.fill('#starts_at', local(tomorrow, 23));
  await page.fill('#ends_at', local(new Date(tomorrow.getTime() + 24 * 3600 * 1000), 1));
  await page.check('input[name=repeat][value=once]');
  await Promise.all([page.waitForNavigation(), page.click('#add-shift button[type=submit]')]);
  assert.match(await page.textContent('.notice.err[role=alert]'), /trùng giờ/);

  await page.goto(`${env.server.base}/inbox/roster?unit=qn-bai-chay`);
  await page.fill('#handover-text', 'Tổ 5 khu 3 còn theo dõi vụ cháy; gọi lại chị Hoa lúc 7 giờ.');
  await Promise.all([page.waitForNavigation(), page.click('#handover button[type=submit]')]);
  assert.match(await page.textContent('.notice.ok'), /Đã lưu ghi chú bàn giao ca/);

  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(wide <= 390, `no horizontal scroll (${wide} px)`);
  await page.screenshot({ path: join(resultsDir, 'roster-phone.png'), fullPage: true });
  await page.locator('#series').scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(resultsDir, 'roster-phone-series.png') });
  await page.evaluate(AXE);
  const result = await page.evaluate(() => window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa', 'best-practice'] }));
  const violations = result.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  assert.deepEqual(violations, []);
  // The refused planning above answered 422 on purpose; nothing else may fail.
  assert.deepEqual(errors.filter((e) => !/status of 422/.test(e)), []);
  await context.close();
});
