import { join } from 'path';
import { loadProject } from '../../src/registry';
import { Runtime } from '../../src/hosts/runtime';
import { backoffDelay } from '../../src/registry';
import { FIXTURES } from '../helpers/lua';
import type { LogRecord, LogSink } from '../../src/api/logging';
import { until } from '../helpers/poll';

interface Seen extends LogRecord {
  readonly t: number;
}

function recorder(): LogSink & { records: Seen[] } {
  const records: Seen[] = [];
  return { records, enabled: () => true, write: (r) => records.push({ ...r, t: performance.now() }) };
}

const of = (records: Seen[], service: string) => records.filter((r) => r.fields.service === service);
const states = (records: Seen[], service: string) => of(records, service).map((r) => r.message.replace('service ', ''));


describe('process.service supervision', () => {
  // Each test watches a runtime of its own from boot: no test sees another's restarts or shutdown.
  let logs: ReturnType<typeof recorder>;
  let rt: Runtime;
  let stopped: Promise<void> | null;
  const shutdown = (): Promise<void> => (stopped ??= rt.shutdown());
  beforeEach(async () => {
    logs = recorder();
    stopped = null;
    rt = new Runtime(loadProject(join(FIXTURES, 'supervision')), { logs, terminal: null });
    await rt.boot();
  });
  afterEach(() => shutdown());

  test('a service that fails twice is restarted after 100 ms, then 200 ms, and then stays up', async () => {
    await until(() => logs.records.some((r) => r.message === 'flaky is up'));
    const seen = of(logs.records, 'sup:flaky');
    expect(states(logs.records, 'sup:flaky')).toEqual(['starting', 'running', 'failed', 'starting', 'running', 'failed', 'starting', 'running']);
    const failures = seen.filter((r) => r.message === 'service failed');
    expect(failures.map(({ fields: { traceback: _, ...rest } }) => rest)).toEqual([
      { service: 'sup:flaky', error: 'flaky failure #1', attempts: 1, next_delay_ms: 100 },
      { service: 'sup:flaky', error: 'flaky failure #2', attempts: 2, next_delay_ms: 200 },
    ]);
    // The sink takes debug records, so the failure carries its traceback, naming the source file.
    expect(failures[0].fields.traceback).toMatch(/^stack traceback:\n.*src\/service\.lua:\d+ \(sup:service\)/s);
    const restartAfter = (failure: Seen) => (seen.find((r) => r.t > failure.t && r.message === 'service starting') as Seen).t - failure.t;
    expect(restartAfter(failures[0])).toBeGreaterThanOrEqual(99);
    expect(restartAfter(failures[0])).toBeLessThan(100 + 2500); // timers never fire early; late only by load (2 shared cores)
    expect(restartAfter(failures[1])).toBeGreaterThanOrEqual(199);
    expect(restartAfter(failures[1])).toBeLessThan(200 + 2500);
    expect(rt.services.get('sup:flaky')?.state).toBe('Running');
  });

  test('max_attempts ends the retries: 4 runs in all, delays 50, 100, then capped at 150 ms; the runtime goes on', async () => {
    await until(() => rt.services.get('sup:doomed')?.failures === 4);
    const failures = of(logs.records, 'sup:doomed').filter((r) => r.message === 'service failed');
    expect(failures.map((r) => [r.level, r.fields.attempts, r.fields.next_delay_ms ?? 'none'])).toEqual([
      ['error', 1, 50],
      ['error', 2, 100],
      ['error', 3, 150],
      ['error', 4, 'none'],
    ]);
    expect(failures[3].fields.error).toBe('doomed to fail');
    await new Promise((r) => setTimeout(r, 200));
    expect(states(logs.records, 'sup:doomed').filter((s) => s === 'running')).toHaveLength(4);
    expect(rt.services.get('sup:doomed')?.state).toBe('Failed');
    expect(rt.services.get('sup:db')?.state).toBe('Running');
  });

  test('a run that lasted stable_threshold resets the attempt count', async () => {
    await until(() => of(logs.records, 'sup:steady').filter((r) => r.message === 'service failed').length >= 3);
    const failures = of(logs.records, 'sup:steady').filter((r) => r.message === 'service failed');
    expect(failures.slice(0, 3).map((r) => r.fields.attempts)).toEqual([1, 1, 1]);
    expect(rt.services.get('sup:steady')?.state).not.toBe('Exited');
  });

  test('a normal return is final: Exited, never restarted', async () => {
    await until(() => rt.services.get('sup:finishes')?.state === 'Exited');
    await new Promise((r) => setTimeout(r, 100));
    expect(states(logs.records, 'sup:finishes')).toEqual(['starting', 'running', 'exited']);
  });

  test('dependencies start first; shutdown stops in reverse order and terminates a service that ignores CANCEL', async () => {
    const running = logs.records.filter((r) => r.message === 'service running').map((r) => r.fields.service);
    expect(running.indexOf('sup:db')).toBeLessThan(running.indexOf('sup:cache'));
    expect(running.indexOf('sup:cache')).toBeLessThan(running.indexOf('sup:api'));
    expect(running.indexOf('sup:ledger')).toBeLessThan(running.indexOf('sup:flaky'));

    const start = performance.now();
    await shutdown();
    const elapsed = performance.now() - start;
    const stopped = logs.records.filter((r) => r.message === 'service stopped').map((r) => r.fields.service);
    expect(stopped.indexOf('sup:api')).toBeLessThan(stopped.indexOf('sup:cache'));
    expect(stopped.indexOf('sup:cache')).toBeLessThan(stopped.indexOf('sup:db'));
    const reasons = logs.records.filter((r) => r.message === 'stopping').map((r) => r.fields.reason);
    expect(reasons).toEqual(['service stopping', 'service stopping', 'service stopping']);
    // The stubborn service never reads CANCEL: it is marked failed after its 300 ms stop_timeout, then terminated.
    expect(states(logs.records, 'sup:stubborn').slice(-2)).toEqual(['stopping', 'failed']);
    expect(of(logs.records, 'sup:stubborn').at(-1)?.fields.error).toBe('stop timeout after 0.3s');
    expect(elapsed).toBeGreaterThanOrEqual(300);
    expect(elapsed).toBeLessThan(5000);
    expect(rt.node.processCount).toBeLessThanOrEqual(rt.services.size); // only supervisor PIDs are left
  });
});

describe('backoff schedule (Our decisions 2)', () => {
  const policy = { initialDelayMs: 1000, maxDelayMs: 90000, backoffFactor: 2, jitter: 0.1, maxAttempts: 0 };
  test('initial · factor^(n-1), capped at max_delay, ± jitter', () => {
    expect([1, 2, 3, 4].map((n) => backoffDelay(policy, n, () => 0.5))).toEqual([1000, 2000, 4000, 8000]);
    expect(backoffDelay(policy, 20, () => 0.5)).toBe(90000);
    expect(backoffDelay(policy, 1, () => 0)).toBeCloseTo(900);
    expect(backoffDelay(policy, 1, () => 1)).toBeCloseTo(1100);
  });
});
