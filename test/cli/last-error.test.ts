/**
 * The last error of every service and process (message, time, where) and one restart count, the same in
 * `wisp ps --json`, `wisp ps`, `wisp top` and the web view (headless Chromium).
 */
import { existsSync } from 'fs';
import { chromium } from 'playwright-core';
import { startWisp, wisp, writeProject, indexWithHosts } from '../helpers/cli';
import { serviceEntries, THREAD_CELL, THREAD_HEADER } from '../helpers/live';
import { pidPattern } from '../helpers/pid';
import { until } from '../helpers/poll';
import type { SystemSnapshot } from '../../src/api/system';

const CHROMIUM = '/usr/bin/chromium';

/** A service that fails three times (then stays Failed: two restarts), and one that spawns a child that fails. */
function project(): string {
  return writeProject({
    '_index.yaml': `${indexWithHosts(
      'app',
      serviceEntries('crasher', [], 'restart:\n  initial_delay: 50ms\n  max_attempts: 3\n') +
        serviceEntries('parent', ['time'], 'stop_timeout: 100ms\n'),
    )}  - name: child
    kind: process.lua
    source: file://child.lua
    method: main
`,
    'crasher.lua': 'return { main = function()\n  error("boom")\nend }\n',
    'child.lua': 'return { main = function()\n  error("child broke")\nend }\n',
    'parent.lua': `local time = require("time")
return { main = function()
  process.spawn("app:child", "app:processes")
  local events = process.events()
  while true do
    local e = events:receive()
    if e.kind == process.event.CANCEL then return 0 end
  end
end }
`,
  });
}

async function psJson(dir: string): Promise<SystemSnapshot> {
  const r = await wisp(['ps', '--json'], { cwd: dir });
  expect([r.code, r.stderr]).toEqual([0, '']);
  return JSON.parse(r.stdout) as SystemSnapshot;
}

const CLOCK = '\\d\\d:\\d\\d:\\d\\d';

test('ps --json, ps, top and the web view show the same last errors and restart count', async () => {
  const dir = project();
  const run = startWisp(['run', '-s', '--observe', '127.0.0.1:0'], dir);
  try {
    const s = await until('the crasher gave up and the child failed', async () => {
      const snap = await psJson(dir).catch(() => null);
      const crasher = snap?.services.find((v) => v.id === 'app:crasher-service');
      return crasher?.retry_count === 3 && snap!.failed.some((f) => f.entry === 'app:child') ? snap : null;
    });
    const crasher = s.services.find((v) => v.id === 'app:crasher-service')!;
    expect(crasher).toMatchObject({ state: 'Failed', restarts: 2, last_error: { message: 'boom', where: 'src/crasher.lua:2 (app:crasher)' } });
    expect(crasher.last_error!.at).toBeGreaterThanOrEqual(s.node.started_at);
    expect(crasher.last_error!.at).toBeLessThanOrEqual(s.node.at);
    expect(s.services.find((v) => v.id === 'app:parent-service')).toMatchObject({ state: 'Running', restarts: 0, last_error: null });
    const child = s.failed.find((f) => f.entry === 'app:child')!;
    expect(child).toMatchObject({ service: null, error: { message: 'child broke', where: 'src/child.lua:2 (app:child)' } });
    expect(s.failed.filter((f) => f.entry === 'app:crasher')).toHaveLength(3);
    expect(s.failed.filter((f) => f.entry === 'app:crasher').every((f) => f.service === 'app:crasher-service')).toBe(true);

    const table = await wisp(['ps'], { cwd: dir });
    expect(table.stdout).toMatch(new RegExp(`^FAILED +WHAT +LAST ERROR\\napp:crasher-service +service, Failed, restarts 2 +${CLOCK} src/crasher\\.lua:2 \\(app:crasher\\): boom\\n`, 'm'));
    expect(table.stdout).toMatch(new RegExp(`^${pidPattern('app:processes', { uniq: '0x[0-9a-f]+' }).source} +app:child +${CLOCK} src/child\\.lua:2 \\(app:child\\): child broke$`, 'm'));
    const filtered = await wisp(['ps', '--filter', 'child'], { cwd: dir });
    expect(filtered.stdout).not.toContain('boom');
    expect(filtered.stdout).toContain('child broke');

    const top = await wisp(['top', '--once'], { cwd: dir });
    expect(top.stdout).toMatch(new RegExp(`^${THREAD_HEADER}SERVICE +STATE +RESTARTS +NEXT RETRY +PID +LAST ERROR$`, 'm'));
    expect(top.stdout).toMatch(new RegExp(`^${THREAD_CELL}app:crasher-service +Failed +2 +- +- +${CLOCK} src/crasher\\.lua:2 \\(app:crasher\\): boom$`, 'm'));
    expect(top.stdout).toMatch(/app:child +\d\d:\d\d:\d\d src\/child\.lua:2 \(app:child\): child broke$/m);

    if (existsSync(CHROMIUM)) {
      const url = await until('the web view address', () => /observer on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(run.err())?.[1] ?? null);
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
      try {
        const page = await browser.newPage();
        await page.goto(url);
        const row = page.locator('#services tbody tr', { hasText: 'app:crasher-service' });
        await row.waitFor();
        const cells = await row.locator('td').allTextContents();
        expect(cells.slice(0, 3)).toEqual(['app:crasher-service', 'Failed', '2']);
        expect(cells[5]).toMatch(new RegExp(`^${CLOCK} src/crasher\\.lua:2 \\(app:crasher\\): boom$`));
        const failed = page.locator('#failed tbody tr', { hasText: 'app:child' });
        await failed.waitFor();
        expect((await failed.locator('td').allTextContents())[3]).toMatch(/src\/child\.lua:2 \(app:child\): child broke$/);
      } finally {
        await browser.close();
      }
    }
  } finally {
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
  }
}, 60000);
