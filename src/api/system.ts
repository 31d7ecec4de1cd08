/**
 * The runtime as the `system` module and the live view see it: a read-only, plain-JSON snapshot
 * (taken by src/hosts/snapshot.ts) and the runtime's exit.
 */
import type { ProcessActivity } from '../engine/process';

export interface ProcessView {
  readonly pid: string;
  readonly entry: string;
  readonly host: string;
  readonly parent: string | null;
  readonly names: string[];
  /** A Lua process's activity; `internal` for PIDs the runtime drives itself (supervisors). */
  readonly state: ProcessActivity | 'internal';
  /** Unread messages (waiting in the mailbox or buffered by a subscriber). */
  readonly mailbox: number;
  /** Lua threads: main plus live coroutines (0 for internal PIDs). */
  readonly coroutines: number;
  /** Resumes and the thread time they took. */
  readonly steps: number;
  readonly run_ms: number;
  /** ms since the epoch (null for internal PIDs). */
  readonly started_at: number | null;
  /** The process.service it runs for, when it is a service's process or supervisor. */
  readonly service: string | null;
  /** The thread it runs on (`t1`, `t2`, ...): only with `wisp run --threads N`, N > 1. */
  readonly thread?: string;
}

/** The last error of a service or process: what it said, when, and where (file:line and entry, when known). */
export interface LastError {
  readonly message: string;
  /** ms since the epoch. */
  readonly at: number;
  /** `src/counter.lua:18 (hello:counter)`, or the entry when the error names no position; null when unknown. */
  readonly where: string | null;
}

/** A process that ended with an error (the node keeps the latest). */
export interface FailedProcessView {
  readonly pid: string;
  readonly entry: string;
  readonly parent: string | null;
  /** The process.service it ran for, when it was a service's process. */
  readonly service: string | null;
  readonly error: LastError;
  /** The thread it ran on: only with several threads. */
  readonly thread?: string;
}

export interface ServiceView {
  readonly id: string;
  readonly state: string;
  /** The process.lua entry a process service runs; for a service kind's entry (a server, a database), its kind. */
  readonly process: string;
  readonly host: string;
  readonly pid: string | null;
  readonly supervisor: string | null;
  /** Starts after the first: the one restart count every view shows. */
  readonly restarts: number;
  /** Why it last failed (kept after a restart), or null when it never has. */
  readonly last_error: LastError | null;
  /** Consecutive failures (Wippy's retry_count). */
  readonly retry_count: number;
  readonly next_retry_at: number | null;
  /** ms since the epoch: the last state change, the last start (null: never started). */
  readonly changed_at: number;
  readonly started_at: number | null;
  /** The thread that runs it (a service of another kind than process.service runs on every thread): only with several threads. */
  readonly thread?: string;
}

export interface HostView {
  readonly id: string;
  readonly kind: string;
  readonly processes: number;
  /** Lua threads queued to run. */
  readonly queue_depth: number;
  /** Resumes since the host started. */
  readonly executed: number;
  /** The thread this row is of (every host exists on every thread): only with several threads. */
  readonly thread?: string;
}

export interface NodeView {
  readonly name: string | null;
  readonly os_pid: number;
  readonly started_at: number;
  /** When this snapshot was taken (ms since the epoch). */
  readonly at: number;
  readonly processes: number;
  /** Messages delivered since start; two snapshots give messages/s. */
  readonly messages: number;
  readonly heap_used: number;
  readonly heap_limit: number;
}

export interface SystemSnapshot {
  readonly version: number;
  readonly project: string;
  readonly node: NodeView;
  readonly hosts: HostView[];
  readonly services: ServiceView[];
  /** The processes the query asked for: filtered, sorted, at most `limit`. */
  readonly processes: ProcessView[];
  /** How many processes matched the filter (before the limit). */
  readonly matched: number;
  /** The latest processes that ended with an error, newest first. */
  readonly failed: FailedProcessView[];
  /** With `wisp run --threads N` (N > 1): each thread's totals, thread 1 first; absent on one thread. */
  readonly threads?: ThreadTotals[];
}

/**
 * One thread of a node run with several: `up`, `down` (it ended: its processes are gone) or `not answering`
 * (it did not answer within the view's timeout: busy in code that does not yield, or stuck; its processes
 * are missing from this snapshot and its totals are zero).
 */
export interface ThreadTotals {
  readonly thread: string;
  readonly state: 'up' | 'down' | 'not answering';
  readonly processes: number;
  /** Messages delivered on this thread since start. */
  readonly messages: number;
  /** This thread's V8 heap (each thread is an isolate of its own). */
  readonly heap_used: number;
  readonly heap_limit: number;
  /** The share of wall time its event loop was busy (0 to 1) since the previous snapshot (the first: since start). */
  readonly busy: number;
}

/** A message waiting in a mailbox, as the live view shows it (the payload cut short). */
export interface MailboxItem {
  readonly from: string;
  readonly topic: string;
  /** The first payload as JSON, at most 200 characters. */
  readonly preview: string;
}

/** Where one of a process's Lua threads is: innermost frame first. */
export interface ThreadView {
  readonly thread: string;
  readonly state: string;
  readonly frames: { readonly source: string; readonly line: number; readonly name: string }[];
}

/** Everything the observer shows for one process (a live one, or one of the failed). */
export interface ProcessDetails {
  readonly process: ProcessView | null;
  /** Set when the PID is one of the latest failed processes. */
  readonly failed: FailedProcessView | null;
  readonly links: string[];
  /** PIDs that get its EXIT, and PIDs it watches. */
  readonly monitored_by: string[];
  readonly monitoring: string[];
  readonly trap_links: boolean;
  /** The first messages waiting for a receiver, and how many its inbox channel holds besides. */
  readonly mailbox_head: MailboxItem[];
  readonly inbox_buffered: number;
  /** Its service's last error when it runs one, or its own when it failed. */
  readonly last_error: LastError | null;
  readonly stacks: ThreadView[];
}

/** One point of the observer's charts (taken every second while it is on). */
export interface HistoryPoint {
  readonly at: number;
  readonly processes: number;
  /** Messages delivered since start (consecutive points give messages/s). */
  readonly messages: number;
  readonly heap_used: number;
}

/** What the runtime gives the `system` module (absent in a bare VM: hosts and supervisors are then Internal errors). */
export interface SystemAccess {
  /** The whole node's; with several threads an answer gathered from every thread (a Promise). */
  snapshot(): SystemSnapshot | Promise<SystemSnapshot>;
  /** Shuts the runtime down with an exit code; null when the embedder does not allow it. */
  readonly exit: ((code: number) => void) | null;
}
