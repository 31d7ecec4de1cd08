/**
 * The one timer every user-given duration goes through (time.sleep/after/timer/ticker, restart delays,
 * stop_timeout, the CLI's shutdown safety net).
 *
 * Node's setTimeout cannot wait longer than 2^31-1 ms (24.8 days): a longer delay prints a
 * TimeoutOverflowWarning and fires after 1 ms. So a long wait is a chain of timers of at most that size, each
 * re-armed for what is left of the deadline. The deadline is kept on the monotonic clock, and the callback runs
 * only once it has passed, because Node may fire a timer up to a loop iteration early (timers start from the
 * loop's cached time) and Go never wakes a sleeper early.
 */

/** The longest delay setTimeout honours. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export interface Timer {
  /** Stops it; the callback will not run. Idempotent, and harmless after it has run. */
  cancel(): void;
  /** Lets the process exit while only this timer is pending, as `setTimeout(...).unref()` does. */
  unref(): Timer;
}

export interface TimerOptions {
  /** Longest single setTimeout of the chain; tests make it small to exercise the chaining. */
  maxChunkMs?: number;
  /** The monotonic clock, in ms. */
  now?: () => number;
}

/**
 * Runs `fn` once, when at least `ms` milliseconds have passed. Any duration works: a sub-millisecond (or zero,
 * negative or NaN) one runs on the next turn of the event loop, an infinite one never.
 */
export function after(ms: number, fn: () => void, options: TimerOptions = {}): Timer {
  const maxChunk = options.maxChunkMs ?? MAX_TIMEOUT_MS;
  const now = options.now ?? (() => performance.now());
  const due = now() + (ms > 0 ? ms : 0);
  let timeout: NodeJS.Timeout | null = null;
  let immediate: NodeJS.Immediate | null = null;
  let ref = true;

  const arm = (left: number): void => {
    // Whole milliseconds, rounded up: a fraction would be rounded down and wake early.
    timeout = setTimeout(check, Math.min(Math.ceil(left), maxChunk));
    if (!ref) timeout.unref();
  };
  const check = (): void => {
    timeout = immediate = null;
    const left = due - now();
    if (left > 0) arm(left);
    else fn();
  };
  // Under a millisecond, setTimeout would wait a whole one; the next loop turn is closer.
  const left = due - now();
  if (left < 1) immediate = setImmediate(check);
  else arm(left);

  const timer: Timer = {
    cancel() {
      if (timeout !== null) clearTimeout(timeout);
      if (immediate !== null) clearImmediate(immediate);
      timeout = immediate = null;
    },
    unref() {
      ref = false;
      timeout?.unref();
      immediate?.unref();
      return timer;
    },
  };
  return timer;
}

/** Runs `fn` every `ms` milliseconds until canceled, never keeping the process alive (sweeps, cleanups). */
export function every(ms: number, fn: () => void): Timer {
  let current: Timer | null = null;
  let canceled = false;
  const arm = (): void => {
    current = after(ms, () => {
      if (canceled) return;
      fn();
      arm();
    }).unref();
  };
  arm();
  const timer: Timer = {
    cancel() {
      canceled = true;
      current?.cancel();
    },
    unref: () => timer,
  };
  return timer;
}
