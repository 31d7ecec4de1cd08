/** Messages between processes, and the event tables the runtime delivers to `process.events()`. */
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

// Built field by field (not Table.from): an EXIT is made for every monitored process that ends.
function resultTable(outcome: Outcome): Table {
  const t = new Table();
  if (outcome.error !== null) t.map.set('error', outcome.error);
  else if (outcome.value !== null) t.map.set('value', outcome.value);
  return t;
}

function endEvent(kind: string, from: string, outcome: Outcome): Table {
  const t = new Table();
  t.map.set('kind', kind);
  t.map.set('from', from);
  t.map.set('at', nowSeconds());
  t.map.set('result', resultTable(outcome));
  return t;
}

export function exitEvent(from: string, outcome: Outcome): Table {
  return endEvent(EVENT.EXIT, from, outcome);
}

export function linkDownEvent(from: string, outcome: Outcome): Table {
  return endEvent(EVENT.LINK_DOWN, from, outcome);
}

export function cancelEvent(from: string, reason: string): Table {
  return Table.from({ kind: EVENT.CANCEL, from, reason, at: nowSeconds() });
}
