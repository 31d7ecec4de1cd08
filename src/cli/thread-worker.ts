/**
 * A worker thread of `wisp run --threads N` (threads.ts): boots the project in a Runtime of its own as node
 * `t<index>`, with the services placed on it, joins the other threads, and runs until the main thread says stop.
 */
import { parentPort, workerData } from 'worker_threads';
import { Runtime } from '../hosts/runtime';
import { joinThreads, PortBucket, threadNode } from '../cluster/threads';
import { logSink } from './logs';
import { openProject, type RunFlags } from './run';
import { localWork, servicePlacement, type WorkerData, type WorkerReport } from './threads';

async function main(data: WorkerData): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('thread-worker runs in a worker thread');
  const report = (r: WorkerReport): void => port.postMessage(r);
  const flags = data.flags as RunFlags;
  const self = threadNode(data.index);
  try {
    const { config, registry } = openProject(flags, data.cwd);
    const quiet = flags.exec !== undefined;
    const logs = logSink(flags, quiet, config.logger, performance.timeOrigin);
    const placement = servicePlacement(registry, data.threads);
    const runtime = new Runtime(registry, {
      logs,
      terminal: null,
      node: { name: self, firstUniq: 1 },
      runsService: (id) => (placement.get(id) ?? data.index) === data.index,
    });
    const threads = joinThreads({ self, ports: data.ports, names: new PortBucket(data.names), work: localWork }, (level, message, fields) => {
      if (logs.enabled(level)) logs.write({ level, message, logger: 'threads', fields: { thread: self, ...fields } });
    });
    await threads.attach(runtime.node);
    await runtime.boot();
    port.on('message', (msg: { stop?: boolean }) => {
      if (msg.stop !== true) return;
      threads.leaving();
      void runtime.shutdown().finally(() => {
        threads.close();
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
