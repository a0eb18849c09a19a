// The citizen's pages on a 390 px phone, checked with axe-core (WCAG 2 A/AA rules): the unit's
// public page with "Mở trò chuyện" and "Gọi" at the top and no QR code to scan with the phone
// itself, the chat page (also on a desktop, where Enter sends), and the 404 page of a unit's
// address, which leads back to the unit's page and never to the officers' sign-in.
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

function phone() {
  return env.browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
}

test('the public page puts chat and call first on a phone and passes axe', async () => {
  const ctx = await phone();
  const page = await ctx.newPage();
  const errors = watchErrors(page);
  await page.goto(`${env.server.base}/u/qn-bai-chay`);
  const chat = await page.locator('#open-chat').boundingBox();
  assert.ok(chat && chat.y + chat.height < 844, `"Mở trò chuyện" is on the first screen: ${JSON.stringify(chat)}`);
  assert.ok(await page.locator('.top-actions a[href^="tel:"]').count() === 1, 'a call button beside it');
  assert.ok(await page.locator('.qr-chat-card').isHidden(), 'no QR code to scan with the phone itself');
  assert.match(await page.textContent('.hero .level'), /Phường · trực thuộc Công an tỉnh Quảng Ninh/);
  assert.equal(await page.locator('.map-links a').count(), 2, 'map and directions');
  await page.screenshot({ path: join(resultsDir, 'public-page-phone.png') });
  assert.deepEqual(await axe(page), []);
  assert.deepEqual(errors, []);
  await ctx.close();
});

test('the chat page passes axe on a phone, and Enter sends on a desktop', async () => {
  const ctx = await phone();
  const page = await ctx.newPage();
  await page.goto(`${env.server.base}/u/qn-bai-chay/chat`);
  await page.fill('#text', 'lam cccd het bao nhieu tien');
  await page.click('#send');
  await page.locator('.msg.out .bubble', { hasText: 'Lệ phí' }).first().waitFor({ timeout: 20_000 });
  assert.deepEqual(await axe(page), []);
  const small = await page.$$eval('button, a[href], input:not([type=file]), textarea', (els) => els
    .filter((e) => e.offsetParent !== null)
    .map((e) => ({ id: e.id || e.className || e.tagName, r: e.getBoundingClientRect() }))
    .filter(({ r }) => r.width < 44 || r.height < 44)
    .map(({ id, r }) => `${id} ${Math.round(r.width)}x${Math.round(r.height)}`));
  assert.deepEqual(small, [], 'every tap target is at least 44 px');
  await ctx.close();

  const desk = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const d = await desk.newPage();
  await d.goto(`${env.server.base}/u/qn-bai-chay/chat`);
  await d.fill('#text', 'xin chao');
  await d.press('#text', 'Enter');
  await d.locator('.msg.in .bubble', { hasText: 'xin chao' }).first().waitFor({ timeout: 10_000 });
  assert.equal(await d.inputValue('#text'), '', 'Enter sent the message');
  await d.fill('#text', 'dong 1');
  await d.press('#text', 'Shift+Enter');
  assert.match(await d.inputValue('#text'), /dong 1\n/, 'Shift+Enter starts a new line');
  await desk.close();
});

test('a missing page under a unit leads back to the unit, never to the sign-in', async () => {
  const ctx = await phone();
  const page = await ctx.newPage();
  const r = await page.goto(`${env.server.base}/u/qn-bai-chay/khong-co-trang-nay`);
  assert.equal(r.status(), 404);
  assert.equal(await page.getAttribute('a.btn', 'href'), '/u/qn-bai-chay');
  assert.equal(await page.locator('a[href="/login"], a[href="/"]').count(), 0);
  assert.equal(await page.locator('a[href="tel:113"]').count(), 1);
  await ctx.close();
});
