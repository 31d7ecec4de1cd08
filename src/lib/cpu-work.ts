/**
 * CPU-heavy work the runtime does for a process (key derivation, compression, big digests) must neither hold
 * the main thread nor fill libuv's small thread pool, which the file system shares. Work that runs on the pool
 * goes through `cpuJobs` (at most two jobs at once, the rest wait in order); work that runs on the main thread
 * goes through `feedSliced`, which hands the input over in slices with a turn of the event loop between them.
 */

/** How many bytes one slice of main-thread work may take (about a millisecond of hashing or sealing). */
export const SLICE_BYTES = 256 * 1024;

/** Runs async jobs with at most `limit` of them in flight; the others start in arrival order. */
export class JobLimiter {
  private running = 0;
  private readonly queue: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.queue.push(resolve));
    this.running++;
    try {
      return await job();
    } finally {
      this.running--;
      this.queue.shift()?.();
    }
  }

  /** Jobs waiting for a slot. */
  get waiting(): number {
    return this.queue.length;
  }
}

/** Thread-pool jobs on behalf of processes: two at once leaves the pool's other two threads for file I/O. */
export const cpuJobs = new JobLimiter(2);

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Gives `data` to `update` in slices of SLICE_BYTES. A small input is fed at once and `finish()` answered
 * directly; a big one yields to the event loop between slices and answers a Promise.
 */
export function feedSliced<R>(data: Uint8Array, update: (chunk: Uint8Array) => void, finish: () => R): R | Promise<R> {
  if (data.length <= SLICE_BYTES) {
    update(data);
    return finish();
  }
  return (async () => {
    for (let at = 0; at < data.length; at += SLICE_BYTES) {
      update(data.subarray(at, Math.min(data.length, at + SLICE_BYTES)));
      await nextTurn();
    }
    return finish();
  })();
}

/** How long one slice of main-thread work may run before the event loop gets a turn. */
export const SLICE_MS = 4;

/**
 * Runs a computation written as a generator that yields at safe points: it runs to the end at once when that
 * takes under SLICE_MS, else it goes on in slices of SLICE_MS with a turn of the event loop between them and
 * answers a Promise.
 */
export function runSliced<R>(work: Generator<void, R, void>): R | Promise<R> {
  const step = (): IteratorResult<void, R> | null => {
    const until = performance.now() + SLICE_MS;
    for (;;) {
      const r = work.next();
      if (r.done === true) return r;
      if (performance.now() >= until) return null;
    }
  };
  const first = step();
  if (first !== null) return first.value as R;
  return (async () => {
    for (;;) {
      await nextTurn();
      const r = step();
      if (r !== null) return r.value as R;
    }
  })();
}
