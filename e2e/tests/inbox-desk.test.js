// The inbox as a desk for a whole shift, in a real browser. A citizen writes a long thread to the
// Bãi Cháy OA through the fake Zalo and asks for an officer. On a desktop the ward officer lands
// on the inbox after signing in, opens the conversation from its card without a page load (the
// address changes; Back, Forward and reload work), sees the list beside the open conversation
// with the newest message and the reply box in view, the live stream following it, and replies,
// notes and inserts a canned reply without the page reloading. On a 390 px phone the inbox is
// one column of cards with no horizontal scroll; a card opens the conversation in place, Back
// returns to the list where it was scrolled, and the reply box stays reachable before and
// after a reply. Without script the cards are plain links. axe-core finds no violation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { startCaunoi, launchBrowser, watchErrors, signIn, resultsDir } from '../lib.js';

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const BAI_CHAY_OA = '2960384411273650002';
const CITIZEN = '7712390045123987001';
const MESSAGES = 14;
// Other citizens waiting in the ward, so the phone's list is longer than the screen.
const OTHERS = 8;
// The card of the citizen with the long thread.
const THREAD_CARD = `#inbox-list .conv-card:has-text("tin số ${MESSAGES}") a.conv-link`;

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

async function citizenSays(text, citizen = CITIZEN) {
  const r = await fetch(`${fake}/__fake/users/${citizen}/send`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ oa_id: BAI_CHAY_OA, text }),
  });
  assert.equal(r.status, 200, await r.text());
}

async function axe(page) {
  await page.evaluate(AXE);
  const result = await page.evaluate(() => window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa', 'best-practice'] }));
  return result.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

// Whether the element's box lies inside the window (and, given, inside a scrolling box).
async function inView(page, selector, within) {
  return page.evaluate(([sel, box]) => {
    const el = document.querySelector(sel);
    if (!el) return false;
    const r = el.getBoundingClientRect();
    const inWindow = r.top >= 0 && r.bottom <= window.innerHeight && r.height > 0;
    if (!box) return inWindow;
    const b = document.querySelector(box).getBoundingClientRect();
    return inWindow && r.top >= b.top - 1 && r.bottom <= b.bottom + 1;
  }, [selector, within]);
}

// The text of the thread's last message of a kind (citizen, officer, note).
async function lastOf(page, kind) {
  const texts = await page.$$eval(`#thread .msg.${kind} .body`, (els) => els.map((e) => e.textContent.trim()));
  return texts[texts.length - 1] || '';
}

// Clicks a card of the list and waits for its conversation to be swapped in; asserts the page
// itself was not loaded again (a marker set on `window` survives) and the address is the
// conversation's.
async function openInPlace(page, card = '#inbox-list a.conv-link') {
  await page.evaluate(() => { window.deskMarker = 'same page'; });
  const href = await page.getAttribute(card, 'href');
  await page.click(card);
  await page.waitForFunction((h) => {
    const pane = document.getElementById('conv-pane');
    return pane && h.startsWith(`/inbox/${pane.getAttribute('data-conversation')}`);
  }, href);
  assert.equal(await page.evaluate(() => window.deskMarker), 'same page', 'no page load on a card click');
  const url = new URL(page.url());
  assert.equal(url.pathname + url.search, href, 'the address is the conversation\'s');
  return href;
}

async function waitForCard(page) {
  // The hand-off and the later messages arrive through the webhook worker; the live list
  // reloads, and the citizen's card's preview ends at the newest message.
  await page.waitForFunction((n) => [...document.querySelectorAll('#inbox-list .conv-card .preview')]
    .some((p) => p.textContent.includes(`tin số ${n}`)), MESSAGES, { timeout: 30_000 });
}

before(async () => {
  server = await startCaunoi();
  browser = await launchBrowser();
  fake = await fakeZaloUrl();
  for (let i = 1; i <= OTHERS; i += 1) {
    await citizenSays(`cho em gặp cán bộ, em là người số ${i}`, `77123900451239880${String(i).padStart(2, '0')}`);
  }
  await citizenSays('cho em gặp cán bộ');
  for (let i = 1; i <= MESSAGES; i += 1) {
    await citizenSays(`Em gửi thêm thông tin, tin số ${i}: nhà em ở khu 3, xe máy bị mất trước cửa.`);
  }
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('on a desktop the list sits beside the open conversation and actions keep the page', async () => {
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 800 } });
  const page = await ctx.newPage();
  const errors = watchErrors(page);
  await signIn(page, server.base, 'canbo.baichay');
  assert.match(new URL(page.url()).pathname, /^\/inbox$/, 'an officer lands on the inbox after signing in');
  await page.waitForSelector('body[data-live="on"]');
  await waitForCard(page);
  assert.match(await page.textContent('.tabs a[data-queue="waiting"] .count'), /^[1-9]/, 'the waiting tab counts it');
  assert.deepEqual(await axe(page), [], 'the inbox passes axe');

  const href = await openInPlace(page, THREAD_CARD);
  assert.equal(await page.evaluate(() => document.activeElement && document.activeElement.id), 'conv-title',
    'the focus moves to the opened conversation');
  assert.equal(await page.getAttribute('#inbox-list .conv-card.open a.conv-link', 'href'), href, 'its card is marked open');
  await page.screenshot({ path: join(resultsDir, 'inbox-desk-desktop.png') });
  const list = await page.locator('.desk-list').boundingBox();
  const pane = await page.locator('#conv-pane').boundingBox();
  assert.ok(list && pane && list.x + list.width <= pane.x && Math.abs(list.y - pane.y) < 40,
    `two panes side by side: ${JSON.stringify({ list, pane })}`);
  assert.ok(await inView(page, '#thread .msg:last-child', '#thread-scroll'), 'the newest message is in view');
  assert.match(await lastOf(page, 'citizen'), new RegExp(`tin số ${MESSAGES}`));
  assert.equal(await inView(page, '#thread .msg:first-child', '#thread-scroll'), false, 'not opened at the oldest');
  assert.ok(await inView(page, '#text'), 'the reply box is in view under the thread');
  assert.deepEqual(await axe(page), [], 'the conversation passes axe');

  // The live stream follows the conversation opened in place: a new message reaches its thread.
  await citizenSays('Em bổ sung: biển số xe 14B1-123.45.');
  await page.waitForFunction(() => /14B1-123\.45/.test(document.getElementById('thread').textContent), null, { timeout: 20_000 });
  assert.equal(await page.evaluate(() => window.deskMarker), 'same page');

  // Back: the list again, in place; Forward: the conversation again; reload: the same page
  // from the server.
  await page.goBack();
  await page.waitForSelector('.desk-empty');
  assert.equal(new URL(page.url()).pathname, '/inbox');
  assert.equal(await page.locator('#conv-pane').count(), 0);
  assert.equal(await page.evaluate(() => window.deskMarker), 'same page', 'Back did not load a page');
  assert.equal(await page.evaluate(() => document.activeElement && document.activeElement.getAttribute('href')), href,
    'back on the list, the focus is on the card it came from');
  await page.goForward();
  await page.waitForSelector('#conv-pane');
  assert.equal(new URL(page.url()).pathname + new URL(page.url()).search, href);
  assert.equal(await page.evaluate(() => window.deskMarker), 'same page');
  await page.reload();
  await page.waitForSelector('#conv-pane #thread');
  assert.equal(await page.evaluate(() => window.deskMarker), undefined, 'a reload is a real load');
  assert.match(await lastOf(page, 'citizen'), /14B1-123\.45/);
  await page.waitForSelector('body[data-live="on"]');

  // Reply without reloading: the page keeps its marker, the reply is in the thread, the box is
  // empty and has the focus, and the newest message is still in view.
  await page.evaluate(() => { window.deskMarker = 'still here'; });
  const reply = 'Chào anh, cán bộ phường Bãi Cháy đã nhận thông tin và sẽ liên hệ ngay.';
  await page.fill('#text', reply);
  await page.click('#send');
  await page.waitForSelector('#action-notice');
  assert.match(await page.textContent('#action-notice'), /Đã gửi trả lời/);
  assert.equal(await page.evaluate(() => window.deskMarker), 'still here', 'no page load');
  assert.match(await lastOf(page, 'officer'), /sẽ liên hệ ngay/);
  assert.ok(await inView(page, '#thread .msg:last-child', '#thread-scroll'));
  assert.equal(await page.inputValue('#text'), '');
  assert.equal(await page.evaluate(() => document.activeElement && document.activeElement.id), 'text');
  assert.ok(await page.locator('#mine-flag').isVisible(), 'replying took the conversation');
  assert.match(page.url(), /done=reply/);

  // A note, the same way.
  await page.click('.note-box summary');
  await page.fill('#note', 'Đã gọi lại cho người dân lúc 21:10.');
  await page.click('.note-form button[type=submit]');
  await page.waitForFunction(() => /ghi chú nội bộ/.test(document.querySelector('#action-notice')?.textContent || ''));
  assert.equal(await page.evaluate(() => window.deskMarker), 'still here');
  assert.match(await lastOf(page, 'note'), /Đã gọi lại/);
  // The list beside it was swapped too: the conversation left "waiting" for "mine".
  assert.equal(await page.textContent('.tabs a[data-queue="mine"] .count'), '1');

  // A refused action (a transfer without a reason) shows its error in place.
  await page.selectOption('#unit', 'quang-ninh');
  await page.click('#transfer');
  await page.waitForSelector('#action-error');
  assert.match(await page.textContent('#action-error'), /Cần ghi lý do chuyển tiếp/);
  assert.equal(await page.evaluate(() => window.deskMarker), 'still here');
  // The browser logs the refused request's 422 itself; nothing else may fail.
  assert.deepEqual(errors.filter((e) => !/status of 422/.test(e)), [], 'no script or CSP errors');
  await ctx.close();
});

test('a canned reply goes into the reply box to edit, with the unit hotline filled', async () => {
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 800 } });
  const page = await ctx.newPage();
  const errors = watchErrors(page);
  await signIn(page, server.base, 'trucban.baichay');
  await page.goto(`${server.base}/inbox/canned?unit=qn-bai-chay`);
  await page.fill('#title', 'Hẹn gọi lại');
  await page.fill('#body', 'Chào {ten_cong_dan}, {ten_don_vi} sẽ gọi lại. Đường dây nóng: {hotline}.');
  await Promise.all([page.waitForNavigation(), page.click('form[action="/inbox/canned"][method="post"] button[type=submit]')]);
  await page.goto(`${server.base}/inbox?queue=unit`);
  await openInPlace(page);
  await page.fill('#text', 'Cảm ơn anh.');
  await page.evaluate(() => { const t = document.getElementById('text'); t.setSelectionRange(t.value.length, t.value.length); });
  await page.evaluate(() => { window.deskMarker = 'kept'; });
  await page.click('#canned-insert');
  const text = await page.inputValue('#text');
  assert.match(text, /^Cảm ơn anh\. Chào .+, Công an phường Bãi Cháy sẽ gọi lại\. Đường dây nóng: 0203 /, text);
  assert.equal(await page.evaluate(() => window.deskMarker), 'kept', 'inserted in place, nothing sent');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'text');
  assert.deepEqual(errors, []);
  await ctx.close();
});

test('on a 390 px phone the inbox is one column of cards and the reply box stays reachable', async () => {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await ctx.newPage();
  const errors = watchErrors(page);
  await signIn(page, server.base, 'canbo.baichay');
  await page.goto(`${server.base}/inbox?queue=unit`);
  await page.waitForSelector('#inbox-list .conv-card');
  const width = () => page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(await width() <= 390, `no horizontal scroll on the list: ${await width()}`);
  assert.equal(await page.locator('table').count(), 0, 'cards, not a table');
  const nav = await page.locator('header.top').boundingBox();
  assert.ok(nav.height < 140, `the header stays small: ${nav.height}px`);
  await page.screenshot({ path: join(resultsDir, 'inbox-desk-phone-list.png'), fullPage: true });
  assert.deepEqual(await axe(page), []);

  // Scrolled down the list, a card opens its conversation in place; Back returns to the list
  // where it was scrolled, with the focus on that card.
  await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
  const listY = await page.evaluate(() => window.scrollY);
  assert.ok(listY > 100, `the list is longer than the screen: ${listY}`);
  const last = '#inbox-list .conv-card:last-child a.conv-link';
  const lastHref = await openInPlace(page, last);
  assert.equal(await page.locator('.desk-list').isVisible(), false, 'one column: the list steps aside');
  assert.ok(await page.locator('#conv-pane').isVisible());
  await page.goBack();
  await page.waitForSelector('.desk-list', { state: 'visible' });
  assert.equal(await page.evaluate(() => window.deskMarker), 'same page', 'Back did not load a page');
  assert.equal(new URL(page.url()).search, '?queue=unit');
  const backY = await page.evaluate(() => window.scrollY);
  assert.ok(Math.abs(backY - listY) <= 2, `back at the same place of the list: ${backY} vs ${listY}`);
  assert.equal(await page.evaluate(() => document.activeElement && document.activeElement.getAttribute('href')), lastHref);

  await page.evaluate(() => window.scrollTo(0, 0));
  await openInPlace(page);
  assert.ok(await width() <= 390, `no horizontal scroll on the conversation: ${await width()}`);
  assert.equal(await page.locator('.desk-list').isVisible(), false, 'one column: the list steps aside');
  await page.screenshot({ path: join(resultsDir, 'inbox-desk-phone-conversation.png') });
  assert.ok(await inView(page, '#text'), 'the reply box is reachable without scrolling');
  assert.ok(await inView(page, '#thread .msg:last-child', '#thread-scroll'), 'the newest message is in view');
  assert.deepEqual(await axe(page), []);

  await page.evaluate(() => { window.deskMarker = 'phone'; });
  await page.fill('#text', 'Anh vui lòng gửi ảnh chụp nơi mất xe.');
  await page.click('#send');
  await page.waitForFunction(() => /Đã gửi trả lời/.test(document.querySelector('#action-notice')?.textContent || ''));
  assert.equal(await page.evaluate(() => window.deskMarker), 'phone', 'no page load');
  assert.ok(await inView(page, '#text'), 'after a reply the reply box is still in view');
  assert.ok(await inView(page, '#thread .msg:last-child', '#thread-scroll'), 'and the thread shows the reply');
  assert.match(await lastOf(page, 'officer'), /gửi ảnh chụp/);
  assert.ok(await width() <= 390);
  await page.screenshot({ path: join(resultsDir, 'inbox-desk-phone-after-reply.png') });
  assert.deepEqual(errors, []);
  await ctx.close();
});

test('without script, a reply comes back to the reply box of the same conversation', async () => {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, javaScriptEnabled: false });
  const page = await ctx.newPage();
  await signIn(page, server.base, 'canbo.baichay');
  await page.goto(`${server.base}/inbox?queue=unit`);
  await Promise.all([page.waitForNavigation(), page.click('#inbox-list a.conv-link')]);
  await page.fill('#text', 'Tin gửi không cần script.');
  await Promise.all([page.waitForNavigation(), page.click('#send')]);
  assert.match(page.url(), /\/inbox\/\d+\?queue=unit&done=reply#reply-form$/);
  assert.match(await page.textContent('#action-notice'), /Đã gửi trả lời/);
  assert.ok(await page.evaluate(() => window.scrollY) > 0, 'the page opens at the reply box, not the top');
  assert.ok(await inView(page, '#text'));
  await ctx.close();
});
