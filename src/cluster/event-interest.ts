/**
 * What the node's other threads subscribe to (spec.md "Threads", events): for each thread, the pattern pairs
 * (system, kind) its event bus has at least one subscription for, as that thread announced them. A publish goes
 * only to the threads with a pair that matches it, so an event nobody elsewhere wants never crosses.
 */
import { eventPattern, type BusEvent, type PatternChange } from '../kernel/events';

/** How many pairs one thread may announce: as many as its bus holds subscriptions (BUS_LIMIT), then some. */
export const PAIRS_PER_THREAD = 8192;

interface Pair {
  readonly system: (value: string) => boolean;
  readonly kind: (value: string) => boolean;
}

/** One thread's pairs: those of a plain system by that system (a publish looks at its own), the rest apart. */
class ThreadInterest {
  private readonly exact = new Map<string, Map<string, Pair>>();
  private readonly patterned = new Map<string, Pair>();
  size = 0;

  set(change: PatternChange): void {
    const exact = change.system !== '' && !change.system.endsWith('*');
    const key = exact ? change.kind : JSON.stringify([change.system, change.kind]);
    let pairs = exact ? this.exact.get(change.system) : this.patterned;
    if (!change.present) {
      if (pairs?.delete(key) !== true) return;
      this.size--;
      if (exact && pairs.size === 0) this.exact.delete(change.system);
      return;
    }
    if (pairs === undefined) this.exact.set(change.system, (pairs = new Map()));
    if (pairs.has(key)) return;
    pairs.set(key, { system: eventPattern(change.system), kind: eventPattern(change.kind) });
    this.size++;
  }

  wants(event: BusEvent): boolean {
    const exact = this.exact.get(event.system);
    if (exact !== undefined) for (const pair of exact.values()) if (pair.kind(event.kind)) return true;
    for (const pair of this.patterned.values()) if (pair.system(event.system) && pair.kind(event.kind)) return true;
    return false;
  }
}

export class EventInterest {
  private readonly threads = new Map<string, ThreadInterest>();

  /**
   * Applies what `node` announced: its whole set (`whole`, replacing what was known) or changes to it. False
   * when it would hold more than PAIRS_PER_THREAD pairs (the rest is not taken).
   */
  apply(node: string, whole: boolean, changes: readonly PatternChange[]): boolean {
    let interest = this.threads.get(node);
    if (interest === undefined || whole) this.threads.set(node, (interest = new ThreadInterest()));
    for (const change of changes) {
      if (change.present && interest.size >= PAIRS_PER_THREAD) return false;
      interest.set(change);
    }
    return true;
  }

  /** Whether `node` has a subscription `event` may match. */
  wants(node: string, event: BusEvent): boolean {
    return this.threads.get(node)?.wants(event) ?? false;
  }

  /** `node` is down: what it said goes with its connection (a new one starts with its whole set). */
  forget(node: string): void {
    this.threads.delete(node);
  }
}
