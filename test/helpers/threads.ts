/**
 * A project booted in-process on several threads, as `wisp run --threads N` does: this jest process is thread 1,
 * and threads 2..N are real worker threads booted from the compiled dist/cli/thread-worker.js (`npm run build`
 * first). The runtime's `shutdown` also stops the worker threads.
 */
import { existsSync } from 'fs';
import { join } from 'path';
import { ROOT } from './cli';
import { openProject } from '../../src/cli/run';
import { startThreadGroup } from '../../src/cli/threads';
import { Runtime } from '../../src/hosts/runtime';
import { SILENT } from '../../src/modules/logger';

const WORKER = join(ROOT, 'dist', 'cli', 'thread-worker.js');

/** The thread count the HTTP test files run with: `WISP_THREADS` (default 1). */
export { TEST_THREADS } from './pid';

export async function bootThreaded(dir: string, threads: number): Promise<Runtime> {
  if (!existsSync(WORKER)) throw new Error(`${WORKER} is missing: run \`npm run build\` first`);
  const { registry } = openProject({}, dir);
  const group = startThreadGroup({ threads, cwd: dir, flags: { silent: true }, registry, log: () => undefined, workerFile: WORKER });
  const runtime = new Runtime(registry, {
    logs: SILENT,
    terminal: null,
    node: { name: group.mainNode, firstUniq: 1 },
    runsService: (id) => group.runsHere(id),
    threads: group.services,
  });
  // As `wisp run` does: a change made here (the registry module, or `store.leader`) reaches every thread.
  group.lead(runtime);
  await group.attach(runtime.node);
  await runtime.boot();
  const shutdown = runtime.shutdown.bind(runtime);
  runtime.shutdown = async () => {
    await shutdown();
    await group.stop();
  };
  return runtime;
}
