/**
 * A worker thread of `wisp run --threads N` (threads.ts): boots the project in a Runtime of its own as node
 * `t<index>`, with the services placed on it, joins the other threads, and runs until the main thread says stop.
 */
import { parentPort, workerData } from 'worker_threads';
import type { Log } from '../api/logging';
import { Runtime } from '../hosts/runtime';
import { joinThreads } from '../cluster/threads';
import { PortBucket } from '../cluster/name-table';
import { SharedLink } from '../cluster/shared';
import { logSink } from './logs';
import { sharedMemoryDatabases, sharedServiceProxies } from './thread-services';
import { openProject, type RunFlags } from './run';
import { localWork, placeSpawns, servicePlacement, threadNames, threadPlacement, type WorkerData, type WorkerReport } from './threads';
import { workerView } from './thread-view';
import { schedulersDue } from '../engine/scheduler';
import { followRegistry } from './thread-registry';

/**
 * A fault for tests of the view (`WISP_THREADS_FAULT=t2:hang` or `t2:end`): thread t2 blocks its event loop
 * for a minute when first asked for its part of the view, or ends once it has booted. Unset, nothing.
 */
const FAULT = /^(t\d+):(hang|end)$/.exec(process.env.WISP_THREADS_FAULT ?? '');

/** How long a booted worker waits for its services' first steps before it says it is ready. */
const SETTLE_MS = 1000;

/**
 * Waits until `quiet()` (at most SETTLE_MS): what the services did as they started, up to their first wait,
 * has run and their names have reached the node's table. On one thread that has happened before the `-x`
 * process runs (they were scheduled first); thread 1 starts it once every worker is ready, so with threads too.
 */
async function settled(quiet: () => boolean): Promise<void> {
  const end = performance.now() + SETTLE_MS;
  while (!quiet() && performance.now() < end) await new Promise((resolve) => setImmediate(resolve));
}

async function main(data: WorkerData): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('thread-worker runs in a worker thread');
  const report = (r: WorkerReport): void => port.postMessage(r);
  const flags = data.flags as RunFlags;
  const name = threadNames(data.cluster);
  const self = name(data.index);
  try {
    const { config, registry } = openProject(flags, data.cwd);
    const logs = logSink(flags, data.quiet, config.logger, performance.timeOrigin);
    const placement = servicePlacement(registry, data.threads);
    const log = (logger: string): Log => (level, message, fields) => {
      if (logs.enabled(level)) logs.write({ level, message, logger, fields: { thread: self, ...fields } });
    };
    // In a cluster this thread is a member of its own (src/cluster/spec.md "Threads in a cluster").
    const cluster = data.cluster === undefined ? null : await (await import('../cluster')).joinCluster({ ...data.cluster.options, node: self }, log('cluster'), data.cluster.incarnation);
    const shared = new SharedLink(data.shared, name(1));
    const runtime = new Runtime(registry, {
      services: [...sharedServiceProxies(shared), sharedMemoryDatabases(data.memoryDatabases)],
      envMemory: (id) => shared.envStorage(id),
      logs,
      terminal: null,
      node: { name: self, firstUniq: cluster?.firstUniq ?? 1 },
      runsService: (id) => (placement.get(id) ?? data.index) === data.index,
      threads: { index: data.index, ports: new Map([[1, data.services]]) },
      onExitRequest: (code) => report({ exit: code }),
      onStopWait: (service, ms) => report({ stopWait: { service, ms } }),
    });
    const names = new PortBucket(data.names, data.namesMemory, data.index);
    const threads = cluster === null ? joinThreads({ self, ports: data.ports, names, work: localWork }, log('threads')) : null;
    // Listening before boot: a service may change the registry as it starts (thread 1 answers and passes it on).
    const followed = followRegistry(runtime.store, port, log('threads'));
    const view = workerView(runtime, port);
    const fault = FAULT !== null && FAULT[1] === self ? FAULT[2] : null;
    port.on('message', (msg: { stop?: boolean; stopLevel?: number }) => {
      if (fault === 'hang' && 'observe' in msg) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);
      if (view(msg) || followed(msg)) return;
      const level = msg.stopLevel;
      if (level !== undefined) return void runtime.stopLevel(level).then(() => report({ levelStopped: level }));
      if (msg.stop !== true) return;
      threads?.leaving();
      void runtime.shutdown().finally(async () => {
        await cluster?.close();
        threads?.close();
        data.names.close();
        data.shared.close();
        data.services.close();
        report({ stopped: true });
        process.exit(0);
      });
    });
    const router = await (cluster === null ? threads?.attach(runtime.node) : cluster.attach(runtime.node, { ports: data.ports, nodeNames: names }));
    placeSpawns(runtime.node, threadPlacement(registry, data.threads, data.index, name, data.memory, runtime.node), data.threads, name, data.memory);
    await runtime.boot();
    await settled(() => !schedulersDue() && router?.claiming !== true);
    report({ ready: true });
    if (fault === 'end') setImmediate(() => process.exit(3));
  } catch (e) {
    report({ failed: e instanceof Error ? e.message : String(e) });
    process.exit(1);
  }
}

void main(workerData as WorkerData);
