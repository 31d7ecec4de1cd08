import { after, MAX_TIMEOUT_MS } from '../../src/util/timer';

const HOUR = 3_600_000;

describe('after: long timers are chained and never early (fake clock)', () => {
  let delays: number[];
  let handles: NodeJS.Timeout[];

  beforeEach(() => {
    jest.useFakeTimers();
    delays = [];
    handles = [];
    const fake = global.setTimeout;
    jest.spyOn(global, 'setTimeout').mockImplementation(((fn: () => void, ms: number) => {
      delays.push(ms);
      const h = fake(fn, ms);
      handles.push(h);
      return h;
    }) as typeof setTimeout);
  });
  afterEach(() => {
    jest.restoreAllMocks();
    jest.useRealTimers();
  });

  const clock = { now: () => Date.now() };

  test('a delay longer than one chunk is a chain of full chunks and the rest, and fires exactly at its end', () => {
    const fn = jest.fn();
    after(35, fn, { maxChunkMs: 10, ...clock });
    jest.advanceTimersByTime(34);
    expect(fn).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(delays).toEqual([10, 10, 10, 5]);
    jest.advanceTimersByTime(100);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  test('720h with the real chunk size: no setTimeout above 2^31-1 ms, not a millisecond early', () => {
    const fn = jest.fn();
    after(720 * HOUR, fn, clock);
    jest.advanceTimersByTime(720 * HOUR - 1);
    expect(fn).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(delays).toEqual([MAX_TIMEOUT_MS, 720 * HOUR - MAX_TIMEOUT_MS]);
  });

  test('a timer that fires before the deadline on the monotonic clock re-arms for the rest', () => {
    let skew = 0;
    const fn = jest.fn();
    after(20, fn, { now: () => Date.now() - skew });
    skew = 3; // from now on the monotonic clock runs 3 ms behind the one timers go by
    jest.advanceTimersByTime(20);
    expect(fn).not.toHaveBeenCalled();
    jest.advanceTimersByTime(2);
    expect(fn).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(delays).toEqual([20, 3]);
  });

  test('fractions of a millisecond round up, never down', () => {
    const fn = jest.fn();
    after(2.2, fn, clock);
    jest.advanceTimersByTime(2);
    expect(fn).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(delays).toEqual([3]);
  });

  test('cancel in the middle of a chain: it never fires', () => {
    const fn = jest.fn();
    const t = after(35, fn, { maxChunkMs: 10, ...clock });
    jest.advanceTimersByTime(25);
    t.cancel();
    jest.advanceTimersByTime(100);
    expect(fn).not.toHaveBeenCalled();
    expect(jest.getTimerCount()).toBe(0);
  });

  test('unref holds for every timer of the chain, before and after it is called', () => {
    after(35, () => undefined, { maxChunkMs: 10, ...clock }).unref();
    jest.advanceTimersByTime(25);
    expect(handles).toHaveLength(3);
    expect(handles.map((h) => h.hasRef())).toEqual([false, false, false]);
  });

  test('an infinite delay never fires and keeps one chunk pending at a time', () => {
    const fn = jest.fn();
    after(Infinity, fn, { maxChunkMs: 10, ...clock });
    jest.advanceTimersByTime(1000);
    expect(fn).not.toHaveBeenCalled();
    expect(jest.getTimerCount()).toBe(1);
    expect(new Set(delays)).toEqual(new Set([10]));
  });

  test.each([0, 0.5, -5, NaN])('a delay of %p runs on the next turn of the loop, not synchronously', (ms) => {
    const fn = jest.fn();
    after(ms, fn, clock);
    expect(fn).not.toHaveBeenCalled();
    jest.runAllTicks();
    jest.advanceTimersByTime(ms === 0.5 ? 1 : 0);
    expect(fn).toHaveBeenCalledTimes(1);
  });
});

describe('after with real timers', () => {
  test('a 720h timer does not fire within 100 ms and Node prints no TimeoutOverflowWarning', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => void warnings.push(w);
    process.on('warning', onWarning);
    const fn = jest.fn();
    const t = after(720 * HOUR, fn);
    await new Promise((r) => setTimeout(r, 100));
    t.cancel();
    process.off('warning', onWarning);
    expect(fn).not.toHaveBeenCalled();
    expect(warnings).toEqual([]);
  });
});
