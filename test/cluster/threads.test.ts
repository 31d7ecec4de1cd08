/**
 * Several threads in one node (src/cluster/spec.md "Threads"): this jest process is thread 1 (the driver of
 * fixtures/cluster runs here, as under `wisp run -x`), and a real worker thread, booted from the compiled
 * dist/cli/thread-worker.js (`npm run build` first), is thread 2 with the factory service and its workers.
 * Everything crosses threads through the kernel's Router: sends, monitors, links, cancel, terminate, names;
 * then the worker thread is terminated and its processes' monitors and links fire "node down: t2".
 */
import { existsSync } from 'fs';
import { join } from 'path';
import { projectCopy, ROOT } from '../helpers/cli';
import { ScriptedTerminal } from '../helpers/terminal';
import { openProject } from '../../src/cli/run';
import { logSink } from '../../src/cli/logs';
import { startThreadGroup, type ThreadGroup } from '../../src/cli/threads';
import { Runtime } from '../../src/hosts/runtime';

const FIXTURE = join(ROOT, 'fixtures', 'cluster');
const WORKER = join(ROOT, 'dist', 'cli', 'thread-worker.js');
const T2 = /^\{t2@app:processes\|0x[0-9a-f]{5,}\}$/;

/** The cluster fixture with the factory as a service of app:processes (thread 2 of two). */
function project(): string {
  return projectCopy(FIXTURE, {
    'src/_index.yaml': (text) =>
      `${text}\n  - name: factory_service\n    kind: process.service\n    process: app:factory\n    host: app:processes\n    lifecycle:\n      auto_start: true\n`,
  });
}

interface Threads {
  readonly group: ThreadGroup;
  readonly runtime: Runtime;
  readonly terminal: ScriptedTerminal;
  readonly logs: string[];
}

async function startThreads(dir: string): Promise<Threads> {
  if (!existsSync(WORKER)) throw new Error(`${WORKER} is missing: run \`npm run build\` first`);
  const { registry } = openProject({}, dir);
  const logs: string[] = [];
  const group = startThreadGroup({
    threads: 2,
    cwd: dir,
    flags: { silent: true },
    registry,
    log: (level, message, fields) => logs.push(`${level} ${message} ${JSON.stringify(fields)}`),
    workerFile: WORKER,
  });
  const terminal = new ScriptedTerminal();
  const runtime = new Runtime(registry, {
    logs: logSink({ silent: true }, false),
    terminal,
    node: { name: group.mainNode, firstUniq: 1 },
    runsService: (id) => group.runsHere(id),
  });
  await group.attach(runtime.node);
  await runtime.boot();
  return { group, runtime, terminal, logs };
}

async function stopThreads(t: Threads): Promise<void> {
  await t.runtime.shutdown();
  await t.group.stop();
}

/** Each scenario's line `name: result`. */
function results(out: string): Record<string, string> {
  const lines: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const colon = line.indexOf(': ');
    if (colon > 0) lines[line.slice(0, colon)] = line.slice(colon + 2);
  }
  return lines;
}

describe('two threads in one node', () => {
  let t: Threads;
  beforeAll(async () => {
    t = await startThreads(project());
  }, 60_000);
  afterAll(async () => {
    await stopThreads(t);
  }, 60_000);

  const drive = async (...scenarios: string[]): Promise<Record<string, string>> => {
    t.terminal.out = '';
    const outcome = await t.runtime.exec('app:driver', 'app:terminal', scenarios);
    expect(outcome.error).toBeNull();
    return results(t.terminal.out);
  };

  test('the factory service runs on thread 2: its PID says t2, values cross whole, per-sender FIFO holds', async () => {
    const r = await drive('values', 'fifo');
    expect(r.values).toMatch(/^integer 7 2147483647 float float 0\.5 text 3 255 true true bad thing Invalid 42 \{t2@app:processes\|0x[0-9a-f]{5,}\}$/);
    expect(r.fifo).toBe('in order 2000');
  }, 60_000);

  test('a process on thread 2 sends a burst and exits: every message is in the inbox, in order, when its EXIT comes', async () => {
    const r = await drive('burst_then_exit');
    expect(r.burst_then_exit).toBe('1500 before value burst done');
  }, 60_000);

  test('monitors, cancel and terminate across threads give the EXITs one thread gives', async () => {
    const r = await drive('monitor_error', 'monitor_normal', 'cancel', 'terminate', 'monitor_dead', 'unmonitor');
    expect(r.monitor_error).toBe('error boom');
    expect(r.monitor_normal).toBe('value done');
    expect(r.cancel).toBe('value cancelled');
    expect(r.terminate).toBe('error process terminated');
    // As on one thread (not as across nodes): a process known to have ended cannot be monitored.
    expect(r.monitor_dead).toBe('nil pid not registered / no event');
    expect(r.unmonitor).toBe('no event');
  }, 60_000);

  test('links across threads: trapped LINK_DOWN, an untrapped link kills, a linked process on t2 sees one on t1 fail, unlink', async () => {
    const r = await drive('link_trapped', 'link_kills', 'remote_links_local', 'unlink');
    expect(r.link_trapped).toBe('error boom');
    expect(r.link_kills).toBe('error linked process failed');
    expect(r.remote_links_local).toBe('true nil / link_down app:linker:18: victim failed from_ok true');
    expect(r.unlink).toBe('value done');
  }, 60_000);

  test('small and large messages in one run, past what the ring holds: all arrive whole and in order (ring, then port, then ring)', async () => {
    const r = await drive('ring_port_fifo', 'fifo');
    expect(r.ring_port_fifo).toBe('6000 (120 large) before value mixed done');
    expect(r.fifo).toBe('in order 2000');
  }, 60_000);

  test('sizes: what one thread carries crosses whole (2 MiB); a value over the 64 MiB between threads is refused to its sender; an EXIT too large crosses shrunk', async () => {
    const fits = (await drive('too_large:2'))['too_large:2'].split(' / ');
    expect(fits.slice(0, 3)).toEqual(['true', 'nil', '-']);
    expect(fits[6]).toBe(`${2 * 1024 * 1024} bytes`); // the factory's echo of it
    const r = await drive('too_large:70');
    const parts = r['too_large:70'].split(' / ');
    const limit = 64 * 1024 * 1024 - 128;
    expect(parts.slice(0, 3)).toEqual(['nil', `message too large for the cluster: ${parts[4]} bytes, at most ${limit}`, 'Invalid']);
    expect(Number(parts[4])).toBeGreaterThan(70 * 1024 * 1024);
    expect(parts[6]).toBe('small');
    expect(parts[7]).toMatch(new RegExp(`^value exit value too large for the cluster: \\d+ bytes, at most ${limit}$`));
    expect(parts[8]).toMatch(/^Invalid \d+ eeeee /);
  }, 120_000);

  test('names registered on one thread resolve on the other, both ways; a taken name is refused', async () => {
    const r = await drive('names', 'eventual');
    expect(r.names).toBe('nil name already registered AlreadyExists true true true true nil');
    expect(r.eventual).toBe('true true true true true nil');
  }, 60_000);
});

describe('a thread that dies', () => {
  test('mid-traffic: what it sent arrives in order, then its EXIT "node down: t2"', async () => {
    const t = await startThreads(project());
    try {
      const done = t.runtime.exec('app:driver', 'app:terminal', ['stream_down']);
      await t.terminal.waitFor(/streaming: \{t2@/, 30_000);
      await t.group.worker(2).terminate();
      await t.terminal.waitFor(/stream_down: .*\n/, 30_000);
      expect(/stream_down: (.*)\n/.exec(t.terminal.out)?.[1]).toBe('error node down: t2 after over 500 in order');
      void done;
    } finally {
      await stopThreads(t);
    }
  }, 90_000);

  test('is a node going down: monitors get EXIT and links LINK_DOWN "node down: t2", its names and sends fail', async () => {
    const t = await startThreads(project());
    try {
      const done = t.runtime.exec('app:driver', 'app:terminal', ['node_down']);
      await t.terminal.waitFor(/ready: \{t2@/, 30_000);
      const ready = /ready: (\S+)/.exec(t.terminal.out)?.[1] ?? '';
      expect(ready).toMatch(T2);
      await t.group.worker(2).terminate();
      await t.terminal.waitFor(/down: .*\n/, 30_000);
      expect(/down: (.*)\n/.exec(t.terminal.out)?.[1]).toBe(
        'error node down: t2 / error node down: t2 / linked error linked process failed / name nil / send node down: t2',
      );
      void done;
    } finally {
      await stopThreads(t);
    }
  }, 90_000);
});
