// Shared helpers for the browser tests: start a real `caunoi demo` (or, with `empty`, `caunoi
// serve` on an empty database) on a free port with a fresh data directory, wait until it
// answers, and launch Debian's Chromium through playwright-core.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const resultsDir = join(here, 'test-results');
mkdirSync(resultsDir, { recursive: true });

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// `testClock`: the server's clock can be moved (CAUNOI_TEST_CLOCK=on, POST /__test/clock from
// this machine), through `server.advanceClock(seconds)`. `empty`: `caunoi serve` without demo
// data; `server.setupLink()` is the first-setup link it printed.
export async function startCaunoi({ testClock = false, empty = false } = {}) {
  const bin = process.env.CAUNOI_BIN || join(here, '..', 'target', 'debug', 'caunoi');
  const dataDir = mkdtempSync(join(tmpdir(), 'caunoi-e2e-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(bin, [empty ? 'serve' : 'demo', '--data-dir', dataDir, '--listen', `127.0.0.1:${port}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // The production free-space floor (2 GiB) may be more than a CI machine's temporary disk has.
    env: { ...process.env, RUST_LOG: 'warn', CAUNOI_MEDIA_FREE_FLOOR: '1MB', ...(testClock ? { CAUNOI_TEST_CLOCK: 'on' } : {}) },
  });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`caunoi exited early:\n${output}`);
    try {
      const r = await fetch(`${base}/healthz`);
      if (r.ok) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) throw new Error(`caunoi did not answer in time:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    base,
    dataDir,
    output: () => output,
    setupLink() {
      const m = output.match(/First setup: (\S+)/);
      if (!m) throw new Error(`no first-setup link in the output:\n${output}`);
      return m[1];
    },
    async advanceClock(seconds) {
      const r = await fetch(`${base}/__test/clock?advance=${seconds}`, { method: 'POST' });
      if (r.status !== 200) throw new Error(`the test clock did not move: ${r.status} ${await r.text()}`);
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

// The usual set-up of a test file: one caunoi (`startCaunoi`'s options) and one Chromium for all
// its tests, started before the first and stopped after the last. Returns `{ server, browser }`,
// filled in once they are up.
export function withCaunoi(options = {}) {
  const env = { server: null, browser: null };
  before(async () => {
    env.server = await startCaunoi(options);
    env.browser = await launchBrowser();
  });
  after(async () => {
    await env.browser?.close();
    await env.server?.stop();
  });
  return env;
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// Collects console errors and CSP violations so a test can assert there were none.
export function watchErrors(page) {
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  return errors;
}

export const DEMO_PASSWORD = 'CauNoi@2026';

export async function signIn(page, base, username) {
  await page.goto(`${base}/login`);
  await page.fill('#username', username);
  await page.fill('#password', DEMO_PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click('main button[type=submit]')]);
}

// An init script that records the desktop notifications a page raises in
// `window.__notifications` (headless Chromium shows none), with permission granted.
export const RECORD_NOTIFICATIONS = () => {
  window.__notifications = [];
  class RecordedNotification {
    constructor(title, options) { window.__notifications.push({ title, body: options && options.body }); }
    close() {}
  }
  RecordedNotification.permission = 'granted';
  RecordedNotification.requestPermission = () => Promise.resolve('granted');
  window.Notification = RecordedNotification;
};
