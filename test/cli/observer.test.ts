/**
 * The observer (`wisp run --observe`) in headless Chromium, toward Erlang's observer: a click on a process shows
 * its links, monitors, names, mailbox head, last error and current Lua stack; charts of processes, messages/s and
 * heap cover the last minutes.
 */
import { existsSync } from 'fs';
import { chromium, type Browser } from 'playwright-core';
import { startWisp, writeProject, indexWithHosts } from '../helpers/cli';
import { serviceEntries } from '../helpers/live';
import { until } from '../helpers/poll';
import type { ProcessDetails } from '../../src/api/system';

const CHROMIUM = '/usr/bin/chromium';

/** A service that keeps three messages unread, links to one child, monitors another, and sleeps in a named function. */
function project(): string {
  return writeProject({
    '_index.yaml': `${indexWithHosts('app', serviceEntries('hoarder', ['time'], 'stop_timeout: 100ms\n'))}  - name: sleeper
    kind: process.lua
    source: file://sleeper.lua
    method: main
    modules: [time]
  - name: faulty
    kind: process.lua
    source: file://faulty.lua
    method: main
`,
    'hoarder.lua': `local time = require("time")
local function wait_forever()
  while true do
    time.sleep("1h")
  end
end
local function main()
  process.registry.register("hoarder")
  for n = 1, 3 do process.send(process.pid(), "job", { n = n }) end
  local sleeper = process.spawn_linked("app:sleeper", "app:processes")
  process.monitor(sleeper)
  process.spawn_monitored("app:faulty", "app:processes")
  wait_forever()
end
return { main = main }
`,
    'sleeper.lua': 'local time = require("time")\nreturn { main = function() time.sleep("1h") end }\n',
    'faulty.lua': 'return { main = function()\n  error("faulty on purpose")\nend }\n',
  });
}

(existsSync(CHROMIUM) ? describe : describe.skip)('the observer in headless Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  }, 30000);
  afterAll(async () => {
    await browser?.close();
  });

  test('a click shows a process\'s names, links, monitors, mailbox head, Lua stack; a failed one its error; charts fill', async () => {
    const dir = project();
    const run = startWisp(['run', '-s', '--observe', '127.0.0.1:0'], dir);
    const page = await browser.newPage();
    try {
      const url = await until('the observer address', () => /observer on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(run.err())?.[1] ?? null);
      await page.goto(url);
      const row = page.locator('#processes tr[data-entry="app:hoarder"]');
      await row.waitFor();
      const hoarderPid = (await row.getAttribute('data-pid'))!;
      const sleeperPid = (await page.locator('#processes tr[data-entry="app:sleeper"]').getAttribute('data-pid'))!;
      expect(await page.locator('#details').isHidden()).toBe(true);
      await row.click();
      await page.locator('#details').waitFor();
      await until('the details', async () => (await page.locator('#d-pid').textContent()) === hoarderPid && (await page.locator('#d-entry').textContent()) === 'app:hoarder');
      expect(await page.locator('#d-names').textContent()).toBe('hoarder');
      expect(await page.locator('#d-links').textContent()).toBe(sleeperPid);
      expect(await page.locator('#d-service').textContent()).toBe('app:hoarder-service');
      expect(await page.locator('#d-monitoring').textContent()).toBe(sleeperPid);
      expect(await page.locator('#d-monitored-by').textContent()).toBe('-'); // its supervisor follows it without a monitor
      const mailbox = page.locator('#d-mailbox tbody tr');
      await until('three waiting messages', async () => (await mailbox.count()) === 3);
      expect(await mailbox.first().locator('td').allTextContents()).toEqual([hoarderPid, 'job', '{"n":1}']);
      const stack = page.locator('#d-stacks pre[data-thread="main"]');
      await stack.waitFor();
      const text = (await stack.textContent()) ?? '';
      expect(text).toBe('main (blocked)\n  src/hoarder.lua:4 in wait_forever\n  src/hoarder.lua:13');

      // A failed process: its error, time and place.
      const failed = page.locator('#failed tbody tr', { hasText: 'app:faulty' });
      await failed.waitFor();
      await failed.click();
      await until('the failed process', async () => (await page.locator('#d-entry').textContent()) === 'app:faulty');
      expect(await page.locator('#d-state').textContent()).toBe('failed');
      expect(await page.locator('#d-error').textContent()).toMatch(/^\d\d:\d\d:\d\d src\/faulty\.lua:2 \(app:faulty\): faulty on purpose$/);
      await page.click('#close-details');
      expect(await page.locator('#details').isHidden()).toBe(true);

      // The charts: one point a second, kept by the runtime (a page opened later sees the minutes before it).
      const processes = page.locator('#chart-processes');
      await until('three points', async () => Number(await processes.getAttribute('data-points')) >= 3, 10000);
      expect(Number(await processes.getAttribute('data-last'))).toBe(3); // hoarder, its supervisor and sleeper (faulty has ended)
      expect(await page.locator('#chart-heap polyline').getAttribute('points')).toMatch(/^[\d.]+,[\d.]+( [\d.]+,[\d.]+)+$/);
      expect(Number(await page.locator('#chart-rate').getAttribute('data-points'))).toBeGreaterThanOrEqual(2);
      const later = await browser.newPage();
      await later.goto(url);
      await until('history on a new page', async () => Number(await later.locator('#chart-processes').getAttribute('data-points')) >= 3);
      await later.close();

      // The API behind it: JSON for a PID, 404 for anything else (a long or unknown one).
      const details = (await (await fetch(`${url}api/process?pid=${encodeURIComponent(hoarderPid)}`)).json()) as ProcessDetails;
      expect(details).toMatchObject({ links: [sleeperPid], trap_links: false, inbox_buffered: 0 });
      expect(details.monitoring).toEqual([sleeperPid]); // the faulty child it monitored has ended
      const sleeper = (await (await fetch(`${url}api/process?pid=${encodeURIComponent(sleeperPid)}`)).json()) as ProcessDetails;
      expect(sleeper).toMatchObject({ links: [hoarderPid], monitored_by: [hoarderPid], monitoring: [] });
      expect((await fetch(`${url}api/process?pid=nope`)).status).toBe(404);
      expect((await fetch(`${url}api/process?pid=${'x'.repeat(5000)}`)).status).toBe(404);
    } finally {
      await page.close();
      run.child.kill('SIGINT');
      expect(await run.exited).toBe(0);
    }
  }, 60000);
});
