/**
 * The live view of a node run on several threads (`wisp run --threads N`): thread 1 serves the view and asks
 * every worker for its part over the worker's own channel (`worker.postMessage` / `parentPort`), each answer
 * bounded (at most the query's limit of processes, never more than THREAD_ANSWER_LIMIT) and awaited at most
 * OBSERVE_TIMEOUT_MS, so a thread that is stuck or gone shows as `not answering` or `down` and the view goes
 * on. A worker's own processes (the `system` module) ask thread 1 for the node's picture the same way. Nobody
 * asks, nothing runs: no timer, no polling.
 */
import { performance, type EventLoopUtilization } from 'perf_hooks';
import type { MessagePort, Worker } from 'worker_threads';
import { parsePid } from '../kernel/pid';
import { processDetails, takeSnapshot, type ProcessQuery } from '../hosts/snapshot';
import { mergeSnapshots, threadQuery, type ThreadPart } from '../hosts/node-snapshot';
import type { NodeThreads, Runtime } from '../hosts/runtime';
import type { ProcessDetails, SystemSnapshot } from '../api/system';
import { threadNode } from '../cluster/threads';
import { summedText, type MetricsRegistry, type MetricsSource, type MetricsJson } from '../services/metrics/collector';

/** How long thread 1 waits for a worker's part before showing it as not answering. */
export const OBSERVE_TIMEOUT_MS = 2000;
/** How long a worker waits for thread 1's node-wide picture (thread 1 itself waits for the others first). */
const GATHER_TIMEOUT_MS = 2 * OBSERVE_TIMEOUT_MS + 1000;
/** The busy share is measured over at least this long, so that two viewers asking at once do not shrink it to nothing. */
const BUSY_WINDOW_MS = 500;

/** Thread 1 to a worker, and back. */
export type ObserveRequest =
  | { readonly observe: number; readonly query: ProcessQuery }
  | { readonly observe: number; readonly details: string }
  | { readonly observe: number; readonly metrics: true };
export type ObserveAnswer = {
  readonly observed: number;
  readonly snapshot?: SystemSnapshot;
  readonly details?: ProcessDetails | null;
  readonly metrics?: MetricsJson;
};
/** A worker to thread 1 (one of its processes wants the node's picture), and back. */
export type GatherRequest =
  | { readonly gather: number; readonly query: ProcessQuery }
  | { readonly gather: number; readonly details: string };
export type GatherAnswer = { readonly gathered: number; readonly snapshot?: SystemSnapshot; readonly details?: ProcessDetails | null; readonly error?: string };

/** Requests awaiting answers by number, each given up after a timeout. */
export class Pending<A> {
  private next = 1;
  private readonly waiting = new Map<number, { resolve(a: A | null): void; timer: NodeJS.Timeout }>();

  /** Sends request number `id` and resolves with its answer, or null after `timeoutMs` or on `dropAll`. */
  ask(send: (id: number) => void, timeoutMs: number): Promise<A | null> {
    const id = this.next++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.settle(id, null), timeoutMs).unref();
      this.waiting.set(id, { resolve, timer });
      try {
        send(id);
      } catch {
        this.settle(id, null);
      }
    });
  }

  settle(id: number, answer: A | null): void {
    const w = this.waiting.get(id);
    if (w === undefined) return; // too late: already given up
    this.waiting.delete(id);
    clearTimeout(w.timer);
    w.resolve(answer);
  }

  dropAll(): void {
    for (const id of [...this.waiting.keys()]) this.settle(id, null);
  }
}

/** One thread's event loop utilisation, measured against the last reading at least BUSY_WINDOW_MS old. */
class BusyMeter {
  private base: EventLoopUtilization | undefined;

  constructor(private readonly read: (from?: EventLoopUtilization) => EventLoopUtilization) {}

  share(): number {
    const now = this.read();
    const delta = this.base === undefined ? now : this.read(this.base);
    if (this.base === undefined || delta.idle + delta.active >= BUSY_WINDOW_MS) this.base = now;
    return Number.isFinite(delta.utilization) ? delta.utilization : 0;
  }
}

/** A worker as thread 1 sees it for the view. */
class WorkerLine {
  readonly pending = new Pending<ObserveAnswer>();
  readonly busy: BusyMeter;
  down = false;
  /** It let a request time out and has answered nothing since: the view does not wait for it again until it does. */
  stuck = false;

  constructor(
    readonly thread: string,
    readonly worker: Worker,
  ) {
    this.busy = new BusyMeter((from) => worker.performance.eventLoopUtilization(from));
  }
}

/** Thread 1's side: gathers the node's picture for the live view, the `system` module and the workers. */
export class ThreadView implements NodeThreads {
  private readonly lines: WorkerLine[] = [];
  private readonly mainBusy = new BusyMeter((from) => performance.eventLoopUtilization(from));
  private runtime: Runtime | null = null;

  /**
   * `name(i)`: thread i's node name (`t2`, or in a cluster `b.t2`: threads.ts `threadNames`); `nodeName`: the
   * node's own (null standalone, as on one thread; in a cluster its name, `b`).
   */
  constructor(
    private readonly name: (i: number) => string,
    private readonly nodeName: string | null,
  ) {}

  /** Worker `index` (2..N); its messages that belong to the view are passed to `received`. */
  addWorker(index: number, worker: Worker): void {
    const line = new WorkerLine(this.name(index), worker);
    this.lines.push(line);
    worker.once('exit', () => {
      line.down = true;
      line.pending.dropAll();
    });
  }

  /** Thread 1's runtime: from now on the view answers. */
  observe(runtime: Runtime): void {
    this.runtime = runtime;
    runtime.nodeThreads = this;
  }

  /** A worker's message for the view; false when it is not one. */
  received(index: number, message: unknown): boolean {
    const line = this.lines[index - 2];
    if (isObject(message) && typeof message.observed === 'number') {
      line.stuck = false;
      line.pending.settle(message.observed, message as ObserveAnswer);
      return true;
    }
    if (isObject(message) && typeof message.gather === 'number') {
      void this.gatherFor(line, message as GatherRequest);
      return true;
    }
    return false;
  }

  async snapshot(query: ProcessQuery): Promise<SystemSnapshot> {
    const runtime = this.ownRuntime();
    const asked = threadQuery(query);
    const others = this.lines.map(async (line): Promise<ThreadPart> => {
      const busy = line.busy.share();
      if (line.down) return { thread: line.thread, snapshot: null, state: 'down', busy: 0 };
      const asking = line.pending.ask((id) => line.worker.postMessage({ observe: id, query: asked } satisfies ObserveRequest), OBSERVE_TIMEOUT_MS);
      // Still stuck since the last time: asked again (its answer will say it is back), but not waited for.
      const answer = line.stuck ? null : await asking;
      if (answer === null && !line.down) line.stuck = true;
      if (answer?.snapshot === undefined) return { thread: line.thread, snapshot: null, state: line.down ? 'down' : 'not answering', busy };
      return { thread: line.thread, snapshot: answer.snapshot, state: 'up', busy };
    });
    const own: ThreadPart = { thread: this.name(1), snapshot: takeSnapshot(runtime, asked), state: 'up', busy: this.mainBusy.share() };
    return mergeSnapshots([own, ...(await Promise.all(others))], query, this.nodeName);
  }

  async details(pid: string): Promise<ProcessDetails | null> {
    const runtime = this.ownRuntime();
    const node = parsePid(pid)?.node ?? null;
    const line = this.lines.find((l) => l.thread === node);
    if (line === undefined) return processDetails(runtime, pid);
    if (line.down) return null;
    const answer = await line.pending.ask((id) => line.worker.postMessage({ observe: id, details: pid } satisfies ObserveRequest), OBSERVE_TIMEOUT_MS);
    return answer?.details ?? null;
  }

  /** The node's metrics for the Prometheus exporter: thread 1's and each answering worker's, added up. */
  metrics(own: MetricsRegistry): MetricsSource {
    return {
      contentType: own.contentType,
      text: async () => {
        const others = this.lines.map(async (line) => {
          if (line.down) return [];
          const answer = await line.pending.ask((id) => line.worker.postMessage({ observe: id, metrics: true } satisfies ObserveRequest), OBSERVE_TIMEOUT_MS);
          return answer?.metrics ?? [];
        });
        return summedText([await own.json(), ...(await Promise.all(others))]);
      },
    };
  }

  private ownRuntime(): Runtime {
    if (this.runtime === null) throw new Error('the thread view is not observing a runtime yet');
    return this.runtime;
  }

  private async gatherFor(line: WorkerLine, request: GatherRequest): Promise<void> {
    let answer: GatherAnswer;
    try {
      answer = 'query' in request
        ? { gathered: request.gather, snapshot: await this.snapshot(request.query) }
        : { gathered: request.gather, details: await this.details(request.details) };
    } catch (e) {
      answer = { gathered: request.gather, error: e instanceof Error ? e.message : String(e) };
    }
    if (!line.down) line.worker.postMessage(answer);
  }
}

/**
 * A worker's side: answers thread 1's requests for its part (its own snapshot, bounded by the query), and asks
 * thread 1 for the node's picture when one of its processes wants it. Returns the handler for thread 1's messages
 * (true when it took the message).
 */
export function workerView(runtime: Runtime, port: MessagePort): (message: unknown) => boolean {
  const pending = new Pending<GatherAnswer>();
  const gathered = async (request: (id: number) => GatherRequest): Promise<GatherAnswer> => {
    const answer = await pending.ask((id) => port.postMessage(request(id)), GATHER_TIMEOUT_MS);
    if (answer === null) throw new Error(`${threadNode(1)} did not answer`);
    if (answer.error !== undefined) throw new Error(answer.error);
    return answer;
  };
  runtime.nodeThreads = {
    snapshot: async (query) => (await gathered((id) => ({ gather: id, query }))).snapshot as SystemSnapshot,
    details: async (pid) => (await gathered((id) => ({ gather: id, details: pid }))).details ?? null,
  };
  return (message) => {
    if (!isObject(message)) return false;
    if (typeof message.gathered === 'number') {
      pending.settle(message.gathered, message as GatherAnswer);
      return true;
    }
    if (typeof message.observe !== 'number') return false;
    const request = message as ObserveRequest;
    if ('metrics' in request) {
      void runtime.metrics.json().then(
        (metrics) => port.postMessage({ observed: request.observe, metrics } satisfies ObserveAnswer),
        () => port.postMessage({ observed: request.observe } satisfies ObserveAnswer),
      );
      return true;
    }
    let answer: ObserveAnswer = { observed: request.observe };
    try {
      answer = 'query' in request
        ? { observed: request.observe, snapshot: takeSnapshot(runtime, threadQuery(request.query)) }
        : { observed: request.observe, details: processDetails(runtime, request.details) };
    } catch {
      // A failure of the view must not end the thread: answered without a part, thread 1 shows it as not answering.
    }
    port.postMessage(answer);
    return true;
  };
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}
