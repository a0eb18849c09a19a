// An anonymous report from a 390 px phone: the unit's page → "Gửi tin báo, phản ánh" → the
// noise category → the form (typed address, the category's question, anonymous) → the receipt,
// kept until "Tôi đã lưu mã" → the thread, and again after leaving it, opened with the receipt
// typed with spaces. (The officer's reply is covered by the Rust test `cases_public`; this
// checkout has no console route for cases yet.) Every page passes axe and fits the screen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { withCaunoi, watchErrors, resultsDir } from '../lib.js';

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const env = withCaunoi();

async function axe(page) {
  await page.evaluate(AXE);
  const result = await page.evaluate(() => window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa', 'best-practice'] }));
  return result.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

async function fitsTheScreen(page, what) {
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `${what} is ${width} px wide on a 390 px phone`);
}

test('an anonymous report from a phone gets a receipt that opens its thread', async () => {
  const ctx = await env.browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await ctx.newPage();
  const errors = watchErrors(page);
  await page.goto(`${env.server.base}/u/qn-bai-chay`);
  await page.click('#open-report');
  await page.waitForURL(/\/u\/qn-bai-chay\/bao-tin$/);
  assert.ok(await page.locator('.cat-list li.urgent', { hasText: 'Cháy, nổ' }).locator('a[href="tel:114"]').count() === 1,
    'the fire category shows 114');
  await fitsTheScreen(page, 'the category list');
  assert.deepEqual(await axe(page), []);
  await page.click('text=Gây ồn ào, mất trật tự');

  await page.waitForSelector('#description');
  await page.fill('#description', 'Quán karaoke cuối ngõ hát rất to đến 2 giờ sáng mỗi đêm.');
  await page.fill('#address', 'Ngõ 12 đường Hạ Long, gần chợ Bãi Cháy');
  await page.fill('#occurred', 'Đêm qua, khoảng 23 giờ');
  await page.check('input[name="q_source"][value="karaoke"]');
  await page.check('input[name="mode"][value="anonymous"]');
  assert.ok(await page.locator('#identity').isHidden(), 'nothing to give when anonymous');
  await fitsTheScreen(page, 'the form');
  assert.deepEqual(await axe(page), []);
  await page.screenshot({ path: join(resultsDir, 'report-form-phone.png'), fullPage: true });
  await Promise.all([page.waitForURL(/\/bao-tin\/bien-nhan$/), page.click('#send-report')]);

  const receipt = (await page.textContent('#receipt')).trim();
  const code = (await page.textContent('#case-code')).trim();
  assert.match(receipt, /^\d{4} \d{4} \d{4} \d{4}$/);
  assert.match(code, /^TB-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
  assert.match(await page.textContent('main'), /Lưu mã này: đây là cách duy nhất để xem trả lời của cán bộ/);
  assert.ok(await page.locator('#qr-receipt svg').count() === 1, 'the receipt as a QR code');
  await fitsTheScreen(page, 'the receipt');
  assert.deepEqual(await axe(page), []);
  await page.screenshot({ path: join(resultsDir, 'report-receipt-phone.png'), fullPage: true });
  // The box must be ticked before going on (the browser refuses the form without it).
  await page.click('#go-on');
  assert.match(page.url(), /\/bao-tin\/bien-nhan$/);
  await page.check('input[name="saved"]');
  await Promise.all([page.waitForURL(/\/bao-tin\/theo-doi/), page.click('#go-on')]);
  assert.equal((await page.textContent('#case-code')).trim(), code);
  assert.match(await page.textContent('#status'), /Đã tiếp nhận, đang chờ Công an phường Bãi Cháy xử lý/);

  // Leave, come back with the receipt typed with spaces.
  await Promise.all([page.waitForURL(/\/bao-tin\/theo-doi/), page.click('#sign-out')]);
  await page.fill('#receipt', ` ${receipt.replaceAll(' ', '  ')} `);
  await Promise.all([page.waitForURL(/\/bao-tin\/theo-doi/), page.click('#open')]);
  assert.equal((await page.textContent('#case-code')).trim(), code);
  assert.match(await page.textContent('#status'), /Đã tiếp nhận/);
  await page.fill('#text', 'Tối nay quán lại mở nhạc to.');
  await Promise.all([page.waitForURL(/sent=1/), page.click('#send')]);
  assert.match(await page.textContent('#thread'), /Tối nay quán lại mở nhạc to\./);
  await fitsTheScreen(page, 'the thread');
  assert.deepEqual(await axe(page), []);
  await page.screenshot({ path: join(resultsDir, 'report-thread-phone.png'), fullPage: true });

  // The receipt page is gone for good.
  await page.goto(`${env.server.base}/bao-tin/bien-nhan`);
  assert.doesNotMatch(await page.textContent('main'), new RegExp(receipt));
  assert.deepEqual(errors.filter((e) => !/status of 410/.test(e)), []);
  await ctx.close();
});
