// The first start of a real installation, in a real browser on a phone: the sign-in page of an
// empty server says where to begin; the link caunoi printed opens the setup form; a mistaken
// code is named and nothing is lost but the passwords; the right form signs the new admin in and
// lists the next steps; the unit's page details are filled in from there; the unit's public page
// and its chat work at once, the chat answering from the starter knowledge base; the link is
// closed afterwards. No console or CSP errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { withCaunoi, watchErrors, resultsDir } from '../lib.js';

const env = withCaunoi({ empty: true });

test('an admin sets an empty installation up from the printed link on a phone', async () => {
  const ctx = await env.browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await ctx.newPage();
  const errors = watchErrors(page);

  await page.goto(`${env.server.base}/`);
  assert.match(await page.textContent('main'), /chưa có tài khoản cán bộ nào/);

  const link = env.server.setupLink();
  assert.ok(link.startsWith(`${env.server.base}/setup?token=`), link);
  await page.goto(link);
  await page.fill('#unit_name', 'Công an phường Hạ Long');
  await page.selectOption('#unit_kind', 'ward');
  await page.fill('#unit_code', 'Hạ Long');
  await page.fill('#display_name', 'Trần Thị Bình');
  await page.fill('#username', 'quantri.halong');
  await page.fill('#password', 'mat-khau-rat-dai-2027');
  await page.fill('#password_again', 'mat-khau-rat-dai-2027');
  await Promise.all([page.waitForNavigation(), page.click('main button[type=submit]')]);
  assert.match(await page.textContent('.notice.err'), /Chưa có gì được lưu/);
  assert.match(await page.textContent('main'), /Mã đơn vị gồm 2–40 ký tự/);
  assert.equal(await page.inputValue('#unit_name'), 'Công an phường Hạ Long', 'what was typed is kept');
  assert.equal(await page.inputValue('#password'), '', 'passwords are never sent back');

  await page.fill('#unit_code', 'ha-long');
  await page.fill('#password', 'mat-khau-rat-dai-2027');
  await page.fill('#password_again', 'mat-khau-rat-dai-2027');
  await Promise.all([page.waitForNavigation(), page.click('main button[type=submit]')]);
  assert.match(page.url(), /\/setup\/done\?unit=ha-long/);
  assert.match(await page.textContent('main'), /Đã cài đặt xong/);
  await page.screenshot({ path: join(resultsDir, 'first-setup-done.png'), fullPage: true });

  // The first next step: the page details citizens see.
  await Promise.all([page.waitForNavigation(), page.click('text=Điền thông tin trang đơn vị')]);
  assert.match(page.url(), /\/units\/ha-long\/edit$/);
  await page.fill('input[name=hotline]', '0203 3846 123');
  await page.fill('input[name=duty_phone]', '0912 345 678');
  await page.fill('input[name=address]', 'Số 1 đường Hạ Long, phường Hạ Long');
  await Promise.all([page.waitForNavigation(), page.click('main form button[type=submit]')]);
  assert.match(page.url(), /\/units\/ha-long/);

  // Citizens: the public page with the numbers, and the chat answering from the starter base.
  const citizen = await env.browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const pub = await citizen.newPage();
  const citizenErrors = watchErrors(pub);
  await pub.goto(`${env.server.base}/u/ha-long`);
  const body = await pub.textContent('body');
  assert.ok(body.includes('Công an phường Hạ Long') && body.includes('0912 345 678'), body);
  await pub.goto(`${env.server.base}/u/ha-long/chat`);
  await pub.fill('#text', 'lam cccd het bao nhieu tien');
  await pub.click('#send');
  await pub.locator('.msg.out .bubble', { hasText: 'Lệ phí cấp, đổi, cấp lại thẻ căn cước' }).first().waitFor({ timeout: 20_000 });

  // The link is closed for good.
  const again = await citizen.newPage();
  const r = await again.goto(link);
  assert.equal(r.status(), 410);
  assert.match(await again.textContent('main'), /đã được cài đặt/);

  // The refused form answered 422 on purpose; Chromium logs that status as an error.
  const unexpected = errors.filter((e) => !e.includes('status of 422'));
  assert.deepEqual(unexpected, [], 'no script or CSP errors in the console');
  assert.deepEqual(citizenErrors, [], 'no script or CSP errors on the citizen pages');
  await citizen.close();
  await ctx.close();
});
