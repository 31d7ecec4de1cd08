/** Messages between processes, and the event tables the runtime delivers to `process.events()` (spec §3.3). */
import { ErrorValue, Table, type Value } from './value';

export interface Message {
  /** The sender's PID string, or "" when there is no sender. */
  readonly from: string;
  readonly topic: string;
  /** Deep copies made at send time; never mutated afterwards. */
  readonly payloads: readonly Value[];
}

export const EVENT = {
  EXIT: 'pid.exit',
  LINK_DOWN: 'pid.link.down',
  CANCEL: 'pid.cancel',
} as const;

/** How a process ended, as the kernel carries it. */
export interface Outcome {
  readonly value: Value;
  readonly error: ErrorValue | null;
}

const nowSeconds = (): number => Date.now() / 1000;

function resultTable(outcome: Outcome): Table {
  return Table.from({ value: outcome.error === null ? outcome.value : null, error: outcome.error });
}

export function exitEvent(from: string, outcome: Outcome): Table {
  return Table.from({ kind: EVENT.EXIT, from, at: nowSeconds(), result: resultTable(outcome) });
}

export function linkDownEvent(from: string, outcome: Outcome): Table {
  return Table.from({ kind: EVENT.LINK_DOWN, from, at: nowSeconds(), result: resultTable(outcome) });
}

export function cancelEvent(from: string, reason: string): Table {
  return Table.from({ kind: EVENT.CANCEL, from, reason, at: nowSeconds() });
}
