/**
 * The node's event bus (Wippy's `events`, src/modules/events/spec.md): an event (system, kind, path, data) goes
 * to every subscription whose system and kind patterns match. Plain TypeScript: the Lua module subscribes
 * processes through the Router, and runtime parts (the registry, when it reports its changes) publish and
 * subscribe here directly.
 *
 * Delivery is synchronous and in publish order: a publish made while one is being delivered (a subscriber
 * that publishes) waits in a queue, so every subscriber sees events in the order they were published, and a
 * subscription made during a delivery starts with the next event. A subscriber that cannot take an event ends
 * its subscription instead of silently missing it.
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

/**
 * How many subscriptions one process may hold open. Wippy caps its whole bus at 4096 to surface leaked
 * subscriptions; here the cap is per process, so one leaking process cannot lock the others out.
 */
export const SUBSCRIPTION_LIMIT = 4096;

export class EventBus {
  subscriptionLimit = SUBSCRIPTION_LIMIT;
  /** Subscriptions whose system pattern has no wildcard, by system: a publish looks at its own system only. */
  private readonly exact = new Map<string, Set<Subscription>>();
  private readonly patterned = new Set<Subscription>();
  private readonly byOwner = new Map<string, Set<Subscription>>();
  private readonly queue = new Fifo<{ readonly event: BusEvent; readonly number: number }>();
  private published = 0;
  private delivering = false;
  private count = 0;

  /** Open subscriptions. */
  get size(): number {
    return this.count;
  }

  /** Subscriptions `owner` holds open. */
  ownedBy(owner: string): number {
    return this.byOwner.get(owner)?.size ?? 0;
  }

  /** A new subscription; an empty `kind` (or `*`) takes every kind. Refused past the per-owner limit. */
  subscribe(system: string, kind: string, subscriber: EventSubscriber, owner: string | null = null): BusSubscription | ErrorValue {
    if (owner !== null && this.ownedBy(owner) >= this.subscriptionLimit) {
      return new ErrorValue(
        `too many event subscriptions: ${owner} has ${this.subscriptionLimit} open (close the ones it no longer reads)`,
        'Unavailable',
        false,
      );
    }
    const sub = new Subscription(system, kind, owner, subscriber, this.published);
    if (isExact(system)) addTo(this.exact, system, sub);
    else this.patterned.add(sub);
    if (owner !== null) addTo(this.byOwner, owner, sub);
    this.count++;
    return sub;
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
  }

  /** Ends every subscription of `owner` (its process has exited). */
  releaseOwner(owner: string): void {
    const subs = this.byOwner.get(owner);
    if (subs === undefined) return;
    for (const sub of [...subs]) this.unsubscribe(sub);
  }

  /** Delivers `event` to every matching subscription (after any publish still being delivered). */
  publish(event: BusEvent): void {
    this.queue.push({ event, number: ++this.published });
    if (this.delivering) return;
    this.delivering = true;
    let failure: unknown = null;
    try {
      for (let next = this.queue.shift(); next !== undefined; next = this.queue.shift()) {
        failure = this.deliver(next.event, next.number) ?? failure;
      }
    } finally {
      this.delivering = false;
    }
    if (failure !== null) throw failure; // a subscriber's bug, after every other subscriber had its event
  }

  /** Sets are iterated live: one ended during the walk is skipped, one added is not yet due (`after`). */
  private deliver(event: BusEvent, number: number): unknown {
    let failure: unknown = null;
    const offer = (sub: Subscription): void => {
      if (!sub.active || sub.after >= number || !sub.matchesKind(event.kind)) return;
      try {
        if (sub.subscriber.take(event, number) || !sub.active) return;
        this.unsubscribe(sub);
        sub.subscriber.ended?.();
      } catch (e) {
        failure ??= e;
      }
    };
    const exact = this.exact.get(event.system);
    if (exact !== undefined) for (const sub of exact) offer(sub);
    for (const sub of this.patterned) if (sub.matchesSystem(event.system)) offer(sub);
    return failure;
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
