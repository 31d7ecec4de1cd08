/**
 * `wisp run --threads N` (src/cluster/spec.md "Threads"): thread 1 is the main thread (the terminal, `-x`, the
 * live view, native services); threads 2..N are worker threads, each booting the same project in its own
 * Runtime with its own Fengari states. The threads are the nodes `t1`..`tN` of an in-process cluster
 * (src/cluster/threads.ts). Each auto-start `process.service` runs on the thread of its host: hosts are dealt
 * round-robin in id order, starting with thread 2, so with two threads the terminal is on one and the first
 * process host on the other.
 */
import { join } from 'path';
import { MessageChannel, Worker, type MessagePort } from 'worker_threads';
import { isHost, type Registry } from '../registry';
import { MemoryBucket, joinThreads, serveBucket, threadNode, threadPorts, type ThreadNode } from '../cluster/threads';
import type { Log } from '../api/logging';
import type { Node } from '../kernel/node';
import { ThreadView } from './thread-view';
import { leadRegistry } from './thread-registry';
import type { Runtime } from '../hosts/runtime';

/**
 * The thread (1-based) each auto-start `process.service` runs on: its host's thread. Services of other kinds
 * (databases, stores, queues) are absent: every thread runs its own instance, so its processes reach them.
 */
export function servicePlacement(registry: Registry, threads: number): ReadonlyMap<string, number> {
  const hosts = registry
    .entries()
    .filter((e) => isHost(e) && e.kind !== 'terminal.host')
    .map((e) => e.id)
    .sort();
  const hostThread = new Map(hosts.map((id, i) => [id, ((i + 1) % threads) + 1]));
  const out = new Map<string, number>();
  for (const e of registry.entries()) {
    if (e.kind === 'process.service') out.set(e.id, hostThread.get(e.host) ?? 1);
  }
  return out;
}

/** What a worker thread is given (thread-worker.ts). */
export interface WorkerData {
  readonly index: number;
  readonly threads: number;
  readonly cwd: string;
  /** The run's flags (plain values). */
  readonly flags: Record<string, unknown>;
  readonly ports: ReadonlyMap<string, MessagePort>;
  readonly names: MessagePort;
}

/** What a worker thread says to the main thread. */
export type WorkerReport =
  | { readonly ready: true }
  | { readonly failed: string }
  | { readonly stopped: true }
  /** `system.exit(code)` on that thread: the node shuts down, as when thread 1's processes call it. */
  | { readonly exit: number };

export interface ThreadGroup {
  readonly threads: number;
  /** Thread 1's node name (the main thread's). */
  readonly mainNode: string;
  /** Whether thread 1 runs service `id` (every thread runs the services that are not process services). */
  runsHere(id: string): boolean;
  /** Joins thread 1 to the others and waits until every worker has booted its project. */
  attach(node: Node): Promise<void>;
  /** The worker of thread `i` (2..N). */
  worker(i: number): Worker;
  /**
   * Thread 1's runtime, once it exists: from then on the live view and `system` show every thread
   * (thread-view.ts) and thread 1 orders the registry's changes (thread-registry.ts).
   */
  lead(runtime: Runtime): void;
  /** Stops every worker thread (each shuts its runtime down), then leaves. */
  stop(): Promise<void>;
}

export interface ThreadGroupOptions {
  readonly threads: number;
  readonly cwd: string;
  readonly flags: object;
  readonly registry: Registry;
  readonly log: Log;
  /** `system.exit(code)` on a worker thread. */
  readonly onExitRequest?: (code: number) => void;
  /** The compiled worker script (default: thread-worker.js next to this file). */
  readonly workerFile?: string;
}

export function startThreadGroup(options: ThreadGroupOptions): ThreadGroup {
  const { threads, log } = options;
  const placement = servicePlacement(options.registry, threads);
  const ports = threadPorts(threads);
  const bucket = new MemoryBucket();
  const flags = JSON.parse(JSON.stringify(options.flags)) as Record<string, unknown>;
  const file = options.workerFile ?? join(__dirname, 'thread-worker.js');
  const workers: Worker[] = [];
  const view = new ThreadView();
  let registryRequest: (worker: Worker, message: unknown) => boolean = () => false;
  const exited = new Set<Worker>();
  const booted: Promise<void>[] = [];
  const stopped: Promise<void>[] = [];
  for (let i = 2; i <= threads; i++) {
    const { port1, port2 } = new MessageChannel();
    serveBucket(bucket, port1);
    port1.unref();
    const mine = ports[i - 1];
    const data: WorkerData = { index: i, threads, cwd: options.cwd, flags, ports: mine, names: port2 };
    const worker = new Worker(file, { workerData: data, transferList: [...mine.values(), port2] });
    workers.push(worker);
    view.addWorker(i, worker);
    let ready!: () => void;
    booted.push(new Promise<void>((resolve) => (ready = resolve)));
    stopped.push(new Promise<void>((resolve) => worker.once('exit', () => resolve())));
    worker.on('message', (report: WorkerReport) => {
      if (view.received(i, report) || registryRequest(worker, report)) return;
      if ('exit' in report) options.onExitRequest?.(report.exit);
      else if ('ready' in report) ready();
      else if ('failed' in report) {
        log('error', `threads: thread ${threadNode(i)} failed to start: ${report.failed}`, {});
        ready();
      }
    });
    worker.on('error', (e) => log('error', `threads: thread ${threadNode(i)} failed`, { error: e.message }));
    worker.once('exit', (code) => {
      exited.add(worker);
      ready();
      if (!stopping) log('error', `threads: thread ${threadNode(i)} ended`, { code });
    });
  }
  let stopping = false;
  let self: ThreadNode | null = null;
  return {
    threads,
    mainNode: threadNode(1),
    runsHere: (id) => (placement.get(id) ?? 1) === 1,
    async attach(node: Node): Promise<void> {
      self = joinThreads({ self: threadNode(1), ports: ports[0], names: bucket }, log);
      for (const port of ports[0].values()) port.unref();
      await self.attach(node);
      await Promise.all(booted);
    },
    worker: (i) => workers[i - 2],
    lead(runtime: Runtime): void {
      view.observe(runtime);
      registryRequest = leadRegistry(runtime.store, workers, (w) => !exited.has(w), log);
    },
    async stop(): Promise<void> {
      stopping = true;
      self?.leaving();
      for (const w of workers) w.postMessage({ stop: true });
      await Promise.all(stopped);
      self?.close();
    },
  };
}
