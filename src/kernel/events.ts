/**
 * The node's event bus (Wippy's `events`, src/modules/events/spec.md): an event (system, kind, path, data) goes
 * to every subscription whose system and kind patterns match. Plain TypeScript: the Lua module subscribes
 * processes through the Router, and runtime parts (the registry, when it reports its changes) publish and
 * subscribe here directly.
 *
 * Delivery is in publish order: a publish made while one is being delivered (a subscriber that publishes)
 * waits in a queue, so every subscriber sees events in the order they were published, and a subscription made
 * during a delivery starts with the next event. A subscriber that cannot take an event ends its subscription
 * instead of silently missing it.
 *
 * Fan-out is bounded: the whole bus holds at most BUS_LIMIT subscriptions (Wippy's cap), one process at most
 * SUBSCRIPTION_LIMIT of them, and delivery runs in slices of SLICE_MS: what is left waits for the event loop's
 * next turn (setImmediate), so a registry change of a thousand entries reaching four thousand subscribers
 * freezes nobody. Events waiting to be delivered are bounded too (QUEUE_LIMIT; runtime publishes may exceed it).
 */
import { Fifo } from '../util/fifo';
import { ErrorValue, type Value } from './value';

export interface BusEvent {
  readonly system: string;
  readonly kind: string;
  readonly path: string;
  /** A deep copy made at publish time, shared by every subscriber and never mutated; null when absent. */
  readonly data: Value;
}

/**
 * Wippy's event patterns: `*` or the empty pattern matches everything; a pattern ending in `*` matches every
 * value that starts with what comes before it (`test.*` matches `test.a` and `test.a.b`); any other pattern,
 * `*` elsewhere included, matches only itself.
 */
export function eventPattern(pattern: string): (value: string) => boolean {
  if (pattern === '' || pattern === '*') return () => true;
  if (pattern.endsWith('*')) {
    const prefix = pattern.slice(0, -1);
    return (value) => value.startsWith(prefix);
  }
  return (value) => value === pattern;
}

export interface EventSubscriber {
  /**
   * Takes one event; false when it cannot (its process's mailbox is full): the bus then ends the subscription.
   * `sequence` numbers publishes: every subscriber of one publish sees the same number.
   */
  take(event: BusEvent, sequence: number): boolean;
  /** Called once when the bus ends the subscription itself (it could not take an event); not on unsubscribe. */
  ended?(): void;
}

/**
 * One pattern pair (system, kind) of the bus's subscriptions, `present` when its first subscription opened and
 * not when its last one closed; an empty kind pattern is given as `*` (the same pattern).
 */
export interface PatternChange {
  readonly system: string;
  readonly kind: string;
  readonly present: boolean;
}

/** What `subscribe` returns; `active` turns false when it ends, however it ends. */
export interface BusSubscription {
  readonly system: string;
  readonly kind: string;
  /** The PID whose exit releases it, or null for a runtime-internal subscriber. */
  readonly owner: string | null;
  readonly active: boolean;
}

class Subscription implements BusSubscription {
  active = true;
  readonly matchesSystem: (system: string) => boolean;
  readonly matchesKind: (kind: string) => boolean;

  constructor(
    readonly system: string,
    readonly kind: string,
    readonly owner: string | null,
    readonly subscriber: EventSubscriber,
    /** Publishes numbered at or below this happened before it existed. */
    readonly after: number,
  ) {
    this.matchesSystem = eventPattern(system);
    this.matchesKind = eventPattern(kind);
  }
}

/** How many subscriptions the whole bus holds (Wippy's DefaultMaxSubscribers: a leak surfaces fast). */
export const BUS_LIMIT = 4096;
/** How many of them one process may hold, so that one leaking process cannot lock the others out. */
export const SUBSCRIPTION_LIMIT = 1024;
/** How long one turn of delivery may run before the rest waits for the next turn of the event loop. */
const SLICE_MS = 2;
/** How many published events may wait for delivery before `publish` refuses more from processes. */
export const QUEUE_LIMIT = 10_000;

export class EventBus {
  subscriptionLimit = SUBSCRIPTION_LIMIT;
  busLimit = BUS_LIMIT;
  queueLimit = QUEUE_LIMIT;
  /** Subscriptions whose system pattern has no wildcard, by system: a publish looks at its own system only. */
  private readonly exact = new Map<string, Set<Subscription>>();
  private readonly patterned = new Set<Subscription>();
  private readonly byOwner = new Map<string, Set<Subscription>>();
  private readonly queue = new Fifo<{ readonly event: BusEvent; readonly number: number }>();
  /** The publish being delivered, and the subscriptions it has still to be offered to. */
  private current: { readonly event: BusEvent; readonly number: number; readonly rest: Iterator<Subscription> } | null = null;
  private published = 0;
  private delivering = false;
  private resumeScheduled = false;
  private count = 0;
  /** Open subscriptions per pattern pair (system and kind, `*` for an empty kind), counted once `watchPatterns` is called. */
  private readonly pairs = new Map<string, { readonly system: string; readonly kind: string; open: number }>();
  private patternsChanged: ((change: PatternChange) => void) | null = null;

  /** Open subscriptions. */
  get size(): number {
    return this.count;
  }

  /** Subscriptions `owner` holds open. */
  ownedBy(owner: string): number {
    return this.byOwner.get(owner)?.size ?? 0;
  }

  /**
   * A new subscription; an empty `kind` (or `*`) takes every kind. A process's is refused past its own limit or
   * the bus's; the runtime's own (no owner) always succeed.
   */
  subscribe(system: string, kind: string, subscriber: EventSubscriber, owner: string | null = null): BusSubscription | ErrorValue {
    if (owner !== null && this.ownedBy(owner) >= this.subscriptionLimit) {
      return new ErrorValue(
        `too many event subscriptions: ${owner} has ${this.subscriptionLimit} open (close the ones it no longer reads)`,
        'Unavailable',
        false,
      );
    }
    if (owner !== null && this.count >= this.busLimit) {
      return new ErrorValue(`too many event subscriptions: the event bus has ${this.busLimit} open`, 'Unavailable', true);
    }
    const sub = new Subscription(system, kind, owner, subscriber, this.published);
    if (isExact(system)) addTo(this.exact, system, sub);
    else this.patterned.add(sub);
    if (owner !== null) addTo(this.byOwner, owner, sub);
    this.count++;
    this.countPair(sub, 1);
    return sub;
  }

  /**
   * The pattern pairs of the open subscriptions (each once), and from now on `fn` at each pair's first
   * subscription and after its last (the node's other threads are told: src/cluster/spec.md "Events").
   */
  watchPatterns(fn: (change: PatternChange) => void): PatternChange[] {
    this.pairs.clear();
    for (const subs of this.exact.values()) for (const sub of subs) this.tally(sub, 1);
    for (const sub of this.patterned) this.tally(sub, 1);
    this.patternsChanged = fn;
    return this.patterns();
  }

  /** The pattern pairs of the open subscriptions, each once (while they are watched). */
  patterns(): PatternChange[] {
    return [...this.pairs.values()].map(({ system, kind }) => ({ system, kind, present: true }));
  }

  /** Only while the patterns are watched (a node's threads): a node of one thread counts nothing. */
  private countPair(sub: Subscription, delta: 1 | -1): void {
    if (this.patternsChanged === null) return;
    const open = this.tally(sub, delta);
    if (open === 0 || (open === 1 && delta === 1)) this.patternsChanged({ system: sub.system, kind: kindPattern(sub), present: open > 0 });
  }

  /** Counts `sub` in or out of its pattern pair; the pair's open subscriptions after. */
  private tally(sub: Subscription, delta: 1 | -1): number {
    const kind = kindPattern(sub);
    const key = JSON.stringify([sub.system, kind]);
    let pair = this.pairs.get(key);
    if (pair === undefined) this.pairs.set(key, (pair = { system: sub.system, kind, open: 0 }));
    pair.open += delta;
    if (pair.open === 0) this.pairs.delete(key);
    return pair.open;
  }

  /** Ends a subscription; nothing more reaches it, not even an event being delivered now. Twice is a no-op. */
  unsubscribe(handle: BusSubscription): void {
    const sub = handle as Subscription;
    if (!sub.active) return;
    sub.active = false;
    this.count--;
    if (isExact(sub.system)) removeFrom(this.exact, sub.system, sub);
    else this.patterned.delete(sub);
    if (sub.owner !== null) removeFrom(this.byOwner, sub.owner, sub);
    this.countPair(sub, -1);
  }

  /** Ends every subscription of `owner` (its process has exited). */
  releaseOwner(owner: string): void {
    const subs = this.byOwner.get(owner);
    if (subs === undefined) return;
    for (const sub of [...subs]) this.unsubscribe(sub);
  }

  /**
   * Delivers `event` to every matching subscription (after any publish still waiting), at once when it takes
   * less than a slice. Refused (an error, nothing queued) when QUEUE_LIMIT events already wait and `fromProcess`.
   */
  publish(event: BusEvent, fromProcess = false): ErrorValue | null {
    if (fromProcess && this.queue.length >= this.queueLimit) {
      return new ErrorValue(`event bus busy: ${this.queue.length} events wait to be delivered`, 'Unavailable', true);
    }
    this.queue.push({ event, number: ++this.published });
    if (!this.delivering && !this.resumeScheduled) this.drain();
    return null;
  }

  /** Events published and not yet delivered to every subscriber. */
  get waiting(): number {
    return this.queue.length + (this.current === null ? 0 : 1);
  }

  private drain(): void {
    this.delivering = true;
    const deadline = performance.now() + SLICE_MS;
    let failure: unknown = null;
    try {
      for (;;) {
        if (this.current === null) {
          const next = this.queue.shift();
          if (next === undefined) break;
          this.current = { ...next, rest: this.candidates(next.event) };
        }
        const done = this.deliver(this.current.event, this.current.number, this.current.rest, deadline);
        failure = done.failure ?? failure;
        if (!done.finished) {
          this.resumeLater();
          break;
        }
        this.current = null;
      }
    } finally {
      this.delivering = false;
    }
    if (failure !== null) throw failure; // a subscriber's bug, after every other subscriber had its event
  }

  private resumeLater(): void {
    if (this.resumeScheduled) return;
    this.resumeScheduled = true;
    setImmediate(() => {
      this.resumeScheduled = false;
      if (!this.delivering) this.drain();
    });
  }

  /** The subscriptions an event may go to: those of its system, then the patterned ones. */
  private *candidates(event: BusEvent): Iterator<Subscription> {
    const exact = this.exact.get(event.system);
    if (exact !== undefined) yield* exact;
    for (const sub of this.patterned) if (sub.matchesSystem(event.system)) yield sub;
  }

  /**
   * Offers the event to the rest of its subscriptions until the deadline. Sets are iterated live: one ended
   * during the walk is skipped, one added is not yet due (`after`).
   */
  private deliver(event: BusEvent, number: number, rest: Iterator<Subscription>, deadline: number): { finished: boolean; failure: unknown } {
    let failure: unknown = null;
    for (let n = 1; ; n++) {
      if ((n & 63) === 0 && performance.now() > deadline) return { finished: false, failure };
      const next = rest.next();
      if (next.done === true) return { finished: true, failure };
      const sub = next.value;
      if (!sub.active || sub.after >= number || !sub.matchesKind(event.kind)) continue;
      try {
        if (sub.subscriber.take(event, number) || !sub.active) continue;
        this.unsubscribe(sub);
        sub.subscriber.ended?.();
      } catch (e) {
        failure ??= e;
      }
    }
  }
}

const isExact = (pattern: string): boolean => pattern !== '' && !pattern.endsWith('*');

function addTo<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key);
  if (set === undefined) map.set(key, new Set([value]));
  else set.add(value);
}

function removeFrom<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key);
  if (set === undefined) return;
  set.delete(value);
  if (set.size === 0) map.delete(key);
}

/** A subscription's kind as a pattern pair gives it: an empty kind is `*` (the same pattern). */
const kindPattern = (sub: Subscription): string => (sub.kind === '' ? '*' : sub.kind);
