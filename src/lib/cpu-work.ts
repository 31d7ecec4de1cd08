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

/**
 * A computation written as a generator that yields at safe points, as a SlicedWork of the engine
 * (src/engine/sliced.ts `runSliced`, which runs it in the calling task's time slices): each step runs up to
 * `budget` of its yields; `result` holds its value once done.
 */
export class GeneratorWork<R> {
  result: R | undefined;

  constructor(private readonly work: Generator<void, R, void>) {}

  step(budget: number): boolean {
    for (let i = 0; i < budget; i++) {
      const r = this.work.next();
      if (r.done === true) {
        this.result = r.value;
        return true;
      }
    }
    return false;
  }
}
