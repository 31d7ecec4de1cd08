/**
 * Memory (issue 8, src/engine/spec.md "Memory"): a string never grows past 64 MiB, a mailbox never holds more
 * than 100000 unread messages, and a process that eats the heap is failed with "out of memory: ..." before
 * V8 aborts the runtime, while a bystander keeps working. Real Lua through the real CLI (fixtures/safety),
 * the hogs under `node --max-old-space-size=128`.
 */
import { spawn as spawnChild } from 'child_process';
import { writeFileSync } from 'fs';
import { join } from 'path';
import { plain, projectCopy, ROOT, wisp, WISP } from '../helpers/cli';
import { pidPattern } from '../helpers/pid';
import { boot, runEntry } from '../helpers/project';
import { watchdogOfIsolate } from '../../src/engine/watchdog';
const watchdog = watchdogOfIsolate();
import { createVM } from '../../src/modules';
import { spawn } from '../helpers/lua';
import { valueToPlain } from '../../src/engine/plain';

// Generous: each test is a CLI run, and the machine may be loaded.
jest.setTimeout(180_000);

const PROJECT = join(ROOT, 'fixtures', 'safety');
const SMALL_HEAP = ['--max-old-space-size=128'];
const scenario = (args: string[], node: string[] = []) =>
  wisp(['run', '-x', 'safety:memory', ...args], { cwd: PROJECT, node, timeoutMs: 180_000 });
const TOO_LARGE = 'string too large (max 67108864 bytes)';
const PID = pidPattern('safety:processes', { uniq: '0x[0-9a-f]+' }).source;

describe('the string size limit', () => {
  test('every way to build a string past 64 MiB fails with the same clear error; 64 MiB itself works', async () => {
    const r = await scenario(['strings']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.slice(0, -1)).toEqual([
      `rep=safety:memory:36: ${TOO_LARGE}`,
      `concat=safety:memory:39: ${TOO_LARGE}`,
      `table.concat=safety:memory:44: ${TOO_LARGE}`,
      `format=safety:memory:46: ${TOO_LARGE}`,
      `gsub=safety:memory:47: ${TOO_LARGE}`,
      'load=(load):1: lexical element too long',
      `errors.wrap=${40 * 1024 * 1024}`, // Wippy keeps the context apart from the message: nothing to concatenate
      'largest=67108864',
    ]);
    expect(lines[lines.length - 1]).toMatch(/^largest_ms=\d+$/);
  });
});

describe('the mailbox limit', () => {
  test('a million sends to a process that reads nothing: 100000 queue, the rest fail for the sender, none is lost', async () => {
    const r = await scenario(['mailbox', '1000000']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    const full = `mailbox full: ${PID} has 100000 unread messages`;
    expect(r.stdout).toMatch(
      new RegExp(
        `^sent=100000 failed=900000 first error: ${full} \\(Unavailable, retryable=true\\)\\n` +
          `then: ${full}\\n` +
          'sink: read 100000, in order: true, more: false \\(flood \\d+ ms\\)\\n$',
      ),
    );
  });
});

describe('the heap watchdog, with a 128 MB heap', () => {
  const OOM = String.raw`out of memory: this process held about \d+ MiB when the runtime's heap reached \d+ MiB of 128 MiB`;
  // Growth where nothing can preempt it is also runaway code: whichever limit it reaches first stops it.
  const RUNAWAY = String.raw`runaway code: ran \d+ ms without yielding where it cannot be preempted .*the limit is 1000 ms`;
  const stopped = (kind: string): string => (kind === 'unyieldable' ? `(?:${OOM}|${RUNAWAY})` : OOM);

  // Each hog runs twice in one runtime: the second one can only grow as far if the first one's memory came back.
  test.each([
    ['tables', 'a table growing forever'],
    ['strings', 'a table of 1 MiB strings (off the V8 heap)'],
    ['unyieldable', 'growth inside a table.sort comparator, where it cannot be preempted'],
    ['stubborn', 'growth inside pcall, in a loop that catches every error'],
    ['recursion', 'unbounded recursion (the Lua stack itself)'],
  ])('%s: %s is failed with "out of memory", twice; a ticker on the same host keeps ticking', async (kind) => {
    const r = await scenario(['hog', kind, '2'], SMALL_HEAP);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toMatch(
      new RegExp(`^hog 1 \\(${kind}\\) ended after \\d+ ms: ${stopped(kind)}\\nhog 2 \\(${kind}\\) ended after \\d+ ms: ${stopped(kind)}\\nticker alive: \\d+ ticks\\n$`),
    );
  });

  test('a spawn storm (idle processes, none holding much) is stopped by refusing new processes', async () => {
    const r = await scenario(['hog', 'spawns', '1'], SMALL_HEAP);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toMatch(
      /^hog 1 \(spawns\) ended after \d+ ms: returned spawned \d{4,}, then: out of memory: the runtime is near its heap limit; no new process can start now\nticker alive: \d+ ticks\n$/,
    );
  });

  test('unread mail is memory its receiver holds: a flood of large messages fails the receiver, and the sender hears', async () => {
    const r = await scenario(['mailhog', '100000', '4096'], SMALL_HEAP);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toMatch(
      new RegExp(`^sink \\(after \\d+ ms\\): ${OOM}\\nmailer \\(after \\d+ ms\\): sent=\\d+ failed=[1-9]\\d* first error: process not found\\nticker alive: \\d+ ticks\\n$`),
    );
  });
});

describe('a runtime of services', () => {
  const services = `version: "1.0"
namespace: safety
entries:
  - { name: processes, kind: process.host, lifecycle: { auto_start: true } }
  - { name: hog, kind: process.lua, source: file://helpers.lua, method: hog, modules: [time] }
  - { name: ticker, kind: process.lua, source: file://helpers.lua, method: ticker, modules: [time] }
  - name: hog_service
    kind: process.service
    process: hog
    host: processes
    input: [tables]
    lifecycle: { auto_start: true, stop_timeout: 1s, restart: { initial_delay: 100ms, jitter: 0 } }
  - name: ticker_service
    kind: process.service
    process: ticker
    host: processes
    lifecycle: { auto_start: true, stop_timeout: 1s }
`;

  test('stays up while a hog service is failed and restarted again and again, until told to stop', async () => {
    const dir = projectCopy(PROJECT);
    writeFileSync(join(dir, 'src', '_index.yaml'), services);
    const child = spawnChild(process.execPath, [...SMALL_HEAP, WISP, 'run', '-c'], { cwd: dir, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += plain(d.toString())));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const failed = () => stdout.split('\n').filter((l) => l.includes('service failed'));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`fewer than 3 hog failures:\n${stdout}\n${stderr}`)), 120_000);
        child.stdout.on('data', (d: Buffer) => {
          stdout += plain(d.toString());
          if (failed().length >= 3) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      for (const line of failed()) {
        expect(line).toMatch(/"service": "safety:hog_service", "error": "out of memory: this process held about \d+ MiB/);
      }
      expect(stdout).not.toMatch(/service failed {2}\{"service": "safety:ticker_service"/);
      child.kill('SIGINT');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    // Only the shutdown notices (neither service reads its CANCEL): no crash, no V8 message.
    expect(stderr.split('\n').filter((l) => l !== '' && !/^safety:\w+ did not stop on CANCEL; waiting up to 1s/.test(l))).toEqual([]);
  });
});

describe('under memory pressure', () => {
  test('no new process starts while the live heap is over the threshold; one starts again after', async () => {
    const rt = boot('safety');
    try {
      const spawnOne = async () => valueToPlain((await runEntry(rt, 'safety:memory', 'safety:processes', ['spawn'])).value);
      expect(await spawnOne()).toBe('spawned');
      watchdog.underPressure = true; // as a check leaves it when the heap is near its limit and nobody holds much
      const refused = runEntry(rt, 'safety:memory', 'safety:processes', ['spawn']);
      const outcome = await refused;
      expect(outcome.error?.message).toBe('out of memory: the runtime is near its heap limit; no new process can start now');
      watchdog.check(); // the heap of this test is far below it: pressure is over
      expect(watchdog.underPressure).toBe(false);
      expect(await spawnOne()).toBe('spawned');
    } finally {
      watchdog.underPressure = false;
      await rt.shutdown();
    }
  });
});

describe('stopping a process that runs', () => {
  // Fengari restored "hooks allowed" wrongly after an error caught by pcall (scripts/fengari-patches/
  // 08-pcall-allowhook.js): the process was never preempted again, and the watchdog could not stop it.
  test('a process that once caught an error with pcall is still preempted', async () => {
    const vm = createVM();
    const busy = spawn(vm, 'local function main() pcall(error, "x") while true do end end return { main = main }', 'test:busy');
    const ticker = spawn(
      vm,
      'local time = require("time") local function main() for _ = 1, 5 do time.sleep("5ms") end return "ticked" end return { main = main }',
      'test:ticker',
    );
    expect(valueToPlain((await ticker.exit).value)).toBe('ticked');
    busy.proc.terminate();
    expect((await busy.exit).error?.message).toBe('process terminated');
  });
});
