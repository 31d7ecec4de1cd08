/** Boots a fixture project in-process (real registry, node, hosts, VMs) and runs entries on it. */
import { join } from 'path';
import { loadProject } from '../../src/registry';
import { Runtime } from '../../src/hosts/runtime';
import { SILENT } from '../../src/modules/logger';
import { type Value } from '../../src/kernel/value';
import type { Outcome } from '../../src/kernel/message';
import { FIXTURES } from './lua';
import { valueToPlain } from '../../src/engine/plain';

export function boot(project: string): Runtime {
  const runtime = new Runtime(loadProject(join(FIXTURES, project)), { logs: SILENT, terminal: null });
  runtime.boot();
  return runtime;
}

/** Spawns `entry` on `host` with `args` and resolves with its outcome. */
export function runEntry(runtime: Runtime, entry: string, host: string, args: Value[] = []): Promise<Outcome> {
  const r = runtime.node.spawn({ entry, host, args, parent: null, monitor: false, link: false });
  if (!r.ok) return Promise.resolve({ value: null, error: r.error });
  return new Promise((resolve) => runtime.node.onExit(r.value, resolve));
}

/** Runs a scenario of fixtures/kernel and returns its result as plain JS (throws if it failed). */
export async function scenario(runtime: Runtime, name: string): Promise<Record<string, unknown>> {
  const outcome = await runEntry(runtime, 'k:scenarios', 'k:processes', [name]);
  if (outcome.error) throw new Error(outcome.error.stack ?? outcome.error.message);
  return valueToPlain(outcome.value) as Record<string, unknown>;
}
