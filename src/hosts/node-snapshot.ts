/**
 * The picture of a node run on several threads (`wisp run --threads N`): each thread takes its own snapshot
 * for the same query (at most `limit` processes, already sorted), and this merges them into one, each row
 * saying its thread, with each thread's totals. A thread that did not answer is listed with its state and
 * contributes nothing else. Only loaded with several threads.
 */
import { parsePid } from '../kernel/pid';
import { RECENT_FAILURES } from '../kernel/node';
import type { ProcessView, SystemSnapshot, ThreadTotals } from '../api/system';
import type { ProcessQuery, SortColumn } from './snapshot';

/** The most processes one thread sends for one snapshot: a query without a limit gets this many per thread. */
export const THREAD_ANSWER_LIMIT = 10_000;

/** One thread's part: its snapshot, or why there is none. */
export interface ThreadPart {
  readonly thread: string;
  readonly snapshot: SystemSnapshot | null;
  readonly state: ThreadTotals['state'];
  readonly busy: number;
}

/** The query a thread is asked: the caller's, its limit bounded. */
export function threadQuery(query: ProcessQuery): ProcessQuery {
  return { ...query, limit: Math.min(query.limit, THREAD_ANSWER_LIMIT) };
}

/**
 * Thread 1's part comes first; it is always there (the view is served from thread 1). `nodeName` is the node's
 * own name, not thread 1's: null for a standalone node (as on one thread), the cluster node's name in a cluster.
 */
export function mergeSnapshots(parts: readonly ThreadPart[], query: ProcessQuery, nodeName: string | null): SystemSnapshot {
  const main = parts[0].snapshot as SystemSnapshot;
  const order = new Map(parts.map((p, i) => [p.thread, i]));
  const answered = parts.filter((p): p is ThreadPart & { snapshot: SystemSnapshot } => p.snapshot !== null);
  const tag = <T extends object>(rows: readonly T[], thread: string): (T & { thread: string })[] => rows.map((r) => ({ ...r, thread }));
  const processes = answered.flatMap((p) => tag(p.snapshot.processes, p.thread)).sort(compareViews(query.sort, order));
  if (processes.length > query.limit) processes.length = query.limit;
  const sum = (f: (s: SystemSnapshot) => number): number => answered.reduce((n, p) => n + f(p.snapshot), 0);
  const threads: ThreadTotals[] = parts.map((p) => ({
    thread: p.thread,
    state: p.state,
    processes: p.snapshot?.node.processes ?? 0,
    messages: p.snapshot?.node.messages ?? 0,
    heap_used: p.snapshot?.node.heap_used ?? 0,
    heap_limit: p.snapshot?.node.heap_limit ?? 0,
    busy: Math.round(p.busy * 1000) / 1000,
  }));
  return {
    ...main,
    node: {
      ...main.node,
      name: nodeName,
      processes: sum((s) => s.node.processes),
      messages: sum((s) => s.node.messages),
      heap_used: sum((s) => s.node.heap_used),
      heap_limit: sum((s) => s.node.heap_limit),
    },
    hosts: answered.flatMap((p) => tag(p.snapshot.hosts, p.thread)),
    // A process service is listed by the thread that runs it; a service of another kind by every thread (each runs its own).
    services: answered.flatMap((p) => tag(p.snapshot.services, p.thread)),
    processes,
    matched: sum((s) => s.matched),
    failed: answered
      .flatMap((p) => tag(p.snapshot.failed, p.thread))
      .sort((a, b) => b.error.at - a.error.at)
      .slice(0, RECENT_FAILURES),
    threads,
  };
}

const DESCENDING: ReadonlySet<SortColumn> = new Set(['mailbox', 'run', 'coroutines']);

function sortValue(column: SortColumn, p: ProcessView): number | string {
  switch (column) {
    case 'pid':
      return 0;
    case 'entry':
      return p.entry;
    case 'state':
      return p.state;
    case 'mailbox':
      return p.mailbox;
    case 'run':
      return p.run_ms;
    case 'coroutines':
      return p.coroutines;
  }
}

/** The order of one thread's snapshot (snapshot.ts), across threads: ties (and `pid`) by thread, then PID number. */
function compareViews(column: SortColumn, order: ReadonlyMap<string, number>): (a: ProcessView & { thread: string }, b: ProcessView & { thread: string }) => number {
  const sign = DESCENDING.has(column) ? -1 : 1;
  const uniq = (p: ProcessView): number => parsePid(p.pid)?.uniq ?? 0;
  return (a, b) => {
    const x = sortValue(column, a);
    const y = sortValue(column, b);
    const c = x < y ? -1 : x > y ? 1 : 0;
    return sign * c || (order.get(a.thread) ?? 0) - (order.get(b.thread) ?? 0) || uniq(a) - uniq(b);
  };
}
