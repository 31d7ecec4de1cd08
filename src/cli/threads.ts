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
import { isHost, type Entry, type Registry } from '../registry';
import { joinThreads, memberName, threadNode, threadPorts, type ThreadNode } from '../cluster/threads';
import { MemoryBucket, serveBucket } from '../cluster/name-table';
import { ClusterRouter, type Placement } from '../cluster/router';
import type { SpawnRequest } from '../kernel/router';
import { securityOfText, securityText } from '../services/security/portable';
import { LiveSets, liveSetBytes } from '../cluster/live-set';
import { serveShared } from '../cluster/shared';
import { SharedEnv } from '../cluster/shared-env';
import type { Resources } from '../api/resources';
import { memoryDatabaseDir } from './thread-services';
import { runDueSchedulers, schedulersDue } from '../engine/scheduler';
import type { LocalWork } from '../cluster/thread-link';
import type { Log } from '../api/logging';
import type { ClusterOptions } from '../cluster/config';
import type { SiblingThreads } from '../cluster';
import type { Node } from '../kernel/node';
import type { ServiceThreads } from '../services/service';
import { ThreadView } from './thread-view';
import { after } from '../util/timer';
import type { MetricsRegistry, MetricsSource } from '../services/metrics/collector';
import { leadRegistry } from './thread-registry';
import type { Runtime } from '../hosts/runtime';

/** The entries `pick` chooses, each with its thread (1-based): dealt round-robin in id order, starting with thread 2. */
function dealt(registry: Registry, threads: number, pick: (e: Entry) => boolean): Map<string, number> {
  const ids = registry.entries().filter(pick).map((e) => e.id).sort();
  return new Map(ids.map((id, i) => [id, ((i + 1) % threads) + 1]));
}

/** Each process host's own thread. */
const hostHomes = (registry: Registry, threads: number): Map<string, number> =>
  dealt(registry, threads, (e) => isHost(e) && e.kind !== 'terminal.host');

/**
 * The thread (1-based) each auto-start `process.service` runs on: its host's thread; and each `queue.consumer`
 * (one thread each, so its concurrency is the node's): dealt round-robin in id order, starting with thread 2.
 * Services of other kinds (databases, stores, queues) are absent: every thread runs its own instance (for the
 * memory ones, a proxy to thread 1's), so its processes reach them.
 */
export function servicePlacement(registry: Registry, threads: number): ReadonlyMap<string, number> {
  const hostThread = hostHomes(registry, threads);
  const out = dealt(registry, threads, (e) => e.kind === 'queue.consumer');
  for (const e of registry.entries()) {
    if (e.kind === 'process.service') out.set(e.id, hostThread.get(e.host) ?? 1);
  }
  return out;
}

/**
 * The threads (1-based) of each process host marked `host.threads: K` (src/cluster/spec.md "Placement"): K of
 * the node's threads (all of them when K >= N), from the host's own thread on. Unmarked hosts are absent.
 */
export function hostThreads(registry: Registry, threads: number): ReadonlyMap<string, readonly number[]> {
  const homes = hostHomes(registry, threads);
  const out = new Map<string, number[]>();
  for (const e of registry.byKind('process.host')) {
    if (e.kind !== 'process.host' || e.threads === undefined) continue;
    const home = homes.get(e.id) ?? 1;
    out.set(e.id, Array.from({ length: Math.min(e.threads, threads) }, (_, k) => ((home - 1 + k) % threads) + 1));
  }
  return out;
}

/** How often a thread writes its process count where the others read it (and at each of its own spawns). */
const LOAD_REPORT_MS = 100;

/**
 * The memory the threads of one node share (created by thread 1, handed to each worker): per thread, the next
 * PID number (so that a thread can number a process it starts on another), its process count (its load), and
 * which of its processes are alive (src/cluster/live-set.ts).
 */
export function sharedThreadMemory(threads: number, firstUniq: number): SharedArrayBuffer {
  const memory = new SharedArrayBuffer(liveSetsAt(threads) + liveSetBytes(threads));
  new BigInt64Array(memory, 0, threads).fill(BigInt(firstUniq));
  return memory;
}

/** Where in the threads' memory their live sets begin (after the PID counters and the loads). */
const liveSetsAt = (threads: number): number => threads * 16;

/**
 * Places the spawns of thread `self` (src/cluster/spec.md "Placement"): a spawn onto a host marked
 * `host.threads` runs on the least loaded of that host's threads (this one on a tie); any other runs here.
 * Spawns that stay here whatever the host: one whose security context cannot cross (services/security/portable.ts),
 * one with no parent process, and one whose entry is not a process.lua (the local spawn gives its error).
 */
export function threadPlacement(registry: Registry, threads: number, self: number, name: (i: number) => string, memory: SharedArrayBuffer, node: Node): Placement {
  const next = new BigInt64Array(memory, 0, threads);
  const load = new Int32Array(memory, threads * 8, threads);
  node.pids.drawFrom(() => Number(Atomics.add(next, self - 1, 1n)));
  const report = setInterval(() => Atomics.store(load, self - 1, node.processCount), LOAD_REPORT_MS);
  report.unref();
  const placed = hostThreads(registry, threads);
  const place = (request: SpawnRequest, up: (node: string) => boolean): ReturnType<Placement['place']> => {
    const on = placed.get(request.host);
    Atomics.store(load, self - 1, node.processCount);
    if (on === undefined || request.parent === null) return null;
    if (registry.get(request.entry)?.kind !== 'process.lua') return null;
    // A context whose scope holds a policy other than the booted registry's (changed since) stays here.
    const security = securityText(request.security, registry);
    if (security === undefined) return null;
    let best = on[0];
    let least = Number.POSITIVE_INFINITY;
    for (const i of on) {
      if (i !== self && !up(name(i))) continue;
      const l = Atomics.load(load, i - 1);
      if (l < least || (l === least && i === self)) [best, least] = [i, l];
    }
    // Counted at once, so that a burst of spawns spreads before the next reports.
    Atomics.add(load, best - 1, 1);
    if (best === self) return null;
    const uniq = Number(Atomics.add(next, best - 1, 1n));
    return { pid: { node: name(best), host: request.host, uniq }, security };
  };
  return { place, security: (text) => securityOfText(text, registry) };
}

/** A thread's schedulers, for the transport between threads to run straight from its poll. */
export const localWork: LocalWork = { pending: schedulersDue, run: runDueSchedulers };

/** The node name of each thread (1-based): `t1`, `t2`, ... alone; in a cluster `b`, `b.t2`, ... */
export const threadNames = (cluster: ThreadsInCluster | undefined): ((i: number) => string) =>
  cluster === undefined ? threadNode : (i) => memberName(cluster.options.node, i);

/** What a worker thread is given (thread-worker.ts). */
export interface WorkerData {
  readonly index: number;
  readonly threads: number;
  readonly cwd: string;
  /** The run's flags (plain values). */
  readonly flags: Record<string, unknown>;
  /** Whether the log is quiet (`-x` or a command name), as on thread 1. */
  readonly quiet: boolean;
  readonly ports: ReadonlyMap<string, MessagePort>;
  readonly names: MessagePort;
  /** The memory of the node's name table (MemoryBucket's). */
  readonly namesMemory: SharedArrayBuffer;
  /** To thread 1's memory services (src/cluster/shared.ts). */
  readonly shared: MessagePort;
  /** Where the node's ":memory:" SQLite databases are (thread-services.ts). */
  readonly memoryDatabases: string;
  /** The port services hand work over to thread 1 with (ServiceThreads). */
  readonly services: MessagePort;
  /** sharedThreadMemory's. */
  readonly memory: SharedArrayBuffer;
  /** In a cluster: each thread joins it as a member of its own (src/cluster/spec.md "Threads in a cluster"). */
  readonly cluster?: ThreadsInCluster;
}

/** A node with several threads in a cluster: its settings and the incarnation thread 1 took. */
export interface ThreadsInCluster {
  readonly options: ClusterOptions;
  readonly incarnation: number;
  /** The first PID number of that incarnation. */
  readonly firstUniq: number;
}

/** What a worker thread says to the main thread. */
export type WorkerReport =
  | { readonly ready: true }
  | { readonly failed: string }
  | { readonly stopped: true }
  /** `system.exit(code)` on that thread: the node shuts down, as when thread 1's processes call it. */
  | { readonly exit: number }
  /** A service of that thread did not stop on CANCEL: thread 1 says so as for its own. */
  | { readonly stopWait: { readonly service: string; readonly ms: number } }
  /** That thread has stopped its services of stop level `levelStopped` (Runtime.stopLevel). */
  | { readonly levelStopped: number };

export interface ThreadGroup {
  readonly threads: number;
  /** Thread 1's node name (the main thread's). */
  readonly mainNode: string;
  /** Whether thread 1 runs service `id` (every thread runs the services that are not process services). */
  runsHere(id: string): boolean;
  /** Where the node's ":memory:" SQLite databases are (thread 1's runtime's `services`). */
  readonly memoryDatabases: string;
  /** The node's `env.storage.memory` storages, thread 1's runtime's (`envMemory`). */
  readonly env: SharedEnv;
  /** Serves thread 1's memory stores and queue drivers (found in `resources`) to the other threads. */
  serveShared(resources: Resources): void;
  /**
   * Joins thread 1 to the others and waits until every worker has booted its project. In a cluster, thread 1
   * joins the others through the cluster (`siblings`); this only waits for the workers.
   */
  attach(node: Node): Promise<void>;
  /** Thread 1's ports to the other threads and the node's LOCAL name table (for the cluster's attach). */
  readonly siblings: SiblingThreads;
  /** Thread 1's ports to the workers for services that hand work over (HTTP handlers). */
  readonly services: ServiceThreads;
  /** The worker of thread `i` (2..N). */
  worker(i: number): Worker;
  /**
   * Thread 1's runtime, once it exists: from then on the live view and `system` show every thread
   * (thread-view.ts) and thread 1 orders the registry's changes (thread-registry.ts).
   */
  lead(runtime: Runtime): void;
  /** What the Prometheus exporter serves: thread 1's metrics (`own`) and every worker's, added up. */
  metrics(own: MetricsRegistry): MetricsSource;
  /** Thread 1 has booted: logs the threads that failed to start. */
  started(): void;
  /** Has every running worker stop its services of stop level `k` (Runtime.stopLevel), and waits until each has. */
  stopLevel(k: number): Promise<void>;
  /**
   * Stops every worker thread (each shuts its runtime down), then leaves. A worker still running `graceMs`
   * later is ended.
   */
  stop(graceMs?: number): Promise<void>;
}

export interface ThreadGroupOptions {
  readonly threads: number;
  readonly cwd: string;
  readonly flags: object;
  /** Whether the log is quiet (default false). */
  readonly quiet?: boolean;
  readonly registry: Registry;
  readonly log: Log;
  /** `system.exit(code)` on a worker thread. */
  readonly onExitRequest?: (code: number) => void;
  /** A worker thread's service did not stop on CANCEL (Runtime's `onStopWait`). */
  readonly onStopWait?: (service: string, timeoutMs: number) => void;
  /** The compiled worker script (default: thread-worker.js next to this file). */
  readonly workerFile?: string;
  readonly cluster?: ThreadsInCluster;
}

export function startThreadGroup(options: ThreadGroupOptions): ThreadGroup {
  const { threads, log } = options;
  const placement = servicePlacement(options.registry, threads);
  const cluster = options.cluster;
  const name = threadNames(cluster);
  const ports = threadPorts(threads, name);
  const memory = sharedThreadMemory(threads, cluster?.firstUniq ?? 1);
  const bucket = new MemoryBucket(threads);
  const flags = JSON.parse(JSON.stringify(options.flags)) as Record<string, unknown>;
  const file = options.workerFile ?? join(__dirname, 'thread-worker.js');
  const workers: Worker[] = [];
  const view = new ThreadView(name, cluster?.options.node ?? null);
  let registryRequest: (worker: Worker, message: unknown) => boolean = () => false;
  const exited = new Set<Worker>();
  const booted: Promise<void>[] = [];
  // Logged once thread 1 has booted: a mistake in the project fails every thread alike, and thread 1's own error
  // is then the one line the user gets.
  const failures: string[] = [];
  const env = new SharedEnv();
  const memoryDatabases = memoryDatabaseDir();
  const sharedPorts: MessagePort[] = [];
  const stopped: Promise<void>[] = [];
  const servicePorts = new Map<number, MessagePort>();
  // Each worker's answer to the stop level thread 1 asked for last (stopLevel).
  const levelsStopped = new Map<Worker, (k: number) => void>();
  for (let i = 2; i <= threads; i++) {
    const services = new MessageChannel();
    servicePorts.set(i, services.port1);
    const { port1, port2 } = new MessageChannel();
    serveBucket(bucket, port1, i);
    port1.unref();
    const mine = ports[i - 1];
    const shared = new MessageChannel();
    sharedPorts.push(shared.port1);
    const data: WorkerData = { index: i, threads, cwd: options.cwd, flags, quiet: options.quiet ?? false, ports: mine, names: port2, namesMemory: bucket.memory, shared: shared.port2, memoryDatabases, services: services.port2, memory, cluster };
    const worker = new Worker(file, { workerData: data, transferList: [...mine.values(), port2, shared.port2, services.port2] });
    workers.push(worker);
    view.addWorker(i, worker);
    let ready!: () => void;
    booted.push(new Promise<void>((resolve) => (ready = resolve)));
    stopped.push(new Promise<void>((resolve) => worker.once('exit', () => resolve())));
    worker.on('message', (report: WorkerReport) => {
      if (view.received(i, report) || registryRequest(worker, report)) return;
      if ('exit' in report) options.onExitRequest?.(report.exit);
      else if ('stopWait' in report) options.onStopWait?.(report.stopWait.service, report.stopWait.ms);
      else if ('levelStopped' in report) levelsStopped.get(worker)?.(report.levelStopped);
      else if ('ready' in report) ready();
      else if ('failed' in report) {
        failures.push(`threads: thread ${name(i)} failed to start: ${report.failed}`);
        ready();
      }
    });
    worker.on('error', (e) => log('error', `threads: thread ${name(i)} failed`, { error: e.message }));
    worker.once('exit', (code) => {
      exited.add(worker);
      ready();
      levelsStopped.get(worker)?.(-1);
      if (!stopping) log('error', `threads: thread ${name(i)} ended`, { code });
    });
  }
  let stopping = false;
  let self: ThreadNode | null = null;
  return {
    threads,
    mainNode: name(1),
    runsHere: (id) => (placement.get(id) ?? 1) === 1,
    siblings: { ports: ports[0], nodeNames: bucket },
    env,
    memoryDatabases,
    serveShared(resources: Resources): void {
      for (const port of sharedPorts) {
        serveShared(port, resources, env);
        port.unref();
      }
    },
    services: { index: 1, ports: servicePorts },
    async attach(node: Node): Promise<void> {
      for (const port of ports[0].values()) port.unref();
      if (cluster === undefined) {
        self = joinThreads({ self: threadNode(1), ports: ports[0], names: bucket, work: localWork }, log);
        await self.attach(node);
      }
      placeSpawns(node, threadPlacement(options.registry, threads, 1, name, memory, node), threads, name, memory);
      await Promise.all(booted);
    },
    worker: (i) => workers[i - 2],
    metrics: (own) => view.metrics(own),
    started(): void {
      for (const failure of failures.splice(0)) log('error', failure, {});
    },
    lead(runtime: Runtime): void {
      view.observe(runtime);
      registryRequest = leadRegistry(runtime.store, workers, (w) => !exited.has(w), log);
    },
    async stopLevel(k: number): Promise<void> {
      stopping = true;
      const running = workers.filter((w) => !exited.has(w));
      await Promise.all(
        running.map(
          (w) =>
            new Promise<void>((resolve) => {
              levelsStopped.set(w, (done) => {
                if (done !== k && done !== -1) return;
                levelsStopped.delete(w);
                resolve();
              });
              w.postMessage({ stopLevel: k });
            }),
        ),
      );
    },
    async stop(graceMs = Number.POSITIVE_INFINITY): Promise<void> {
      stopping = true;
      self?.leaving();
      for (const w of workers) w.postMessage({ stop: true });
      const late = Number.isFinite(graceMs) ? after(graceMs, () => workers.forEach((w) => void w.terminate())) : null;
      await Promise.all(stopped);
      late?.cancel();
      self?.close();
    },
  };
}

/**
 * Has the threads' router in front of `node` place its spawns with `placement`, and tell the other threads
 * which of its processes are alive.
 */
export function placeSpawns(node: Node, placement: Placement, threads: number, name: (i: number) => string, memory: SharedArrayBuffer): void {
  if (!(node.router instanceof ClusterRouter)) return;
  node.router.placement = placement;
  const live = new LiveSets(memory, liveSetsAt(threads), Array.from({ length: threads }, (_, i) => name(i + 1)));
  node.router.liveness = live;
  node.observeProcesses(live);
}
