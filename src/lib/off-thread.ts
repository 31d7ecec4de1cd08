/**
 * Work the runtime does for a process that may take long (sanitising megabytes of HTML, reading a
 * spreadsheet) runs here, in one worker thread per kind of work, so the main thread and every other process
 * keep running. Each job is bounded: past its time limit the worker is terminated (and started again for the
 * next job), and the worker's heap is capped, so a hostile input ends with an error instead of holding a core
 * or the runtime's memory. Jobs run one at a time, in arrival order; the worker does not keep the runtime
 * alive while it is idle. The queue is bounded by the bytes of input waiting in it, so many callers cannot pile
 * up the heap: past the bound a job is refused at once.
 *
 * The worker's code is a function `(input, lib) => output` given as source (its `toString()`), so it cannot
 * use anything from this module's scope; `lib` holds what `libraries` names, loaded once in the worker.
 */
import { Worker } from 'worker_threads';

export interface OffThreadLimits {
  /** How long one job may run. */
  readonly timeoutMs: number;
  /** The worker's old-generation heap in MB. */
  readonly heapMb: number;
  /** How many bytes of input may wait in the queue (a job that would pass it is refused at once). */
  readonly queueBytes: number;
}

/** A job that failed: its own error, or the worker's limits (`limit` says which). */
export class OffThreadError extends Error {
  constructor(
    message: string,
    readonly limit: 'time' | 'memory' | 'queue' | null = null,
  ) {
    super(message);
  }
}

interface Job {
  readonly id: number;
  readonly bytes: number;
  readonly input: unknown;
  readonly transfer: ArrayBuffer[];
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: Error) => void;
}

const host = (job: string): string => `
const { parentPort, workerData } = require('worker_threads');
const lib = {};
for (const [name, path] of Object.entries(workerData)) lib[name] = require(path);
const job = (${job});
parentPort.on('message', async (m) => {
  try {
    const out = await job(m.input, lib);
    const transfer = out instanceof Uint8Array ? [out.buffer] : [];
    parentPort.postMessage({ id: m.id, ok: true, out }, transfer);
  } catch (e) {
    parentPort.postMessage({ id: m.id, ok: false, error: String((e && e.message) || e) });
  }
});
`;

export class OffThread<I, O> {
  private worker: Worker | null = null;
  private readonly queue: Job[] = [];
  private current: Job | null = null;
  private timer: NodeJS.Timeout | null = null;
  private nextId = 1;
  private queuedBytes = 0;
  private readonly source: string;

  constructor(
    /** What the worker runs: a self-contained function of the job's input and the loaded libraries. */
    job: (input: I, lib: Record<string, unknown>) => O | Promise<O>,
    /** Library name → module path (require.resolve it on the main thread). */
    private readonly libraries: Record<string, string>,
    private readonly limits: OffThreadLimits,
    /** The size of a job's input, for the queue bound. */
    private readonly sizeOf: (input: I) => number,
  ) {
    this.source = host(job.toString());
  }

  /** Runs one job; `transfer` lists buffers of `input` handed to the worker (not copied). */
  run(input: I, transfer: ArrayBuffer[] = []): Promise<O> {
    const bytes = this.sizeOf(input);
    if (this.queue.length > 0 && this.queuedBytes + bytes > this.limits.queueBytes) {
      return Promise.reject(new OffThreadError(`is busy: ${this.queue.length} jobs (${this.queuedBytes} bytes) are waiting`, 'queue'));
    }
    this.queuedBytes += bytes;
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, bytes, input, transfer, resolve: resolve as (v: unknown) => void, reject });
      this.next();
    });
  }

  /** Jobs waiting or running. */
  get pending(): number {
    return this.queue.length + (this.current === null ? 0 : 1);
  }

  private next(): void {
    if (this.current !== null) return;
    const job = this.queue.shift();
    if (job === undefined) {
      this.worker?.unref();
      return;
    }
    this.queuedBytes -= job.bytes;
    this.current = job;
    const w = this.start();
    w.ref();
    const ms = this.limits.timeoutMs;
    this.timer = setTimeout(() => this.kill(new OffThreadError(`took longer than ${ms} ms`, 'time')), ms);
    w.postMessage({ id: job.id, input: job.input }, job.transfer);
  }

  private start(): Worker {
    if (this.worker !== null) return this.worker;
    const w = new Worker(this.source, {
      eval: true,
      workerData: this.libraries,
      resourceLimits: { maxOldGenerationSizeMb: this.limits.heapMb, maxYoungGenerationSizeMb: Math.min(32, this.limits.heapMb) },
    });
    w.on('message', (m: { id: number; ok: boolean; out?: unknown; error?: string }) => {
      const job = this.current;
      if (job === null || job.id !== m.id) return;
      this.settle();
      if (m.ok) job.resolve(m.out);
      else job.reject(new OffThreadError(m.error ?? 'failed'));
      this.next();
    });
    w.on('error', (e: Error & { code?: string }) => {
      if (this.worker !== w) return; // a worker already given up (its job ended by the time bound)
      const memory = e.code === 'ERR_WORKER_OUT_OF_MEMORY';
      this.kill(new OffThreadError(memory ? `ran out of its ${this.limits.heapMb} MB of memory` : e.message, memory ? 'memory' : null));
    });
    w.on('exit', () => {
      if (this.worker === w) this.kill(new OffThreadError('worker exited'));
    });
    this.worker = w;
    return w;
  }

  /** Ends the current job with `error` and the worker with it; the next job starts a new worker. */
  private kill(error: OffThreadError): void {
    const job = this.current;
    const w = this.worker;
    this.settle();
    this.worker = null;
    void w?.terminate();
    job?.reject(error);
    this.next();
  }

  private settle(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.current = null;
  }
}
