/**
 * What nodes say to each other (spec.md "Wire"): one bus message is a batch `[from node, its incarnation, its
 * epoch, the receiver's epoch as seen, number, frames]`, each frame a tuple starting with its op. Every field is
 * checked, so a malformed or hostile message is refused as a whole before anything acts on it.
 */
import { flatten, unflatten, WireError, type WireValues } from './wire';
import { ErrorValue, type Value } from '../kernel/value';
import type { Outcome } from '../kernel/message';
import type { Header } from './peers';
import type { BusEvent, PatternChange } from '../kernel/events';
import type { SpawnRequest } from '../kernel/router';

export const OP = { SEND: 1, TERMINATE: 2, CANCEL: 3, MONITOR: 4, UNMONITOR: 5, LINK: 6, UNLINK: 7, EXIT: 8, EVENT: 9, SPAWN: 10, INTEREST: 11 } as const;

export type Frame =
  | readonly [typeof OP.SEND, string, string, string, WireValues]
  | readonly [typeof OP.TERMINATE, string, string]
  | readonly [typeof OP.CANCEL, string, string, string]
  | readonly [typeof OP.MONITOR | typeof OP.UNMONITOR | typeof OP.LINK | typeof OP.UNLINK, string, string]
  /** A process `pid` of the sender ended; `to` is a monitor (link false) or a linked process (link true). */
  | readonly [typeof OP.EXIT, string, string, WireValues, boolean]
  /** An event published on the sender thread's bus, for this thread's subscribers: from and to are the two nodes. */
  | readonly [typeof OP.EVENT, string, string, string, string, string, WireValues]
  /**
   * Between the threads of one node only: start `child` (numbered by the sender) as process `parent`'s child:
   * entry, host, arguments, monitor, link, context keys and values, first messages (topic and payloads), and
   * the PID on the sender's thread told of the child's exit from its start (SpawnRequest `exited`), or "", and
   * the child's security context as text (src/services/security/portable.ts), or "".
   */
  | readonly [typeof OP.SPAWN, string, string, string, string, WireValues, boolean, boolean, string[], WireValues, [string, WireValues][], string, string]
  /**
   * Between the threads of one node only (from and to are the two nodes): the event patterns the sender's bus
   * has subscriptions for, its whole set (`whole`) or what changed, each `[system, kind, present]`.
   */
  | readonly [typeof OP.INTEREST, string, string, boolean, [string, string, boolean][]];

/** The sender's event patterns for node `to`: its whole set, or changes to it. */
export const interestFrame = (from: string, to: string, whole: boolean, changes: readonly PatternChange[]): Frame =>
  [OP.INTEREST, from, to, whole, changes.map((c): [string, string, boolean] => [c.system, c.kind, c.present])];

/** The frame that starts `child` on another thread of this node (the spawner's side of router.ts "spawnOn"). */
export function spawnFrame(child: string, r: SpawnRequest, watcher = '', security = ''): Frame {
  const context = [...(r.context ?? new Map<string, Value>())];
  return [
    OP.SPAWN, r.parent as string, child, r.entry, r.host, flatten(r.args), r.monitor, r.link,
    context.map(([k]) => k), flatten(context.map(([, v]) => v)),
    (r.messages ?? []).map((m): [string, WireValues] => [m.topic, flatten(m.payloads)]),
    watcher,
    security,
  ];
}

export const outcomeFrame = (pid: string, to: string, outcome: Outcome, link: boolean): Frame =>
  [OP.EXIT, pid, to, flatten([outcome.value, outcome.error]), link];

/** How much of an error message too large to cross nodes still crosses. */
const KEPT_MESSAGE = 4096;

/**
 * What crosses instead of an outcome too large for the bus (`refused` says how large): a failure stays a
 * failure of the same kind, its message cut and saying why; a value becomes a string saying it was too large.
 * So a link still breaks exactly when the process failed.
 */
export function shrunkOutcome(outcome: Outcome, refused: ErrorValue): Outcome {
  const why = refused.message.replace(/^message too large/, 'too large');
  if (outcome.error === null) return { value: `exit value ${why}`, error: null };
  const e = outcome.error;
  const message = e.message.length > KEPT_MESSAGE ? `${e.message.slice(0, KEPT_MESSAGE)}...` : e.message;
  return { value: null, error: new ErrorValue(`${message} (error ${why})`, e.kind, e.retryable) };
}

/** `event` for node `to`'s bus (threads of one node only: across nodes the bus is each node's own). */
export const eventFrame = (from: string, to: string, event: BusEvent, data: WireValues): Frame => [OP.EVENT, from, to, event.system, event.kind, event.path, data];

export const sendFrame = (from: string, to: string, topic: string, payloads: readonly Value[]): Frame =>
  [OP.SEND, from, to, topic, flatten(payloads)];

/** A checked frame, its values decoded. */
export type Received =
  | { readonly op: typeof OP.SEND; readonly from: string; readonly to: string; readonly topic: string; readonly payloads: Value[] }
  | { readonly op: typeof OP.TERMINATE; readonly from: string; readonly to: string }
  | { readonly op: typeof OP.CANCEL; readonly from: string; readonly to: string; readonly reason: string }
  | { readonly op: typeof OP.MONITOR | typeof OP.UNMONITOR | typeof OP.LINK | typeof OP.UNLINK; readonly from: string; readonly to: string }
  | { readonly op: typeof OP.EXIT; readonly from: string; readonly to: string; readonly outcome: Outcome; readonly link: boolean }
  | { readonly op: typeof OP.EVENT; readonly from: string; readonly to: string; readonly event: BusEvent }
  | { readonly op: typeof OP.INTEREST; readonly from: string; readonly to: string; readonly whole: boolean; readonly changes: PatternChange[] }
  /** `from` is the parent, `to` the child; `request.parent` is `from`; `security` as spawnFrame's. */
  | { readonly op: typeof OP.SPAWN; readonly from: string; readonly to: string; readonly request: SpawnRequest; readonly watcher: string; readonly security: string };

const isString = (x: unknown): x is string => typeof x === 'string';

/**
 * The header of a bus message `[node, incarnation, epoch, seen, number, frames]` (peers.ts "Header"), and its
 * frames still unchecked: a message whose header is good and whose frames are not was lost from a known sender.
 */
export function parseBatch(x: unknown): { header: Header; frames: unknown[] } {
  if (!Array.isArray(x) || x.length !== 6) throw new WireError('not a batch');
  const [node, incarnation, epoch, seen, seq, frames] = x as unknown[];
  if (!isString(node) || ![incarnation, epoch, seen, seq].every(isCount) || !Array.isArray(frames)) throw new WireError('bad batch header');
  return {
    header: { node, incarnation: incarnation as number, epoch: epoch as number, seen: seen as number, seq: seq as number, tick: frames.length === 0 },
    frames,
  };
}

const isCount = (x: unknown): boolean => Number.isSafeInteger(x) && (x as number) >= 0;

/** The frames of a batch, each checked and its values decoded; throws on the first bad one. */
export const parseFrames = (frames: unknown[]): Received[] => frames.map(parseFrame);

function parseFrame(f: unknown): Received {
  if (!Array.isArray(f) || f.length < 3 || !isString(f[1]) || !isString(f[2])) throw new WireError('bad frame');
  const [op, from, to] = f as [unknown, string, string];
  switch (op) {
    case OP.SEND:
      if (f.length !== 5 || !isString(f[3])) throw new WireError('bad send frame');
      return { op, from, to, topic: f[3], payloads: unflatten(f[4]) };
    case OP.CANCEL:
      if (f.length !== 4 || !isString(f[3])) throw new WireError('bad cancel frame');
      return { op, from, to, reason: f[3] };
    case OP.TERMINATE:
    case OP.MONITOR:
    case OP.UNMONITOR:
    case OP.LINK:
    case OP.UNLINK:
      if (f.length !== 3) throw new WireError('bad frame');
      return { op, from, to };
    case OP.EXIT: {
      if (f.length !== 5 || typeof f[4] !== 'boolean') throw new WireError('bad exit frame');
      const [value, error] = unflatten(f[3]);
      if (error !== null && !(error instanceof ErrorValue)) throw new WireError('bad exit error');
      return { op, from, to, outcome: { value: value ?? null, error: error ?? null }, link: f[4] };
    }
    case OP.EVENT: {
      if (f.length !== 7 || !isString(f[3]) || !isString(f[4]) || !isString(f[5])) throw new WireError('bad event frame');
      const [data] = unflatten(f[6]);
      return { op, from, to, event: { system: f[3], kind: f[4], path: f[5], data: data ?? null } };
    }
    case OP.SPAWN:
      if (!isString(f[11]) || !isString(f[12])) throw new WireError('bad spawn frame');
      return { op, from, to, request: parseSpawn(f, from), watcher: f[11], security: f[12] };
    case OP.INTEREST:
      if (f.length !== 5 || typeof f[3] !== 'boolean' || !Array.isArray(f[4])) throw new WireError('bad interest frame');
      return { op, from, to, whole: f[3], changes: f[4].map(parseChange) };
    default:
      throw new WireError(`unknown op ${String(op)}`);
  }
}

function parseChange(c: unknown): PatternChange {
  if (!Array.isArray(c) || c.length !== 3 || !isString(c[0]) || !isString(c[1]) || typeof c[2] !== 'boolean') throw new WireError('bad interest frame');
  return { system: c[0], kind: c[1], present: c[2] };
}

function parseSpawn(f: unknown[], parent: string): SpawnRequest {
  const [, , , entry, host, args, monitor, link, keys, values, messages] = f;
  if (f.length !== 13 || !isString(entry) || !isString(host) || typeof monitor !== 'boolean' || typeof link !== 'boolean') throw new WireError('bad spawn frame');
  if (!Array.isArray(keys) || !keys.every(isString) || !Array.isArray(messages)) throw new WireError('bad spawn frame');
  const contextValues = unflatten(values);
  if (contextValues.length !== keys.length) throw new WireError('bad spawn context');
  const start = messages.map((m: unknown) => {
    if (!Array.isArray(m) || m.length !== 2 || !isString(m[0])) throw new WireError('bad spawn message');
    return { topic: m[0], payloads: unflatten(m[1]) };
  });
  return {
    entry, host, args: unflatten(args), parent, monitor, link,
    context: new Map(keys.map((k, i) => [k, contextValues[i]])),
    messages: start,
  };
}
