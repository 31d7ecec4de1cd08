/** Helpers for the live-view tests: service entries in YAML, and reading `wisp ps`/`top` with or without threads. */
import { TEST_THREADS } from './pid';
import type { HostView, SystemSnapshot } from '../../src/api/system';

/** YAML for a `process.lua` entry `name` (source `name.lua`) and its auto-started `name-service` on app:processes. */
export function serviceEntries(name: string, modules: string[], lifecycle = ''): string {
  return `  - name: ${name}
    kind: process.lua
    source: file://${name}.lua
    method: main
    modules: [${modules.join(', ')}]
  - name: ${name}-service
    kind: process.service
    process: app:${name}
    host: app:processes
    lifecycle:
      auto_start: true
${lifecycle.replace(/^/gm, '      ').replace(/ +$/, '')}`;
}


/** With threads, each row of a `ps`/`top` table starts with its thread: patterns for that cell and header (empty on one thread). */
export const THREAD_CELL = TEST_THREADS > 1 ? 't\\d+\\s+' : '';
export const THREAD_HEADER = TEST_THREADS > 1 ? 'THREAD\\s+' : '';

/**
 * A host's row of a snapshot, its processes and queue added up over the threads (with threads, `hosts` has a row
 * per thread per host). Undefined when no row has that id.
 */
export function hostTotals(s: SystemSnapshot, id: string): Pick<HostView, 'id' | 'kind' | 'processes' | 'queue_depth' | 'executed'> | undefined {
  const rows = s.hosts.filter((h) => h.id === id);
  if (rows.length === 0) return undefined;
  const sum = (key: 'processes' | 'queue_depth' | 'executed'): number => rows.reduce((n, h) => n + h[key], 0);
  return { id, kind: rows[0].kind, processes: sum('processes'), queue_depth: sum('queue_depth'), executed: sum('executed') };
}

/**
 * The sections of `wisp ps` (tables separated by an empty line), without the per-thread table that ends it with
 * threads (checked: one row per thread).
 */
export function psSections(stdout: string): string[][] {
  const sections = stdout.trimEnd().split('\n\n').map((text) => text.split('\n'));
  if (TEST_THREADS === 1) return sections;
  const threads = sections.pop() ?? [];
  if (!/^THREAD\s+STATE\s+PROCESSES\s+MESSAGES\s+HEAP\s+BUSY$/.test(threads[0] ?? '') || threads.length !== TEST_THREADS + 1) {
    throw new Error(`wisp ps: expected a table of ${TEST_THREADS} threads at the end, got:\n${stdout}`);
  }
  return sections;
}
