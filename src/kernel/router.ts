/**
 * The one interface through which module code reaches other processes: sending, spawning, monitors, links,
 * names, termination. A standalone node implements it directly (node.ts); a cluster router will implement it
 * by forwarding what is not local. Module code never touches another process's mailbox.
 */
import type { ErrorValue, Value } from './value';
import type { Mailbox } from './mailbox';
import type { Outcome } from './message';

export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ErrorValue };

/** Values a process passes to what it spawns and calls (`ctx`): inherited, overlaid, never shared mutably. */
export type ContextValues = ReadonlyMap<string, Value>;

export const NO_CONTEXT: ContextValues = new Map();

export interface SpawnRequest {
  /** Fully qualified entry id (`ns:name`). */
  readonly entry: string;
  readonly host: string;
  readonly args: readonly Value[];
  /** The parent's PID string (EXIT/LINK_DOWN relationships are set before the child runs). */
  readonly parent: string | null;
  readonly monitor: boolean;
  readonly link: boolean;
  /** The child's context values (absent: none). */
  readonly context?: ContextValues;
}

/** Error values return as `ErrorValue`; success as null (or the value, in a Result). */
export interface Router {
  send(from: string, dest: string, topic: string, payloads: readonly Value[]): ErrorValue | null;
  spawn(request: SpawnRequest): Result<string>;
  terminate(from: string, dest: string): ErrorValue | null;
  cancel(from: string, dest: string, reason: string): ErrorValue | null;
  monitor(watcher: string, dest: string): ErrorValue | null;
  unmonitor(watcher: string, dest: string): ErrorValue | null;
  link(pid: string, dest: string): ErrorValue | null;
  unlink(pid: string, dest: string): ErrorValue | null;
  /** A cluster scope may answer later (a promise): the caller waits for it. */
  register(name: string, pid: string, scope: number): ErrorValue | null | Promise<ErrorValue | null>;
  lookup(name: string): Result<string>;
  unregister(name: string, scope: number): boolean;
  setTrapLinks(pid: string, trap: boolean): void;
  trapLinks(pid: string): boolean;
  /** The mailbox of a local process, for its own subscriptions (inbox, events, listen). */
  mailboxOf(pid: string): Mailbox | null;
  /** Calls `fn` once when `pid` exits (runtime-internal watchers such as `process.exec`). */
  onExit(pid: string, fn: (outcome: Outcome) => void): void;
}
