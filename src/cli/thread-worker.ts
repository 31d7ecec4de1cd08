/**
 * A worker thread of `wisp run --threads N` (threads.ts): boots the project in a Runtime of its own as node
 * `t<index>`, with the services placed on it, joins the other threads, and runs until the main thread says stop.
 */
import { parentPort, workerData } from 'worker_threads';
import { Runtime } from '../hosts/runtime';
import { joinThreads, PortBucket } from '../cluster/threads';
import { logSink } from './logs';
import type { Log } from '../api/logging';
import { openProject, type RunFlags } from './run';
import { placeSpawns, servicePlacement, threadNames, threadPlacement, type WorkerData, type WorkerReport } from './threads';

async function main(data: WorkerData): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('thread-worker runs in a worker thread');
  const report = (r: WorkerReport): void => port.postMessage(r);
  const flags = data.flags as RunFlags;
  const name = threadNames(data.cluster);
  const self = name(data.index);
  try {
    const { config, registry } = openProject(flags, data.cwd);
    const quiet = flags.exec !== undefined;
    const logs = logSink(flags, quiet, config.logger, performance.timeOrigin);
    const placement = servicePlacement(registry, data.threads);
    const log = (logger: string): Log => (level, message, fields) => {
      if (logs.enabled(level)) logs.write({ level, message, logger, fields: { thread: self, ...fields } });
    };
    // In a cluster this thread is a member of its own (src/cluster/spec.md "Threads in a cluster").
    const cluster = data.cluster === undefined ? null : await (await import('../cluster')).joinCluster({ ...data.cluster.options, node: self }, log('cluster'), data.cluster.incarnation);
    const runtime = new Runtime(registry, {
      logs,
      terminal: null,
      node: { name: self, firstUniq: cluster?.firstUniq ?? 1 },
      runsService: (id) => (placement.get(id) ?? data.index) === data.index,
    });
    const names = new PortBucket(data.names);
    const threads = cluster === null ? joinThreads({ self, ports: data.ports, names }, log('threads')) : null;
    await (cluster === null ? threads?.attach(runtime.node) : cluster.attach(runtime.node, { ports: data.ports, nodeNames: names }));
    placeSpawns(runtime.node, threadPlacement(registry, data.threads, data.index, name, data.memory, runtime.node));
    await runtime.boot();
    port.on('message', (msg: { stop?: boolean }) => {
      if (msg.stop !== true) return;
      threads?.leaving();
      void runtime.shutdown().finally(async () => {
        await cluster?.close();
        threads?.close();
        data.names.close();
        report({ stopped: true });
        process.exit(0);
      });
    });
    report({ ready: true });
  } catch (e) {
    report({ failed: e instanceof Error ? e.message : String(e) });
    process.exit(1);
  }
}

void main(workerData as WorkerData);
