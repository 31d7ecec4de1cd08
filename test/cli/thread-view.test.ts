/**
 * The live view of `wisp run --threads 2` (needs `npm run build`), through the real CLI: `wisp ps` over the
 * control socket and the observer's JSON list the processes of both threads, each with its thread, with each
 * thread's totals; the `system` module on either thread sees the other's; a thread that ended shows as down
 * and one that hangs as not answering, and neither freezes `wisp ps`.
 */
import { existsSync } from 'fs';
import { request } from 'http';
import { createConnection } from 'net';
import { join } from 'path';
import { chromium } from 'playwright-core';
import { ECHO, projectCopy, startWisp, wisp, writeProject } from '../helpers/cli';
import { until } from '../helpers/poll';
import type { ProcessDetails, SystemSnapshot } from '../../src/api/system';

/**
 * Two process hosts: with two threads app:a runs on t2 and app:b on t1 (hosts are dealt from thread 2). Each
 * crowd spawns its members on its own host; the reporter on app:a answers with what `system` shows it.
 */
function project(): string {
  const crowd = (n: number, host: string) => `local logger = require("logger")
local function main()
  for i = 1, ${n} do process.spawn("app:member", "${host}", i) end
  logger:info("crowd ready")
  local events = process.events()
  while events:receive().kind ~= process.event.CANCEL do end
end
return { main = main }
`;
  const service = (name: string, host: string) => `  - name: ${name}
    kind: process.lua
    source: file://${name}.lua
    method: main
    modules: [logger, system]
  - name: ${name}-service
    kind: process.service
    process: app:${name}
    host: app:${host}
    lifecycle: { auto_start: true }
`;
  return writeProject({
    '_index.yaml': `version: "1.0"
namespace: app
entries:
  - name: terminal
    kind: terminal.host
  - name: a
    kind: process.host
    lifecycle: { auto_start: true }
  - name: b
    kind: process.host
    lifecycle: { auto_start: true }
  - name: member
    kind: process.lua
    source: file://member.lua
    method: main
${service('crowd_a', 'a')}${service('crowd_b', 'b')}${service('reporter', 'a')}  - name: check
    kind: process.lua
    source: file://check.lua
    method: main
    modules: [system, io, time]
  - name: quit
    kind: process.lua
    source: file://quit.lua
    method: main
    modules: [time]
`,
    'crowd_a.lua': crowd(3, 'app:a'),
    'crowd_b.lua': crowd(2, 'app:b'),
    'member.lua': `local function main(i)
  process.registry.register("member-" .. process.pid())
  process.inbox():receive()
end
return { main = main }
`,
    'reporter.lua': `local system = require("system")
local function report(asker)
  if asker == "exit" then return assert(system.exit(7)) end
  local procs = assert(system.hosts.processes("app:b"))
  local threads = {}
  for _, p in ipairs(procs) do threads[#threads + 1] = p.source .. "@" .. p.thread end
  table.sort(threads)
  process.send(asker, "report", process.pid() .. " sees on app:b: " .. table.concat(threads, " "))
end
local function main()
  process.registry.register("reporter")
  local inbox, events = process.inbox(), process.events()
  while true do
    local r = channel.select { inbox:case_receive(), events:case_receive() }
    if r.channel == inbox then report(r.value:payload():data())
    elseif r.value.kind == process.event.CANCEL then return 0 end
  end
end
return { main = main }
`,
    'quit.lua': `local function main()
  while process.registry.lookup("reporter") == nil do require("time").sleep("20ms") end
  process.send("reporter", "ask", "exit")
  process.inbox():receive()
end
return { main = main }
`,
    'check.lua': `local system = require("system")
local io = require("io")
local time = require("time")
local function main()
  while process.registry.lookup("reporter") == nil do time.sleep("20ms") end
  -- Until both crowds have spawned their members (app:a: crowd, reporter, 3 members; app:b: crowd, 2 members).
  local counts
  for _ = 1, 500 do
    counts = {}
    for _, h in ipairs(assert(system.hosts.list())) do counts[h.id] = h end
    if counts["app:a"].processes == 5 and counts["app:b"].processes == 3 then break end
    time.sleep("20ms")
  end
  for _, id in ipairs({ "app:a", "app:b" }) do
    io.print(id .. " workers " .. counts[id].workers .. " processes " .. counts[id].processes)
  end
  io.print("goroutines > 6: " .. tostring(system.runtime.goroutines() > 6))
  process.send("reporter", "ask", process.pid())
  local msg = process.inbox():receive()
  io.print(msg:payload():data())
  return 0
end
return { main = main }
`,
  });
}

function getJson<T>(url: string): Promise<{ status: number; body: T }> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: (res.statusCode === 200 ? JSON.parse(text) : text) as T }));
    })
      .on('error', reject)
      .end();
  });
}

/** Both crowds have spawned their members, and the reporter runs. */
const ready = (err: string): number => (err.includes('"service": "app:reporter-service", "pid"') ? err.split('crowd ready').length - 1 : 0);

describe('the live view of wisp run --threads 2', () => {
  test('wisp ps and the observer list the processes of both threads, each with its thread, and the threads', async () => {
    const dir = project();
    const run = startWisp(['run', '--threads', '2', '--observe', '127.0.0.1:0'], dir);
    try {
      await until('both crowds', () => ready(run.err()) === 2 || !run.running(), 60_000, () => run.err());
      const ps = await wisp(['ps', '--json'], { cwd: dir, timeoutMs: 30_000 });
      expect(ps.stderr).toBe('');
      const s = JSON.parse(ps.stdout) as SystemSnapshot;
      const members = s.processes.filter((p) => p.entry === 'app:member');
      expect(members.filter((p) => p.thread === 't2' && p.host === 'app:a' && p.pid.startsWith('{t2@app:a|'))).toHaveLength(3);
      expect(members.filter((p) => p.thread === 't1' && p.host === 'app:b' && p.pid.startsWith('{t1@app:b|'))).toHaveLength(2);
      expect(s.threads?.map((t) => [t.thread, t.state])).toEqual([['t1', 'up'], ['t2', 'up']]);
      const [t1, t2] = s.threads ?? [];
      expect(t2.processes).toBe(s.processes.filter((p) => p.thread === 't2').length);
      expect(t1.processes + t2.processes).toBe(s.node.processes);
      expect(t1.heap_used).toBeGreaterThan(0);
      expect(t2.heap_used).toBeGreaterThan(0);
      expect(t2.busy).toBeGreaterThanOrEqual(0);
      expect(t2.busy).toBeLessThanOrEqual(1);
      expect(s.services.find((v) => v.id === 'app:crowd_a-service')).toMatchObject({ thread: 't2', state: 'Running' });
      expect(s.services.find((v) => v.id === 'app:crowd_b-service')).toMatchObject({ thread: 't1', state: 'Running' });
      expect(s.hosts.filter((h) => h.id === 'app:a').map((h) => [h.thread, h.processes])).toEqual([['t1', 0], ['t2', 5]]);

      const table = await wisp(['ps', '--filter', 'app:member'], { cwd: dir, timeoutMs: 30_000 });
      expect(table.stdout).toMatch(/^THREAD +PID +ENTRY/);
      expect(table.stdout).toMatch(/\nt2 +\{t2@app:a\|0x[0-9a-f]{5}\} +app:member +member-\{t2@app:a/);
      expect(table.stdout).toMatch(/\nt1 +\{t1@app:b\|0x[0-9a-f]{5}\} +app:member +member-\{t1@app:b/);
      expect(table.stdout).toMatch(/\nTHREAD +STATE +PROCESSES +MESSAGES +HEAP +BUSY\nt1 +up +\d+ .*\nt2 +up +\d+ /);

      const top = await wisp(['top', '--once', '--filter', 'app:member'], { cwd: dir, timeoutMs: 30_000 });
      expect(top.stdout).toMatch(/\n\nTHREAD +STATE +PROCESSES +MESSAGES +HEAP +BUSY\nt1 +up +\d+ +\d+ +[\d.]+ MiB +\d+%\nt2 +up /);
      expect(top.stdout).toMatch(/\nTHREAD +SERVICE +STATE[^\n]*\nt1 +app:crowd_b-service +Running/);
      expect(top.stdout).toMatch(/\nt2 +app:a +process.host +5 /);
      expect(top.stdout).toMatch(/\nt2 +\{t2@app:a\|0x[0-9a-f]{5}\} +app:member /);

      // Sorted and cut across threads: the five members by entry, then thread, then PID.
      const limited = JSON.parse((await wisp(['ps', '--json', '--sort', 'entry', '--filter', 'member', '--limit', '4'], { cwd: dir, timeoutMs: 30_000 })).stdout) as SystemSnapshot;
      expect(limited.matched).toBe(5);
      expect(limited.processes.map((p) => p.thread)).toEqual(['t1', 't1', 't2', 't2']);

      // Requests pipelined on one connection: answered one after the other (each gathered from both threads), in order.
      const answers = await new Promise<string[]>((resolve, reject) => {
        const socket = createConnection(join(dir, '.wisp', 'control.sock'));
        let text = '';
        socket.setEncoding('utf8');
        socket.on('data', (d: string) => {
          text += d;
          const lines = text.split('\n').slice(0, -1);
          if (lines.length < 50) return;
          socket.destroy();
          resolve(lines);
        });
        socket.on('error', reject);
        socket.write(Array.from({ length: 50 }, (_, i) => `${JSON.stringify({ op: 'snapshot', limit: i % 7 })}\n`).join(''));
      });
      expect(answers.map((line) => (JSON.parse(line) as { snapshot: SystemSnapshot }).snapshot.processes.length)).toEqual(Array.from({ length: 50 }, (_, i) => i % 7));

      const url = /observer on (http:\/\/\S+)\//.exec(run.err())?.[1] ?? '';
      expect(url).not.toBe('');
      const api = await getJson<SystemSnapshot>(`${url}/api/snapshot?filter=app:member`);
      expect(api.body.processes.map((p) => p.thread).sort()).toEqual(['t1', 't1', 't2', 't2', 't2']);
      const onT2 = api.body.processes.find((p) => p.thread === 't2')?.pid ?? '';
      const details = await getJson<ProcessDetails>(`${url}/api/process?pid=${encodeURIComponent(onT2)}`);
      expect(details.status).toBe(200);
      expect(details.body.process).toMatchObject({ pid: onT2, entry: 'app:member', names: [`member-${onT2}`] });
      expect(details.body.stacks.length).toBeGreaterThan(0);
      const missing = await getJson<string>(`${url}/api/process?pid=${encodeURIComponent('{t2@app:a|0xfffff}')}`);
      expect(missing.status).toBe(404);
    } finally {
      run.child.kill('SIGINT');
    }
    expect(await run.exited).toBe(0);
  }, 120_000);

  test('the system module on either thread sees the processes of both', async () => {
    const dir = project();
    const r = await wisp(['run', '--threads', '2', '-x', 'app:check'], { cwd: dir, timeoutMs: 60_000 });
    expect(r.stderr).toBe('');
    // The check runs on t1's terminal; app:a's five processes (crowd, reporter, three members) are on t2.
    expect(r.stdout).toContain('app:a workers 2 processes 5\napp:b workers 2 processes 3\n');
    expect(r.stdout).toContain('goroutines > 6: true\n');
    // The reporter on t2 lists app:b's processes, which run on t1.
    expect(r.stdout).toMatch(/\{t2@app:a\|0x[0-9a-f]{5}\} sees on app:b: app:crowd_b@t1 app:member@t1 app:member@t1\n/);
    expect(r.code).toBe(0);
  }, 90_000);

  test('system.exit on thread 2 shuts the whole node down with its code', async () => {
    const r = await wisp(['run', '--threads', '2', '-x', 'app:quit'], { cwd: project(), timeoutMs: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(7);
  }, 90_000);

  test('a thread that has ended shows as down; wisp ps still lists the others', async () => {
    const dir = project();
    const run = startWisp(['run', '--threads', '2'], dir, { ...process.env, WISP_THREADS_FAULT: 't2:end' });
    try {
      await until('t2 to end', () => run.err().includes('threads: thread t2 ended') || !run.running(), 60_000, () => run.err());
      await until('crowd b', () => /crowd ready\t\{"pid": "\{t1@app:b\|/.test(run.err()) || !run.running(), 60_000, () => run.err());
      const ps = await wisp(['ps', '--json'], { cwd: dir, timeoutMs: 30_000 });
      const s = JSON.parse(ps.stdout) as SystemSnapshot;
      expect(s.threads?.map((t) => [t.thread, t.state, t.processes])).toEqual([['t1', 'up', s.node.processes], ['t2', 'down', 0]]);
      expect(s.processes.filter((p) => p.entry === 'app:member').map((p) => p.thread)).toEqual(['t1', 't1']);
      const table = await wisp(['ps'], { cwd: dir, timeoutMs: 30_000 });
      expect(table.stdout).toMatch(/\nt2 +down +0 /);
    } finally {
      run.child.kill('SIGINT');
    }
    expect(await run.exited).toBe(0);
  }, 120_000);

  test('a thread that hangs shows as not answering; wisp ps answers without it', async () => {
    const dir = project();
    const run = startWisp(['run', '--threads', '2'], dir, { ...process.env, WISP_THREADS_FAULT: 't2:hang' });
    try {
      await until('both crowds', () => ready(run.err()) === 2 || !run.running(), 60_000, () => run.err());
      // The first request for t2's part hangs t2 (a minute in Atomics.wait): its event loop answers nothing.
      const ps = await wisp(['ps', '--json'], { cwd: dir, timeoutMs: 30_000 });
      const s = JSON.parse(ps.stdout) as SystemSnapshot;
      expect(s.threads?.map((t) => [t.thread, t.state])).toEqual([['t1', 'up'], ['t2', 'not answering']]);
      expect(s.processes.filter((p) => p.entry === 'app:member').map((p) => p.thread)).toEqual(['t1', 't1']);
      const again = await wisp(['ps'], { cwd: dir, timeoutMs: 30_000 });
      expect(again.stdout).toMatch(/\nt2 +not answering +0 /);
    } finally {
      // A hung thread cannot shut down: the run is ended outright.
      run.child.kill('SIGKILL');
    }
    await run.exited;
  }, 120_000);

  const CHROMIUM = '/usr/bin/chromium';
  (existsSync(CHROMIUM) ? test : test.skip)('the observer page shows the threads, and each process and host row its thread', async () => {
    const run = startWisp(['run', '--threads', '2', '--observe', '127.0.0.1:0'], projectCopy(ECHO));
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
    try {
      await until('the observer', () => /observer on http/.test(run.err()) || !run.running(), 60_000, () => run.err());
      const url = /observer on (http:\/\/\S+)/.exec(run.err())?.[1] ?? '';
      const page = await browser.newPage();
      await page.goto(url);
      const threads = page.locator('#threads-section');
      await threads.locator('tbody tr').nth(1).waitFor();
      expect(await threads.isVisible()).toBe(true);
      expect(await threads.locator('tbody tr td:first-child').allTextContents()).toEqual(['t1', 't2']);
      expect(await threads.locator('tbody tr td:nth-child(2)').allTextContents()).toEqual(['up', 'up']);
      const relay = page.locator('#processes tr[data-entry="app:relay"]');
      await relay.waitFor();
      expect(await relay.locator('td').last().textContent()).toBe('t2');
      expect(await relay.locator('td').last().isVisible()).toBe(true);
    } finally {
      await browser.close();
      run.child.kill('SIGINT');
    }
    expect(await run.exited).toBe(0);
  }, 120_000);
});
