/**
 * The queue facets. A `queue.driver.*` service offers `queue_driver` (where messages wait: the memory driver
 * keeps them in this process); a `queue.queue` entry offers `queue` (publish, consume, info for that queue,
 * through its driver, with dead-lettering); a `queue.consumer` offers `queue_consumer` (the deliveries its
 * handler processes are running, for `queue.message()`).
 */
import type { ErrorValue, Value } from '../kernel/value';
import type { Maybe } from '../lib/byte-stream';

export interface QueueMessage {
  readonly id: string;
  readonly body: Value;
  /** Neutral keys (`correlation_id`, `priority`, ...), driver-prefixed ones, and the bookkeeping `attempts`/`x_*`. */
  readonly headers: ReadonlyMap<string, Value>;
}

/** A message handed to a subscriber by a driver: settled exactly once by one of these (later calls do nothing). */
export interface DriverDelivery {
  readonly message: QueueMessage;
  /** Processed: gone for good. */
  ack(): void;
  /** Failed: `message` (the same one, its headers updated) waits again behind the others. */
  requeue(message: QueueMessage): void;
  /** Never begun (its consumer stopped): back to the head of the queue, no attempt counted. */
  release(): void;
}

export interface QueueSubscriber {
  /** Whether it takes another delivery now. */
  wants(): boolean;
  /** How many more deliveries it takes now (a driver on another thread asks ahead); absent: 1 while it wants. */
  room?(): number;
  deliver(delivery: DriverDelivery): void;
  /** The driver ended the subscription (it stopped): deliveries not settled yet are gone with it. */
  closed(): void;
}

export interface QueueSubscription {
  /** The subscriber has room again: the driver delivers what waits. */
  pull(): void;
  cancel(): void;
}

/** The size limits of one queue on a driver. */
export interface QueueLimits {
  /** Most messages waiting (not counting redeliveries, which are never refused). */
  readonly maxLength: number;
  /** Most bytes of waiting messages in all. */
  readonly maxBytes: number;
}

export interface QueueStats {
  readonly message_count: number;
  readonly ready: number;
  readonly consumer_count: number;
  readonly in_flight: number;
}

export interface QueueDriver {
  /** Makes the queue known (or updates its limits); idempotent. */
  declare(queueId: string, limits: QueueLimits): void;
  /**
   * Null when queued; Unavailable (retryable) when full or stopped, Invalid when the message alone is too large.
   * A driver on another thread (src/cluster/shared.ts) answers with a Promise.
   */
  publish(queueId: string, message: QueueMessage): Maybe<ErrorValue | null>;
  attach(queueId: string, subscriber: QueueSubscriber): QueueSubscription | ErrorValue;
  info(queueId: string): Maybe<QueueStats | ErrorValue>;
}

/** A delivery as a consumer settles it: a nack counts an attempt and may dead-letter the message. */
export interface Delivery {
  readonly message: QueueMessage;
  ack(): void;
  nack(): void;
  release(): void;
}

export interface QueueSubscriberOf<D> {
  wants(): boolean;
  room?(): number;
  deliver(delivery: D): void;
  closed(): void;
}

export interface MessageQueue {
  publish(body: Value, headers: ReadonlyMap<string, Value>): Maybe<ErrorValue | null>;
  attach(subscriber: QueueSubscriberOf<Delivery>): QueueSubscription | ErrorValue;
  info(): Maybe<QueueStats | ErrorValue>;
}

/** A delivery whose handler runs now, as `queue.message()` sees it. */
export interface ActiveDelivery {
  readonly message: QueueMessage;
  /** The handler has ended: the Message is no longer usable. */
  readonly released: boolean;
  /** Whether ack/nack (manual or automatic) has happened. */
  readonly settled: boolean;
  /** The first settle wins; later ones answer false. */
  settle(how: 'ack' | 'nack'): boolean;
}

export interface QueueConsumer {
  /** The delivery a handler process was given (its context names it), while that handler runs. */
  delivery(token: string): ActiveDelivery | undefined;
}

/** The context key a consumer's handler process gets, its value `<consumer id>#<token>` (typed so both sides agree). */
export type DeliveryContextKey = 'queue.delivery';

declare module './resources' {
  interface Facets {
    queue_driver: QueueDriver;
    queue: MessageQueue;
    queue_consumer: QueueConsumer;
  }
}
