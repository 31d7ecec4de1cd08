/**
 * `wisp run --observe` in a real headless browser (Debian's Chromium, driven by playwright-core): the page
 * loads, shows the echo service's supervision tree and process table, and updates as lines are echoed.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'child_process';
import { existsSync } from 'fs';
import { request } from 'http';
import { chromium, type Browser } from 'playwright-core';
import { ECHO, WISP, plain, projectCopy, sleep, writeProject, indexWithHosts } from '../helpers/cli';
import { serviceEntries } from '../helpers/live';
import { TEST_THREADS } from '../helpers/pid';
import { until } from '../helpers/poll';

const CHROMIUM = '/usr/bin/chromium';

interface Run {
  child: ChildProcessWithoutNullStreams;
  url: string;
  out: () => string;
  exited: Promise<number | null>;
}

/** Starts `wisp run ... --observe 127.0.0.1:0` and waits for it to say where the inspector listens. */
async function startInspected(dir: string, args: string[]): Promise<Run> {
  const child = spawn(process.execPath, [WISP, 'run', ...args, '--observe', '127.0.0.1:0'], { cwd: dir, env: process.env, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += plain(d.toString())));
  child.stderr.on('data', (d: Buffer) => (err += plain(d.toString())));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const end = Date.now() + 15000;
  for (;;) {
    const m = /observer on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(err);
    if (m !== null) return { child, url: m[1], out: () => out, exited };
    if (Date.now() > end) throw new Error(`no inspector line; stderr: ${err}`);
    await sleep(50);
  }
}


function get(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

(existsSync(CHROMIUM) ? describe : describe.skip)('the inspector page in headless Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  }, 30000);
  afterAll(async () => {
    await browser?.close();
  });

  test('shows the relay under its supervisor, and a worker under the relay while a line is echoed', async () => {
    // The worker sleeps 1.5 s instead of 100 ms, so it is on screen across several refreshes.
    const dir = projectCopy(ECHO, { 'src/worker.lua': (t) => t.replace('time.sleep("100ms")', 'time.sleep("1500ms")') });
    const run = await startInspected(dir, ['-x', 'app:terminal/app:cli']);
    const page = await browser.newPage();
    try {
      await page.goto(run.url);
      expect(await page.title()).toBe('wisp observer');
      const supervisor = page.locator('#tree > li', { hasText: 'supervisor app:relay-service' });
      await supervisor.waitFor();
      const relay = supervisor.locator('li[data-entry="app:relay"]');
      await relay.waitFor();
      expect(await relay.textContent()).toContain('(relay)');
      await page.locator('#tree > li[data-entry="app:cli"]').waitFor();
      const relayRow = page.locator('#processes tr[data-entry="app:relay"]');
      await relayRow.waitFor();
      expect(await relayRow.locator('td').nth(2).textContent()).toBe('relay');
      if (TEST_THREADS === 1) {
        // One thread: no threads table, no thread column.
        expect(await page.locator('#threads-section').isVisible()).toBe(false);
        expect(await relayRow.locator('td').last().isVisible()).toBe(false);
      } else {
        // Threads: a row for each, and each process's thread in the last column.
        expect(await page.locator('#threads-section').isVisible()).toBe(true);
        expect(await page.locator('#threads tbody tr').count()).toBe(TEST_THREADS);
        expect(await relayRow.locator('td').last().textContent()).toMatch(/^t\d+$/);
      }
      expect(await page.locator('#services tbody tr').first().textContent()).toContain('app:relay-serviceRunning0');
      expect(await page.locator('#processes tr[data-entry="app:worker"]').count()).toBe(0);
      const messagesBefore = Number(await page.locator('#summary').getAttribute('data-messages'));

      run.child.stdin.write('hello browser\n');
      // The worker appears in the tree under the relay (it is spawned monitored) and in the table.
      await relay.locator('li[data-entry="app:worker"]').waitFor({ timeout: 10000 });
      await page.locator('#processes tr[data-entry="app:worker"]').waitFor();
      const messagesDuring = Number(await page.locator('#summary').getAttribute('data-messages'));
      expect(messagesDuring).toBeGreaterThan(messagesBefore); // the cli's line reached the relay
      // ... and goes once it has answered.
      await page.locator('#processes tr[data-entry="app:worker"]').waitFor({ state: 'detached', timeout: 10000 });
      expect(run.out()).toContain('  HELLO BROWSER\n');
      await until('more messages', async () => Number(await page.locator('#summary').getAttribute('data-messages')) > messagesDuring);
      expect(await page.locator('#status').textContent()).toMatch(/^updated /);

      // Filter and sort work on the live table.
      await page.fill('#filter', 'relay');
      const rows = page.locator('#processes tbody tr');
      await until('2 rows', async () => (await rows.count()) === 2); // the relay and its supervisor
      await page.click('th[data-sort="entry"]');
      await until('sorted by entry', async () => (await rows.first().getAttribute('data-entry')) === 'app:relay');
      await page.fill('#filter', '');
      await until('3 rows', async () => (await rows.count()) === 3); // and the cli

      run.child.stdin.end('\n');
      expect(await run.exited).toBe(0);
      await page.locator('#status.stale').waitFor({ timeout: 10000 }); // the page says the run is gone
    } finally {
      await page.close();
      run.child.kill('SIGKILL');
    }
  }, 60000);

  test('names from Lua are text, never HTML; other Host headers and writes are refused', async () => {
    const dir = writeProject({
      '_index.yaml': indexWithHosts(
        'app',
        serviceEntries('namer', ['process', 'time'], 'stop_timeout: 100ms\n'),
      ),
      'namer.lua': `local time = require("time")
return { main = function()
  process.registry.register("<img src=x onerror=\\"document.title='owned'\\">")
  while true do time.sleep("1h") end
end }`,
    });
    const run = await startInspected(dir, ['-s']);
    const page = await browser.newPage();
    try {
      await page.goto(run.url);
      const row = page.locator('#processes tr[data-entry="app:namer"]');
      await row.waitFor();
      expect(await row.locator('td').nth(2).textContent()).toBe(`<img src=x onerror="document.title='owned'">`);
      expect(await page.locator('img').count()).toBe(0);
      expect(await page.title()).toBe('wisp observer');

      const port = new URL(run.url).port;
      expect(await get(`${run.url}api/snapshot`, `localhost:${port}`)).toBe(200);
      expect(await get(`${run.url}api/snapshot`, `evil.example:${port}`)).toBe(403);
      const post = await fetch(`${run.url}api/snapshot`, { method: 'POST', body: '{}' });
      expect(post.status).toBe(405);
      expect((await fetch(`${run.url}nope`)).status).toBe(404);
      expect((await fetch(`${run.url}api/snapshot?limit=-1`)).status).toBe(400);
      const none = (await (await fetch(`${run.url}api/snapshot?limit=0&filter=namer`)).json()) as { processes: unknown[]; matched: number };
      expect(none).toMatchObject({ processes: [], matched: 2 }); // the process and its supervisor
    } finally {
      await page.close();
      run.child.kill('SIGINT');
      await run.exited;
    }
  }, 60000);
});
