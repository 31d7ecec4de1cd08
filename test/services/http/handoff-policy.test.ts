/**
 * The pick's policy for handing HTTP handlers to other threads (src/services/http/handoff-policy.ts), driven
 * by a clock and a busy meter the test moves: which handlers go out, from which figures, and when the figure of
 * a request's cost on thread 1 is measured again. (Real threads: test/cli/http-threads-policy.test.ts.)
 */
import { HandoffPolicy, type BusyMeter, type EndpointCost } from '../../../src/services/http/handoff-policy';

let endpoints = new Map<string, EndpointCost>();
/** The endpoint `name` of the test under way. */
function e(name: string): EndpointCost {
  let found = endpoints.get(name);
  if (found === undefined) endpoints.set(name, (found = { ms: undefined }));
  return found;
}
beforeEach(() => (endpoints = new Map()));

class Meter implements BusyMeter {
  at = 0;
  spent = 0;
  now(): number {
    return this.at;
  }
  busy(): number {
    return this.spent;
  }
}

interface Window {
  readonly requests?: number;
  readonly handed: number;
  /** Thread 1's busy ms per request besides the handlers it ran. */
  readonly perRequest: number;
  /** Handlers run on thread 1 in the window, each costing this (ms). */
  readonly localMs?: number;
  readonly ms?: number;
}

/** One window of requests, the clock and the busy time moved before its last request closes it. */
function serve(policy: HandoffPolicy, meter: Meter, w: Window): void {
  const requests = w.requests ?? 64;
  const local = requests - w.handed;
  for (let i = 0; i < requests; i++) {
    if (i === requests - 1) {
      meter.at += w.ms ?? 25;
      meter.spent += requests * w.perRequest + local * (w.localMs ?? 0);
    }
    const handed = i < w.handed;
    if (!handed) policy.ran(e('filler'), w.localMs ?? 0, true);
    policy.served(handed);
  }
}

function calibrated(perRequest: readonly number[]): { policy: HandoffPolicy; meter: Meter } {
  const meter = new Meter();
  const policy = new HandoffPolicy(meter);
  for (const p of perRequest) serve(policy, meter, { handed: 64, perRequest: p });
  return { policy, meter };
}

describe('the handoff policy', () => {
  test('until a calibration has measured thread 1, every handler may go out; then only those costing more than twice its figure', () => {
    const meter = new Meter();
    const policy = new HandoffPolicy(meter);
    policy.ran(e('cheap'), 0.09, true);
    expect(policy.pays(e('cheap'))).toBe(true);
    serve(policy, meter, { handed: 64, perRequest: 0.08 });
    serve(policy, meter, { handed: 64, perRequest: 0.05 });
    expect(policy.requestCost).toBeUndefined();
    expect(policy.pays(e('cheap'))).toBe(true);
    serve(policy, meter, { handed: 64, perRequest: 0.06 });
    // The least of the three windows: noise only adds.
    expect(policy.requestCost).toBeCloseTo(0.05, 9);
    expect(policy.pays(e('cheap'))).toBe(false);
    policy.ran(e('costly'), 0.11, false);
    expect(policy.pays(e('costly'))).toBe(true);
    // A handler never measured goes out, and is measured there.
    expect(policy.pays(e('new'))).toBe(true);
  });

  test("the handlers thread 1 ran itself are not counted in a request's cost; a window with fewer than half handed over does not count", () => {
    const meter = new Meter();
    const policy = new HandoffPolicy(meter);
    for (let i = 0; i < 3; i++) serve(policy, meter, { handed: 31, perRequest: 0.05, localMs: 1 });
    expect(policy.requestCost).toBeUndefined();
    for (let i = 0; i < 3; i++) serve(policy, meter, { handed: 32, perRequest: 0.05, localMs: 1 });
    expect(policy.requestCost).toBeCloseTo(0.05, 9);
  });

  test('a window too short in time, or so long that it measured a trickle, does not count', () => {
    const meter = new Meter();
    const policy = new HandoffPolicy(meter);
    for (let i = 0; i < 3; i++) serve(policy, meter, { handed: 64, perRequest: 0.05, ms: 1500 });
    expect(policy.requestCost).toBeUndefined();
    // 10 ms: the window goes on until 20 ms have passed.
    serve(policy, meter, { handed: 64, perRequest: 0.05, ms: 10 });
    expect(policy.requestCost).toBeUndefined();
  });

  test('a handler that grows costly goes out, and comes back once it is cheap again', () => {
    const { policy } = calibrated([0.05, 0.05, 0.05]);
    policy.ran(e('h'), 0.01, true);
    expect(policy.pays(e('h'))).toBe(false);
    policy.ran(e('h'), 5, true);
    expect(policy.pays(e('h'))).toBe(true);
    let runs = 0;
    while (policy.pays(e('h')) && runs < 100) {
      policy.ran(e('h'), 0.01, false);
      runs++;
    }
    expect(policy.pays(e('h'))).toBe(false);
    expect(runs).toBeGreaterThan(1);
  });

  test('a calibration whose windows do not count ends after six windows, keeping the figure it had', () => {
    const { policy, meter } = calibrated([0.05, 0.05, 0.05]);
    policy.ran(e('cheap'), 0.09, true);
    // Ten windows of 100 ms: the tenth, a second after the calibration, starts another.
    for (let ms = 0; ms < 1000; ms += 100) serve(policy, meter, { handed: 0, perRequest: 0.05, ms: 100 });
    expect(policy.pays(e('cheap'))).toBe(true);
    for (let i = 0; i < 5; i++) serve(policy, meter, { handed: 10, perRequest: 0.5 });
    expect(policy.pays(e('cheap'))).toBe(true);
    serve(policy, meter, { handed: 10, perRequest: 0.5 });
    expect(policy.pays(e('cheap'))).toBe(false);
    expect(policy.requestCost).toBeCloseTo(0.05, 9);
  });

  test('outside a calibration one in eight of the handlers thread 1 runs is timed; during one, every one', () => {
    const { policy, meter } = calibrated([0.05, 0.05, 0.05]);
    policy.ran(e('cheap'), 0.01, true);
    const timed = Array.from({ length: 64 }, () => policy.measures(e('cheap'))).filter((t) => t).length;
    expect(timed).toBe(8);
    expect(policy.measures(e('unknown'))).toBe(true);
    for (let ms = 0; ms < 1000; ms += 100) serve(policy, meter, { handed: 0, perRequest: 0.05, ms: 100 });
    expect(Array.from({ length: 8 }, () => policy.measures(e('cheap')))).toEqual(Array(8).fill(true));
  });

  test("thread 1's figure is measured again after 1 s of requests, then after 2 s, ...: everything may go out meanwhile", () => {
    const { policy, meter } = calibrated([0.05, 0.05, 0.05]);
    policy.ran(e('h'), 0.3, true);
    expect(policy.pays(e('h'))).toBe(true);
    // Kept on thread 1 for a second: the window that ends it starts a calibration.
    for (let ms = 0; ms < 1000; ms += 100) serve(policy, meter, { handed: 0, perRequest: 0.05, ms: 100 });
    serve(policy, meter, { handed: 0, perRequest: 0.05 });
    expect(policy.pays(e('cheap'))).toBe(true);
    for (let i = 0; i < 3; i++) serve(policy, meter, { handed: 64, perRequest: 0.2 });
    expect(policy.requestCost).toBeCloseTo(0.2, 9);
    expect(policy.pays(e('h'))).toBe(false);
    // The next one comes 2 s later, not 1.
    for (let ms = 0; ms < 1500; ms += 100) serve(policy, meter, { handed: 0, perRequest: 0.05, ms: 100 });
    expect(policy.pays(e('h'))).toBe(false);
    for (let ms = 0; ms < 600; ms += 100) serve(policy, meter, { handed: 0, perRequest: 0.05, ms: 100 });
    expect(policy.pays(e('h'))).toBe(true);
  });
});
