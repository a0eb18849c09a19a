// The web chat in a real browser on a phone screen: a citizen asks the ID card fee without
// diacritics, the answer arrives over the live stream, they tap 👍; no console or CSP errors,
// no horizontal scrolling. Also the widget on a page of another origin opens the chat framed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { withCaunoi, watchErrors, resultsDir } from '../lib.js';

const env = withCaunoi();

test('a citizen asks the fee on a 390x844 phone and gets the answer, then taps helpful', async () => {
  const ctx = await env.browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await ctx.newPage();
  const errors = watchErrors(page);
  await page.goto(`${env.server.base}/u/qn-bai-chay/chat`);
  assert.equal(await page.textContent('.chat-head h1'), 'Công an phường Bãi Cháy');
  await page.fill('#text', 'lam cccd het bao nhieu tien');
  await page.click('#send');
  const answer = page.locator('.msg.out .bubble', { hasText: 'Lệ phí cấp, đổi, cấp lại thẻ căn cước' });
  await answer.first().waitFor({ timeout: 20_000 });
  assert.equal(await page.locator('.msg.in .bubble').first().textContent(), 'lam cccd het bao nhieu tien');
  assert.equal(await page.inputValue('#text'), '', 'the composer is cleared');

  const thumbsUp = page.locator('.msg.out .thumb', { hasText: 'Hữu ích' }).first();
  await thumbsUp.click();
  await page.locator('.msg.in .bubble', { hasText: '👍 Hữu ích' }).waitFor({ timeout: 10_000 });
  assert.ok(await thumbsUp.evaluate((b) => b.classList.contains('on') && b.disabled));

  const overflow = await page.evaluate(() => ({
    doc: document.documentElement.scrollWidth, body: document.body.scrollWidth, width: window.innerWidth,
  }));
  assert.ok(overflow.doc <= overflow.width && overflow.body <= overflow.width, `no horizontal scroll: ${JSON.stringify(overflow)}`);
  const composer = await page.locator('#composer').boundingBox();
  assert.ok(composer.y + composer.height <= 844 + 1, `the composer stays on screen: ${JSON.stringify(composer)}`);

  await page.waitForTimeout(300); // let the last bubble finish scrolling into view for the picture
  await page.screenshot({ path: join(resultsDir, 'webchat-phone.png') });

  // Reload: the same conversation comes back.
  await page.reload();
  await page.locator('.msg.out .bubble', { hasText: 'Lệ phí cấp, đổi, cấp lại thẻ căn cước' }).first().waitFor({ timeout: 10_000 });
  assert.deepEqual(errors, [], 'no script or CSP errors');
  await ctx.close();
});

test('the widget on another site opens the chat in a frame', async () => {
  const host = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html lang="vi"><head><meta name="viewport" content="width=device-width, initial-scale=1"></head>
      <body><h1>Trang của xã</h1><script src="${env.server.base}/widget.js" data-unit="qn-bai-chay" defer></script></body></html>`);
  });
  await new Promise((r) => host.listen(0, '127.0.0.1', r));
  const hostUrl = `http://localhost:${host.address().port}/`;
  const ctx = await env.browser.newContext({ viewport: { width: 1200, height: 800 } });
  const page = await ctx.newPage();
  const errors = watchErrors(page);
  try {
    await page.goto(hostUrl);
    await page.click('text=Hỏi đáp với Công an');
    const frame = page.frameLocator('iframe[src*="/u/qn-bai-chay/chat?embed=1"]');
    await frame.locator('#text').fill('cho em gặp cán bộ');
    await frame.locator('#send').click();
    await frame.locator('.msg.in .bubble', { hasText: 'cho em gặp cán bộ' }).waitFor({ timeout: 10_000 });
    await frame.locator('.msg.out').first().waitFor({ timeout: 20_000 });
    await page.screenshot({ path: join(resultsDir, 'webchat-widget.png') });
    await frame.locator('#close').click();
    assert.equal(await page.locator('iframe').isVisible(), false, 'the close button folds the panel');
    assert.deepEqual(errors, [], 'no script or CSP errors');
  } finally {
    await ctx.close();
    host.close();
  }
});
