/**
 * The live view's one source of data (`wisp top`, `wisp ps`, `--observe`, the `system` module): a read-only,
 * plain-JSON picture of a runtime taken on demand. Nothing here runs unless someone asks, so a runtime that
 * nobody watches pays only for a few counters (steps, run time, messages delivered).
 */
import { getHeapStatistics } from 'v8';
import { CONTROL_HOST, FUNCTION_HOST } from '../kernel/pid';
import type { LuaProcess, ProcessActivity } from '../engine/process';
import type { ProcessRecord } from '../kernel/node';
import type { Runtime } from './runtime';
import type { FailedProcessView, HostView, LastError, MailboxItem, NodeView, ProcessDetails, ProcessView, ServiceView, SystemSnapshot } from '../api/system';
import type { Message } from '../kernel/message';
import { displayPath, withSourceFiles } from '../registry';
import { valueToPlain } from '../engine/plain';

export const SNAPSHOT_VERSION = 1;

export const SORT_COLUMNS = ['pid', 'entry', 'state', 'mailbox', 'run', 'coroutines'] as const;
export type SortColumn = (typeof SORT_COLUMNS)[number];

/** Which processes a snapshot carries, so a watcher of 100k processes is sent only what it shows. */
export interface ProcessQuery {
  readonly sort: SortColumn;
  /** Case-insensitive text a process's PID, entry, names, state or service must contain ('' = all). */
  readonly filter: string;
  readonly limit: number;
}

export const ALL_PROCESSES: ProcessQuery = { sort: 'pid', filter: '', limit: Infinity };

/** A query from untrusted JSON or URL parameters (absent fields take ALL_PROCESSES's); a string says what is wrong. */
export function parseQuery(raw: Readonly<Record<string, unknown>>): ProcessQuery | string {
  const { sort = 'pid', filter = '', limit = Infinity } = raw;
  if (typeof sort !== 'string' || !(SORT_COLUMNS as readonly string[]).includes(sort)) return `sort: one of ${SORT_COLUMNS.join(', ')}`;
  if (typeof filter !== 'string' || filter.length > 200) return 'filter: a string of at most 200 characters';
  if (typeof limit !== 'number' || !(limit >= 0)) return 'limit: a number >= 0';
  return { sort: sort as SortColumn, filter, limit };
}

/** A process before it becomes a ProcessView: only what sorting needs, so a screenful of 100k costs little. */
interface Row {
  readonly record: ProcessRecord;
  readonly key: number | string;
}

const DESCENDING: ReadonlySet<SortColumn> = new Set(['mailbox', 'run', 'coroutines']);

/** The Lua side of a process is looked up only for the columns that need it (two map lookups each). */
function sortKey(column: SortColumn, record: ProcessRecord, luaOf: (r: ProcessRecord) => LuaProcess | undefined): number | string {
  switch (column) {
    case 'pid':
      return record.pid.uniq;
    case 'entry':
      return record.entry;
    case 'mailbox':
      return record.mailbox.unread;
    case 'state':
      return luaOf(record)?.activity ?? 'internal';
    case 'run':
      return luaOf(record)?.runMs ?? 0;
    case 'coroutines':
      return luaOf(record)?.coroutines ?? 0;
  }
}

/** Numbers descending (the busiest first), text ascending; ties by PID. */
function compareRows(column: SortColumn): (a: Row, b: Row) => number {
  const sign = DESCENDING.has(column) ? -1 : 1;
  return (a, b) => {
    const c = a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
    return sign * c || a.record.pid.uniq - b.record.pid.uniq;
  };
}

function matches(p: ProcessView, needle: string): boolean {
  return [p.pid, p.entry, p.state, p.service ?? '', ...p.names].join(' ').toLowerCase().includes(needle);
}

export function takeSnapshot(runtime: Runtime, query: ProcessQuery = ALL_PROCESSES): SystemSnapshot {
  const serviceOf = new Map<string, string>();
  const services: ServiceView[] = [];
  for (const s of runtime.services.values()) {
    const view: ServiceView = {
      id: s.id,
      state: s.state,
      process: s.entry.process,
      host: s.entry.host,
      pid: s.pid,
      supervisor: s.supervisorPid,
      restarts: s.restarts,
      last_error: s.lastError === null ? null : lastError(s.lastError.message, s.lastError.at, s.entry.process),
      retry_count: s.failures,
      next_retry_at: s.nextRetryAt === null ? null : Math.round(s.nextRetryAt),
      changed_at: s.changedAt,
      started_at: s.lastStartAt === 0 ? null : s.lastStartAt,
    };
    services.push(view);
    if (view.pid !== null) serviceOf.set(view.pid, view.id);
    if (view.supervisor !== null) serviceOf.set(view.supervisor, view.id);
  }
  for (const s of runtime.native.services.values()) {
    services.push({
      id: s.id,
      state: s.state,
      process: s.entry.kind,
      host: '',
      pid: null,
      supervisor: null,
      restarts: s.restarts,
      last_error: s.lastError === null ? null : lastError(s.lastError.message, s.lastError.at, s.id),
      retry_count: s.failures,
      next_retry_at: s.nextRetryAt === null ? null : Math.round(s.nextRetryAt),
      changed_at: s.changedAt,
      started_at: s.startedAt,
    });
  }

  const luaOf = (record: ProcessRecord): LuaProcess | undefined => runtime.hosts.get(record.pid.host)?.process(record.id);
  const view = ({ record }: Row): ProcessView => {
    const proc = luaOf(record);
    return {
      pid: record.id,
      entry: record.entry,
      host: record.pid.host,
      parent: record.parent,
      names: runtime.node.router.namesOf(record.id),
      state: proc === undefined ? 'internal' : proc.activity,
      mailbox: record.mailbox.unread,
      coroutines: proc?.coroutines ?? 0,
      steps: proc?.steps ?? 0,
      run_ms: proc === undefined ? 0 : round3(proc.runMs),
      started_at: proc?.startedAt ?? null,
      service: serviceOf.get(record.id) ?? null,
    };
  };
  const all = runtime.node.allProcesses();
  const needle = query.filter.toLowerCase();
  let rows: Row[];
  if (needle === '' && query.sort === 'pid') {
    // The node lists processes in the order their PIDs were made: sorted by pid already.
    rows = all.slice(0, Math.min(all.length, query.limit)).map((record) => ({ record, key: 0 }));
  } else {
    rows = all.map((record) => ({ record, key: sortKey(query.sort, record, luaOf) }));
    if (needle !== '') rows = rows.filter((r) => matches(view(r), needle));
    if (query.sort !== 'pid') rows.sort(compareRows(query.sort));
  }
  const matched = needle === '' ? all.length : rows.length;
  if (rows.length > query.limit) rows.length = query.limit;
  const processes = rows.map(view);
  // Every process is a Lua host's or the runtime's own (on node:control); counting them would touch them all.
  let internal = all.length;
  for (const h of runtime.hosts.values()) internal -= h.processCount;

  const hosts: HostView[] = [...runtime.hosts.values()].map((h) => ({
    id: h.id,
    kind: h.id === FUNCTION_HOST ? 'function.lua' : (runtime.registry.get(h.id)?.kind ?? 'process.host'),
    processes: h.processCount,
    queue_depth: h.vm.sched.queued,
    executed: h.vm.sched.resumes,
  }));
  hosts.push({ id: CONTROL_HOST, kind: 'internal', processes: internal, queue_depth: 0, executed: 0 });

  const heap = getHeapStatistics();
  return {
    version: SNAPSHOT_VERSION,
    project: runtime.registry.root,
    node: {
      name: runtime.node.name,
      os_pid: process.pid,
      started_at: runtime.startedAt,
      at: Date.now(),
      processes: runtime.node.processCount,
      messages: runtime.node.delivered,
      heap_used: heap.used_heap_size,
      heap_limit: heap.heap_size_limit,
    },
    hosts,
    services,
    processes,
    matched,
    failed: failedProcesses(runtime, serviceOfProcess(runtime)),
  };
}

/** The node's latest failed exits, newest first, their positions naming source files. */
function failedProcesses(runtime: Runtime, serviceOf: ReadonlyMap<string, string>): FailedProcessView[] {
  return [...runtime.node.failures].reverse().map((f) => ({
    pid: f.pid,
    entry: f.entry,
    parent: f.parent,
    service: serviceOf.get(f.entry) ?? null,
    error: lastError(withSourceFiles(runtime.registry, f.message), f.at, f.entry),
  }));
}

/** process.lua entry → the process.service that runs it (a failed process's PID is gone, its entry is not). */
function serviceOfProcess(runtime: Runtime): Map<string, string> {
  const map = new Map<string, string>();
  for (const s of runtime.services.values()) map.set(s.entry.process, s.id);
  return map;
}

/** `src/x.lua:3 (app:x): boom` → where `src/x.lua:3 (app:x)`, message `boom`; without a position, where is `fallback`. */
export function lastError(text: string, at: number, fallback: string): LastError {
  const m = /^(\S+:\d+ \([^()\s]+\)): ([\s\S]*)$/.exec(text);
  return m === null ? { message: text, at, where: fallback } : { message: m[2], at, where: m[1] };
}

const round3 = (ms: number): number => Math.round(ms * 1000) / 1000;

/** How many waiting messages the observer shows. */
const MAILBOX_HEAD = 10;
const PREVIEW_CHARS = 200;

/** The observer's page on one process; null when the PID is neither live nor among the latest failed. */
export function processDetails(runtime: Runtime, pid: string): ProcessDetails | null {
  const snap = takeSnapshot(runtime, { sort: 'pid', filter: pid, limit: Infinity });
  const view = snap.processes.find((p) => p.pid === pid) ?? null;
  const failed = snap.failed.find((f) => f.pid === pid) ?? null;
  if (view === null && failed === null) return null;
  const record = runtime.node.process(pid);
  const proc = record === undefined ? undefined : runtime.hosts.get(record.pid.host)?.process(record.id);
  const service = view?.service === null || view === null ? undefined : snap.services.find((v) => v.id === view.service);
  return {
    process: view,
    failed,
    links: record === undefined ? [] : [...record.links],
    monitored_by: record === undefined ? [] : [...record.monitors],
    monitoring: record === undefined ? [] : [...record.watching],
    trap_links: record?.trapLinks ?? false,
    mailbox_head: record === undefined ? [] : record.mailbox.head(MAILBOX_HEAD).map(mailboxItem),
    inbox_buffered: record?.mailbox.inboxBuffered ?? 0,
    last_error: failed?.error ?? service?.last_error ?? null,
    stacks: proc === undefined ? [] : proc.stacks().map((t) => ({ ...t, frames: t.frames.map((f) => ({ ...f, source: sourceFile(runtime, f.source) })) })),
  };
}

/** A chunk name (an entry id) as its source file, `src/x.lua`, when the entry has one. */
function sourceFile(runtime: Runtime, chunk: string): string {
  const entry = runtime.registry.get(chunk);
  return entry !== undefined && 'sourcePath' in entry && entry.sourcePath !== undefined ? displayPath(runtime.registry.root, entry.sourcePath) : chunk;
}

function mailboxItem(m: Message): MailboxItem {
  let preview = '';
  try {
    preview = m.payloads.length === 0 ? '' : (JSON.stringify(valueToPlain(m.payloads[0], { maxDepth: 4 })) ?? '');
  } catch {
    preview = '(not shown)';
  }
  return { from: m.from, topic: m.topic, preview: preview.length > PREVIEW_CHARS ? `${preview.slice(0, PREVIEW_CHARS)}…` : preview };
}
