/** Tables of a SystemSnapshot for `wisp top` and `wisp ps` (the runtime sorted and filtered it). */
import type { SortColumn } from '../hosts/snapshot';
import type { LastError, ProcessView, SystemSnapshot } from '../api/system';
import { printable } from '../util/printable';

/** top's sort keys. */
export const SORT_KEYS: Record<string, SortColumn> = { p: 'pid', e: 'entry', s: 'state', m: 'mailbox', r: 'run', c: 'coroutines' };

export interface ViewOptions {
  sort: SortColumn;
  filter: string;
}

/** Messages per second between two snapshots of the same run (null for the first). */
export function messageRate(previous: SystemSnapshot | null, current: SystemSnapshot): number | null {
  if (previous === null || current.node.at <= previous.node.at) return null;
  return ((current.node.messages - previous.node.messages) * 1000) / (current.node.at - previous.node.at);
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${(ms / 1000).toFixed(1)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, '0')}m`;
}

const mib = (bytes: number): string => `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;

/**
 * Columns padded to their widest cell; the last column is not padded. Cells are printable (names, entries and
 * services come from processes: their control characters are escaped, as `ps --json` escapes them).
 */
export function table(header: string[], raw: string[][]): string[] {
  const rows = raw.map((r) => r.map((cell) => printable(cell)));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  return [line(header), ...rows.map(line)];
}

export function summaryLine(s: SystemSnapshot, rate: number | null): string {
  const up = formatDuration(s.node.at - s.node.started_at);
  const perS = rate === null ? '-' : rate.toFixed(rate < 10 ? 1 : 0);
  return `wisp ${printable(s.project)}  up ${up}  processes ${s.node.processes}  messages/s ${perS}  heap ${mib(s.node.heap_used)} of ${mib(s.node.heap_limit)}`;
}

/** `12:00:01 src/x.lua:3 (app:x): boom`: a last error on one line (its newlines escaped by table()). */
export function errorText(e: LastError | null): string {
  if (e === null) return '-';
  return `${clock(e.at)} ${e.where === null ? '' : `${e.where}: `}${e.message}`;
}

/** Local wall-clock time of day, to the second. */
function clock(ms: number): string {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/** With several threads, each row's thread comes first (`withThread`). */
const threaded = (s: SystemSnapshot): boolean => s.threads !== undefined;
function withThread<T extends { thread?: string }>(s: SystemSnapshot, header: string[], rows: T[], cells: (row: T) => string[]): string[] {
  if (!threaded(s)) return table(header, rows.map(cells));
  return table(['THREAD', ...header], rows.map((r) => [r.thread ?? '-', ...cells(r)]));
}

/** Each thread's totals (several threads only): its state, processes, messages, heap and busy share. */
export function threadLines(s: SystemSnapshot): string[] {
  if (s.threads === undefined) return [];
  return table(
    ['THREAD', 'STATE', 'PROCESSES', 'MESSAGES', 'HEAP', 'BUSY'],
    s.threads.map((t) => [t.thread, t.state, String(t.processes), String(t.messages), mib(t.heap_used), `${Math.round(t.busy * 100)}%`]),
  );
}

export function serviceLines(s: SystemSnapshot): string[] {
  if (s.services.length === 0) return [];
  return withThread(
    s,
    ['SERVICE', 'STATE', 'RESTARTS', 'NEXT RETRY', 'PID', 'LAST ERROR'],
    s.services,
    (v) => [
      v.id,
      v.state,
      String(v.restarts),
      v.next_retry_at === null ? '-' : `in ${formatDuration(Math.max(0, v.next_retry_at - s.node.at))}`,
      v.pid ?? '-',
      errorText(v.last_error),
    ],
  );
}

/**
 * The last errors: each service's that has one, then the processes that ended with an error (newest first);
 * only those whose text holds `filter` (case-insensitive). Empty when there are none.
 */
export function errorLines(s: SystemSnapshot, filter = ''): string[] {
  const needle = filter.toLowerCase();
  const rows = [
    ...s.services.flatMap((v) => (v.last_error === null ? [] : [[v.id, `service, ${v.state}, restarts ${v.restarts}`, errorText(v.last_error)]])),
    ...s.failed.map((f) => [f.pid, f.service === null ? f.entry : `${f.entry} of ${f.service}`, errorText(f.error)]),
  ].filter((row) => row.join(' ').toLowerCase().includes(needle));
  return rows.length === 0 ? [] : table(['FAILED', 'WHAT', 'LAST ERROR'], rows);
}

export function hostLines(s: SystemSnapshot): string[] {
  return withThread(s, ['HOST', 'KIND', 'PROCESSES', 'QUEUE', 'EXECUTED'], s.hosts, (h) => [h.id, h.kind, String(h.processes), String(h.queue_depth), String(h.executed)]);
}

export function processLines(s: SystemSnapshot, processes: ProcessView[]): string[] {
  return withThread(
    s,
    ['PID', 'ENTRY', 'NAMES', 'STATE', 'MAILBOX', 'RUN', 'UP', 'COROUTINES'],
    processes,
    (p) => [
      p.pid,
      p.entry,
      p.names.join(',') || '-',
      p.state,
      String(p.mailbox),
      p.state === 'internal' ? '-' : formatDuration(p.run_ms),
      p.started_at === null ? '-' : formatDuration(s.node.at - p.started_at),
      String(p.coroutines),
    ],
  );
}

/** The whole picture as lines: summary, services, hosts, processes. */
export function frame(s: SystemSnapshot, rate: number | null, view: ViewOptions): string[] {
  const filtered = view.filter === '' ? '' : `  filter "${printable(view.filter)}": ${s.matched} of ${s.node.processes}`;
  const cut = s.processes.length < s.matched ? `  (first ${s.processes.length} of ${s.matched})` : '';
  return [
    summaryLine(s, rate),
    '',
    ...(s.threads === undefined ? [] : [...threadLines(s), '']),
    ...serviceLines(s),
    ...(s.services.length > 0 ? [''] : []),
    ...hostLines(s),
    '',
    `processes sorted by ${view.sort}${filtered}${cut}`,
    ...processLines(s, s.processes),
    ...failedLines(s, view.filter),
  ];
}

/** The processes that ended with an error, after the process table (services show theirs in their table). */
function failedLines(s: SystemSnapshot, filter: string): string[] {
  const lines = errorLines({ ...s, services: [] }, filter);
  return lines.length === 0 ? [] : ['', ...lines];
}
