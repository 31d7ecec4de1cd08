/**
 * The one interface through which module code reaches other processes: sending, spawning, monitors, links,
 * names, termination. A standalone node implements it directly (node.ts); the cluster router (src/cluster/)
 * implements it by forwarding what is not local. Module code never touches another process's mailbox.
 */
import type { ErrorValue, Value } from './value';
import type { EndingBacklog, Mailbox } from './mailbox';
import type { BusEvent, BusSubscription } from './events';
import type { Outcome } from './message';
import type { SecurityContext } from '../lib/security';

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
  /** The child's actor and scope (absent: none, so the runtime's mode decides its checks). */
  readonly security?: SecurityContext | null;
  /**
   * A local name the child takes before it runs. When the name is already held, nothing is spawned: the
   * holder's PID is the result and `messages` go to it (Wippy's spawn-or-signal).
   */
  readonly name?: string;
  /** Messages delivered to the child (or the name's holder) right after the spawn, from no PID. */
  readonly messages?: readonly StartMessage[];
  /**
   * Told once how the child ended, set before its first instruction (`process.exec` waits on it): an
   * `onExit` made after the spawn returns would miss a child on another thread that ends at once.
   */
  readonly exited?: (outcome: Outcome) => void;
}

export interface StartMessage {
  readonly topic: string;
  readonly payloads: readonly Value[];
}

/** How bus events reach a process's subscription channel. */
export interface BusDelivery {
  readonly deliver: (event: BusEvent) => void;
  /** The subscription's channel: until it is closed and drained, what it holds is unread mail. */
  readonly backlog: EndingBacklog;
  /** The bus ended the subscription: the process's mailbox was full. */
  readonly ended: () => void;
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
  /** The names a local process holds, whatever their scope (the live view's). */
  namesOf(pid: string): string[];
  setTrapLinks(pid: string, trap: boolean): void;
  trapLinks(pid: string): boolean;
  /** The mailbox of a local process, for its own subscriptions (inbox, events, listen). */
  mailboxOf(pid: string): Mailbox | null;
  /**
   * Publishes on the node's event bus (kernel/events.ts): every matching subscription gets it, in order. A
   * process's publish (`fromProcess`) is refused while too many events wait to be delivered.
   */
  publish(event: BusEvent, fromProcess?: boolean): ErrorValue | null;
  /**
   * Subscribes process `pid` to the event bus. `deliver` puts an event in the subscription's channel, whose
   * `backlog` counts as the process's unread mail: at the mailbox limit the subscription ends instead (`ended`
   * is called). The process's exit ends it too.
   */
  subscribeBus(pid: string, system: string, kind: string, delivery: BusDelivery): Result<BusSubscription>;
  unsubscribeBus(subscription: BusSubscription): void;
  /** Calls `fn` once when `pid` exits (runtime-internal watchers such as `process.exec`). */
  onExit(pid: string, fn: (outcome: Outcome) => void): void;
}
