/**
 * The live view through the real CLI: `wisp run` opens its control socket at boot; `wisp ps` and `wisp top`
 * are separate OS processes that attach to it. Hostile clients of the socket cannot change or stop the run.
 */
import { execFileSync, spawn } from 'child_process';
import { existsSync, mkdirSync, statSync } from 'fs';
import { createConnection, createServer } from 'net';
import { join } from 'path';
import { ECHO, hasTmux, WISP, projectCopy, sleep, startWisp, wisp, writeProject, indexWithHosts } from '../helpers/cli';
import { hostTotals, psSections, serviceEntries, THREAD_CELL, THREAD_HEADER } from '../helpers/live';
import { pidPattern } from '../helpers/pid';
import { until } from '../helpers/poll';
import type { SystemSnapshot } from '../../src/api/system';

const socketOf = (dir: string): string => join(dir, '.wisp', 'control.sock');


async function psJson(dir: string): Promise<SystemSnapshot> {
  const r = await wisp(['ps', '--json'], { cwd: dir });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as SystemSnapshot;
}

/** One raw request line to the socket; resolves with the reply line, or null when the server hung up. */
function rawRequest(dir: string, data: string): Promise<string | null> {
  return new Promise((resolve) => {
    const c = createConnection(socketOf(dir));
    let got = '';
    c.setEncoding('utf8');
    c.on('data', (d: string) => {
      got += d;
      if (got.includes('\n')) {
        c.destroy();
        resolve(got.slice(0, got.indexOf('\n')));
      }
    });
    c.on('close', () => resolve(got === '' ? null : got));
    c.on('error', () => resolve(null));
    c.write(data);
  });
}

/** A project whose service handles CANCEL (so shutdown is quick), a crashing service, and a named idle one. */
function project(): string {
  return writeProject({
    '_index.yaml': indexWithHosts(
      'app',
      serviceEntries('idle', ['process', 'channel']) + serviceEntries('crasher', [], 'restart:\n  initial_delay: 1h\n  max_delay: 2h\n'),
    ),
    'idle.lua': `local function main()
  process.registry.register("keeper")
  process.registry.register("<b>bold</b>")
  local events = process.events()
  local inbox = process.inbox()
  coroutine.spawn(function() while true do inbox:receive() end end)
  while true do
    local e = events:receive()
    if e.kind == process.event.CANCEL then return 0 end
  end
end
return { main = main }
`,
    'crasher.lua': `return { main = function() error("boom") end }`,
  });
}

describe('the control socket and wisp ps', () => {
  test('created at boot, owner-only; ps --json shows processes, names, services with restarts and next retry', async () => {
    const dir = project();
    const run = startWisp(['run'], dir);
    try {
      await until('the control socket', () => existsSync(socketOf(dir)));
      expect(statSync(join(dir, '.wisp')).mode & 0o777).toBe(0o700);
      expect(statSync(socketOf(dir)).mode & 0o777).toBe(0o600);
      const s = await until('the crasher failed', async () => {
        const snap = await psJson(dir);
        return snap.services.find((v) => v.id === 'app:crasher-service')?.next_retry_at != null ? snap : null;
      });
      const idle = s.processes.find((p) => p.entry === 'app:idle');
      expect(idle).toMatchObject({ names: expect.arrayContaining(['keeper', '<b>bold</b>']), state: 'waiting', coroutines: 2, service: 'app:idle-service', mailbox: 0 });
      expect(idle?.started_at).toBeGreaterThan(s.node.started_at - 1);
      const svc = s.services.find((v) => v.id === 'app:idle-service');
      expect(svc).toMatchObject({ state: 'Running', pid: idle?.pid, restarts: 0 });
      expect(s.processes.find((p) => p.pid === svc?.supervisor)).toMatchObject({ state: 'internal', service: 'app:idle-service' });
      expect(idle?.parent).toBe(svc?.supervisor);
      const crasher = s.services.find((v) => v.id === 'app:crasher-service');
      expect(crasher).toMatchObject({ state: 'Failed', retry_count: 1, pid: null });
      // initial_delay 1h, ±jitter: the retry is about an hour away
      expect((crasher?.next_retry_at ?? 0) - s.node.at).toBeGreaterThan(30 * 60_000);
      expect(hostTotals(s, 'app:processes')).toMatchObject({ kind: 'process.host', processes: 1, queue_depth: 0 });
      expect(s.node.processes).toBe(s.processes.length);
      expect(hostTotals(s, 'node:control')).toMatchObject({ kind: 'internal', processes: 2 }); // the two supervisors

      const table = await wisp(['ps', '--filter', 'keeper'], { cwd: dir });
      expect(table.code).toBe(0);
      const [processes, ...others] = psSections(table.stdout);
      expect(processes[0]).toMatch(new RegExp(`^${THREAD_HEADER}PID\\s+ENTRY\\s+NAMES\\s+STATE\\s+MAILBOX\\s+RUN\\s+UP\\s+COROUTINES$`));
      expect(processes).toHaveLength(2);
      expect(others).toEqual([]);
      expect(processes[1]).toContain('app:idle');
    } finally {
      run.child.kill('SIGINT');
      expect(await run.exited).toBe(0);
    }
    expect(existsSync(socketOf(dir))).toBe(false); // removed at shutdown
  }, 30000);

  test('mailbox depth and the message count move as messages arrive', async () => {
    const dir = writeProject({
      '_index.yaml': indexWithHosts(
        'app',
        serviceEntries('sink', ['process', 'time'], 'stop_timeout: 100ms\n'),
      ),
      // Sends itself 50 messages it never reads, then waits.
      'sink.lua': `local time = require("time")
return { main = function()
  for i = 1, 50 do process.send(process.pid(), "t", i) end
  while true do time.sleep("1h") end
end }`,
    });
    const run = startWisp(['run', '-s'], dir);
    try {
      await until('the control socket', () => existsSync(socketOf(dir)));
      const s = await until('50 unread', async () => {
        const snap = await psJson(dir);
        return snap.processes.find((p) => p.entry === 'app:sink')?.mailbox === 50 ? snap : null;
      });
      expect(s.node.messages).toBe(50);
      const sorted = await wisp(['ps', '--sort', 'mailbox', '--limit', '1'], { cwd: dir });
      const [processes, ...others] = psSections(sorted.stdout);
      expect(processes).toHaveLength(2);
      expect(others).toEqual([]);
      expect(processes[1]).toContain('app:sink');
      // The runtime filters, sorts and cuts: a watcher gets what it shows, and how many matched.
      const reply = JSON.parse((await rawRequest(dir, '{"op":"snapshot","filter":"control","limit":0}\n')) ?? '') as { snapshot: SystemSnapshot };
      expect(reply.snapshot.processes).toEqual([]);
      expect(reply.snapshot.matched).toBe(1);
      expect(await rawRequest(dir, '{"op":"snapshot","sort":"evil"}\n')).toBe('{"ok":false,"error":"sort: one of pid, entry, state, mailbox, run, coroutines"}');
      expect(await rawRequest(dir, '{"op":"snapshot","limit":"x"}\n')).toBe('{"ok":false,"error":"limit: a number >= 0"}');
    } finally {
      run.child.kill('SIGINT');
      await run.exited;
    }
  }, 30000);

  test('no run: one line, exit 1; a stale socket left by a killed run is replaced; a second run does not take over', async () => {
    const dir = project();
    const none = await wisp(['ps'], { cwd: dir });
    expect(none.code).toBe(1);
    expect(none.stderr).toBe(`Error: no wisp run is running in ${dir} (no ${socketOf(dir)})\n`);
    const badDelay = await wisp(['top', '-d', '0'], { cwd: dir });
    expect(badDelay).toMatchObject({ code: 1, stderr: 'Error: --delay 0: seconds, at least 0.1\n' });
    const badLimit = await wisp(['ps', '--limit', 'many'], { cwd: dir });
    expect(badLimit).toMatchObject({ code: 1, stderr: 'Error: --limit many: a number of processes\n' });
    const badSort = await wisp(['ps', '--sort', 'nope'], { cwd: dir });
    expect(badSort).toMatchObject({ code: 1, stderr: 'Error: --sort nope: one of pid, entry, state, mailbox, run, coroutines\n' });

    // A socket file nobody listens on (a run killed with SIGKILL leaves one).
    mkdirSync(join(dir, '.wisp'), { mode: 0o700 });
    await new Promise<void>((resolve) => {
      const holder = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(socketOf(dir))}, () => process.kill(process.pid, 'SIGKILL'))`]);
      holder.on('close', () => resolve());
    });
    expect(existsSync(socketOf(dir))).toBe(true);
    const stale = await wisp(['ps'], { cwd: dir });
    expect(stale.stderr).toMatch(/^Error: cannot attach to the wisp run in .*: it is not running any more/);

    const first = startWisp(['run'], dir);
    let second: ReturnType<typeof startWisp> | null = null;
    try {
      await until('the first run answers', async () => (await wisp(['ps'], { cwd: dir })).code === 0);
      second = startWisp(['run'], dir);
      const other = second;
      await until('the second run booted', () => /service running/.test(other.err()));
      await until('its notice', () => /INFO\s+runtime\s+control socket not opened: another wisp run is using .*; wisp top attaches to the other run/.test(other.err()));
      expect(first.err()).not.toContain('control socket');
      expect((await psJson(dir)).node.os_pid).toBe(first.child.pid);
    } finally {
      first.child.kill('SIGINT');
      second?.child.kill('SIGINT');
      await Promise.all([first.exited, second?.exited]);
    }
  }, 40000);

  test('hostile clients: garbage, unknown ops, huge lines and floods neither change nor stop the run', async () => {
    const dir = project();
    const run = startWisp(['run', '-s'], dir);
    try {
      await until('the control socket', () => existsSync(socketOf(dir)));
      expect(await rawRequest(dir, 'not json\n')).toBe('{"ok":false,"error":"a request is one JSON object a line"}');
      expect(JSON.parse((await rawRequest(dir, '{"op":"terminate","pid":"x"}\n')) ?? '')).toMatchObject({ ok: false, error: expect.stringContaining('read-only') });
      expect(await rawRequest(dir, 'x'.repeat(100_000))).toBeNull(); // no newline, too long: dropped
      const flood = await Promise.all(Array.from({ length: 50 }, () => rawRequest(dir, '{"op":"snapshot"}\n')));
      expect(flood.every((line) => line !== null && (JSON.parse(line) as { ok: boolean }).ok)).toBe(true);
      const s = await psJson(dir);
      expect(s.services.find((v) => v.id === 'app:idle-service')?.state).toBe('Running');
      expect(run.running()).toBe(true);
    } finally {
      run.child.kill('SIGINT');
      expect(await run.exited).toBe(0);
    }
  }, 30000);
});

describe('--observe mistakes', () => {
  test('a bad address or a port in use is one line and exit 1', async () => {
    const dir = project();
    const bad = await wisp(['run', '--observe', 'localhost:99999'], { cwd: dir });
    expect(bad).toMatchObject({ code: 1, stderr: 'Error: --observe localhost:99999: expected PORT or HOST:PORT (e.g. 127.0.0.1:8090)\n' });
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as { port: number }).port;
    try {
      const busy = await wisp(['run', '-s', '--observe', `127.0.0.1:${port}`], { cwd: dir });
      expect(busy).toMatchObject({ code: 1, stderr: `Error: --observe 127.0.0.1:${port}: address in use\n` });
      expect(existsSync(socketOf(dir))).toBe(false);
    } finally {
      holder.close();
    }
  }, 30000);

  test('--inspect, the old name, still works and says it is deprecated', async () => {
    const dir = project();
    const bad = await wisp(['run', '--inspect', 'localhost:99999'], { cwd: dir });
    expect(bad).toMatchObject({
      code: 1,
      stderr: 'warning: --inspect is deprecated (to Node users it means the V8 debugger): use --observe\nError: --observe localhost:99999: expected PORT or HOST:PORT (e.g. 127.0.0.1:8090)\n',
    });
    const help = await wisp(['run', '--help'], { cwd: dir });
    expect(help.stdout).toContain('--observe <[host:]port>');
    expect(help.stdout).not.toContain('--inspect');
  }, 30000);
});

describe('wisp top without a terminal', () => {
  test('prints one frame: totals, services, hosts, processes; --filter and --sort apply', async () => {
    const dir = projectCopy(ECHO);
    const run = startWisp(['run', '-s'], dir);
    try {
      await until('the control socket', () => existsSync(socketOf(dir)));
      await until('relay registered', async () => (await psJson(dir)).processes.some((p) => p.names.includes('relay')));
      const r = await wisp(['top', '--filter', 'relay', '--sort', 'run'], { cwd: dir });
      expect(r.code).toBe(0);
      const lines = r.stdout.split('\n');
      expect(lines[0]).toMatch(new RegExp(`^wisp ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}  up \\S+  processes 2  messages/s 0\\.0  heap [\\d.]+ MiB of [\\d.]+ MiB$`));
      const relay = pidPattern('app:processes', { uniq: '0x\\d+' }).source;
      expect(r.stdout).toMatch(new RegExp(`^${THREAD_CELL}app:relay-service\\s+Running\\s+0\\s+-\\s+${relay}\\s+-$`, 'm'));
      expect(r.stdout).toMatch(new RegExp(`^${THREAD_CELL}app:processes\\s+process\\.host\\s+1\\s+0\\s+\\d+$`, 'm'));
      expect(r.stdout).toContain('processes sorted by run  filter "relay": 2 of 2');
      expect(r.stdout).toMatch(new RegExp(`^${THREAD_CELL}${relay}\\s+app:relay\\s+relay\\s+waiting\\s+0\\s+\\S+\\s+\\S+\\s+2$`, 'm'));
      const none = await wisp(['top', '--filter', 'nothing-matches'], { cwd: dir });
      expect(none.stdout).toContain('filter "nothing-matches": 0 of 2');
    } finally {
      run.child.kill('SIGINT');
      run.child.kill('SIGINT');
      await run.exited;
    }
  }, 30000);
});

(hasTmux ? describe : describe.skip)('wisp top in a real terminal (tmux)', () => {
  const session = `wisp-top-${process.pid}`;
  const tmux = (...args: string[]): string => execFileSync('tmux', args, { encoding: 'utf8' });
  const screen = (): string => tmux('capture-pane', '-p', '-t', session);
  const waitScreen = (pattern: RegExp): Promise<string> => until(`screen ${pattern}`, () => {
    const text = screen();
    return pattern.test(text) ? text : null;
  });
  afterAll(() => {
    try {
      tmux('kill-session', '-t', session);
    } catch {
      // already gone
    }
  });

  test('refreshes live; sort and filter keys; q quits and restores the terminal', async () => {
    const dir = project();
    const run = startWisp(['run', '-s'], dir);
    try {
      await until('the control socket', () => existsSync(socketOf(dir)));
      tmux('new-session', '-d', '-s', session, '-x', '150', '-y', '40', `cd '${dir}' && node '${WISP}' top -d 0.2; echo "TOP-EXIT=$?"; sleep 60`);
      let text = await waitScreen(/processes sorted by pid/);
      expect(text).toMatch(/app:idle-service\s+Running/);
      expect(text).toMatch(/keeper,<b>bold<\/b>|<b>bold<\/b>,keeper/);
      expect(text).toContain('keys: p e s m r c sort');
      const up = (t: string): string => /up (\S+)/.exec(t)?.[1] ?? '';
      const firstUp = up(text);
      text = await until('a refresh', () => (up(screen()) !== firstUp ? screen() : null));
      tmux('send-keys', '-t', session, 'm');
      await waitScreen(/processes sorted by mailbox/);
      tmux('send-keys', '-t', session, '/', 'k', 'e', 'e', 'p');
      await waitScreen(/filter: keep_/);
      tmux('send-keys', '-t', session, 'Enter');
      text = await waitScreen(/filter "keep": 1 of \d+/);
      tmux('send-keys', '-t', session, 'Escape');
      await waitScreen(/processes sorted by mailbox\n/);
      tmux('send-keys', '-t', session, 'q');
      text = await waitScreen(/TOP-EXIT=0/);
      expect(text).not.toContain('processes sorted by'); // the alternate screen is gone
    } finally {
      run.child.kill('SIGINT');
      await run.exited;
    }
  }, 40000);

  test('the run stopping ends top with a message', async () => {
    const dir = project();
    const run = startWisp(['run', '-s'], dir);
    await until('the control socket', () => existsSync(socketOf(dir)));
    tmux('kill-session', '-t', session);
    tmux('new-session', '-d', '-s', session, '-x', '150', '-y', '40', `cd '${dir}' && node '${WISP}' top -d 0.2; echo "TOP-EXIT=$?"; sleep 60`);
    await waitScreen(/processes sorted by pid/);
    run.child.kill('SIGINT');
    await run.exited;
    const text = await waitScreen(/TOP-EXIT=0/);
    expect(text).toContain('the wisp run has stopped');
  }, 40000);
});
