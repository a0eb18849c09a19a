// The officer inbox in a real browser: a citizen writes to the Bãi Cháy OA through the fake
// Zalo and asks for an officer, the ward officer sees the conversation in the inbox, opens it,
// replies, and sees the reply in the thread; the reply leaves through the outbox to the fake.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startCaunoi, launchBrowser, watchErrors, signIn, resultsDir } from '../lib.js';

const BAI_CHAY_OA = '2960384411273650002';
const CITIZEN = '7712390045123987654';
const PNG_1X1 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAAC0lEQVR42mNgAAIAAAUAAen63NgAAAAASUVORK5CYII=';

let server;
let browser;
let fake;

async function fakeZaloUrl() {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const m = /Fake Zalo: (http:\/\/\S+)/.exec(server.output());
    if (m) return m[1].replace(/\/$/, '');
    if (Date.now() > deadline) throw new Error(`no fake Zalo announced:\n${server.output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

before(async () => {
  server = await startCaunoi();
  browser = await launchBrowser();
  fake = await fakeZaloUrl();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('an officer opens a handed-off conversation, replies, and sees the reply in the thread', async () => {
  const sent = await fetch(`${fake}/__fake/users/${CITIZEN}/send`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ oa_id: BAI_CHAY_OA, text: 'cho em gặp cán bộ' }),
  });
  assert.equal(sent.status, 200, await sent.text());

  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = watchErrors(page);
  await signIn(page, server.base, 'canbo.baichay');
  await page.goto(`${server.base}/inbox`);
  await page.waitForSelector('body[data-live="on"]');
  // The hand-off arrives through the webhook worker; the live stream reloads the list.
  await page.waitForSelector('#inbox-list a.conv-link', { timeout: 20_000 });
  await page.screenshot({ path: join(resultsDir, 'inbox-queue.png'), fullPage: true });
  // The card opens the conversation in place (inbox.js), at its own address.
  await page.click('#inbox-list a.conv-link');
  await page.waitForSelector('#conv-pane #thread');
  assert.match(new URL(page.url()).pathname, /^\/inbox\/\d+$/);
  assert.match(await page.textContent('#thread'), /cho em gặp cán bộ/);
  assert.match(await page.textContent('#reply-window'), /Cửa sổ trả lời Zalo mở đến/);

  const reply = 'Chào anh, tôi là cán bộ Công an phường Bãi Cháy, anh cần hỗ trợ gì ạ?';
  await page.fill('#text', reply);
  // The reply is posted in place (inbox.js): the notice replaces the pane, no page load.
  await page.click('#reply-form button[type=submit]');
  await page.waitForSelector('#action-notice');
  assert.match(await page.textContent('#action-notice'), /Đã gửi trả lời/);
  const officerMessages = await page.$$eval('#thread .msg.officer .body', (els) => els.map((e) => e.textContent.trim()));
  assert.ok(officerMessages.includes(reply), `thread shows the reply: ${officerMessages}`);
  await page.screenshot({ path: join(resultsDir, 'inbox-conversation.png'), fullPage: true });

  // The outbox worker delivers it to the (fake) Zalo.
  const deadline = Date.now() + 15_000;
  let delivered = false;
  while (!delivered && Date.now() < deadline) {
    const r = await fetch(`${fake}/__fake/messages?user_id=${CITIZEN}&oa_id=${BAI_CHAY_OA}`);
    delivered = JSON.stringify(await r.json()).includes('cán bộ Công an phường Bãi Cháy');
    if (!delivered) await new Promise((res) => setTimeout(res, 300));
  }
  assert.ok(delivered, 'the reply reached the fake Zalo');

  // A photo as a reply: shown in the thread through the officer media route, sent to Zalo as
  // an uploaded image.
  await page.setInputFiles('#file', { name: 'so-do.png', mimeType: 'image/png', buffer: Buffer.from(PNG_1X1, 'base64') });
  await page.evaluate(() => document.getElementById('action-notice').remove());
  await page.click('#reply-form button[type=submit]');
  await page.waitForSelector('#action-notice');
  assert.match(await page.textContent('#action-notice'), /Đã gửi trả lời/);
  await page.waitForFunction(() => {
    const img = document.querySelector('#thread .msg.officer img.thread-img');
    return img && img.complete && img.naturalWidth > 0;
  });
  const photoDeadline = Date.now() + 15_000;
  let photo = false;
  while (!photo && Date.now() < photoDeadline) {
    const r = await fetch(`${fake}/__fake/messages?user_id=${CITIZEN}&oa_id=${BAI_CHAY_OA}`);
    photo = JSON.stringify(await r.json()).includes('"kind":"image"');
    if (!photo) await new Promise((res) => setTimeout(res, 300));
  }
  assert.ok(photo, 'the photo reached the fake Zalo');
  assert.deepEqual(errors, [], 'no script or CSP errors');
  await page.close();
});
