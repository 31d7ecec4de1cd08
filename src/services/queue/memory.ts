/**
 * `queue.driver.memory`: each declared queue is a list of waiting messages in this process, handed to its
 * subscribers in turn as they have room. A publish beyond the queue's `max_length` messages or `max_bytes`
 * is refused at once (Unavailable, retryable): memory stays bounded and the publisher hears why. A requeued
 * message (a nack) is never refused, so nothing a consumer took is lost; what waits is gone when the driver
 * stops, as in Wippy.
 */
import { ErrorValue } from '../../kernel/value';
import { valueBytes } from '../../kernel/value-size';
import type { DriverDelivery, QueueDriver, QueueLimits, QueueMessage, QueueStats, QueueSubscriber, QueueSubscription } from '../../api/queue';

interface Waiting {
  readonly message: QueueMessage;
  readonly bytes: number;
}

function messageBytes(message: QueueMessage, limit: number): number {
  let total = valueBytes(message.body, limit) + message.id.length;
  for (const [k, v] of message.headers) total += k.length + valueBytes(v);
  return total;
}

class MemoryQueue {
  /** Waiting messages, oldest first, from `head` on (shifted in bulk, not one by one). */
  private waiting: Waiting[] = [];
  private head = 0;
  private bytes = 0;
  private readonly subscribers: QueueSubscriber[] = [];
  private next = 0;
  private inFlight = 0;
  private pumping = false;
  private again = false;
  closed = false;

  constructor(
    readonly id: string,
    public limits: QueueLimits,
  ) {}

  get length(): number {
    return this.waiting.length - this.head;
  }

  publish(message: QueueMessage): ErrorValue | null {
    if (this.closed) return new ErrorValue(`queue ${this.id} is closed`, 'Unavailable', true);
    const { maxLength, maxBytes } = this.limits;
    const bytes = messageBytes(message, maxBytes);
    if (bytes > maxBytes) return new ErrorValue(`message too large for queue ${this.id} (more than ${maxBytes} bytes)`, 'Invalid', false);
    if (this.length >= maxLength) return new ErrorValue(`queue ${this.id} is full (max_length ${maxLength})`, 'Unavailable', true);
    if (this.bytes + bytes > maxBytes) return new ErrorValue(`queue ${this.id} is full (max_bytes ${maxBytes})`, 'Unavailable', true);
    this.push({ message, bytes }, false);
    this.pump();
    return null;
  }

  attach(subscriber: QueueSubscriber): QueueSubscription {
    this.subscribers.push(subscriber);
    this.pump();
    return {
      pull: () => this.pump(),
      cancel: () => {
        const at = this.subscribers.indexOf(subscriber);
        if (at >= 0) this.subscribers.splice(at, 1);
      },
    };
  }

  stats(): QueueStats {
    return { message_count: this.length, ready: this.length, consumer_count: this.subscribers.length, in_flight: this.inFlight };
  }

  close(): void {
    this.closed = true;
    this.waiting = [];
    this.head = 0;
    this.bytes = 0;
    for (const s of this.subscribers.splice(0)) s.closed();
  }

  private push(w: Waiting, atHead: boolean): void {
    if (atHead && this.head > 0) this.waiting[--this.head] = w;
    else if (atHead) this.waiting.unshift(w);
    else this.waiting.push(w);
    this.bytes += w.bytes;
  }

  private take(): Waiting {
    const w = this.waiting[this.head++];
    if (this.head > 1024 && this.head * 2 > this.waiting.length) {
      this.waiting = this.waiting.slice(this.head);
      this.head = 0;
    }
    this.bytes -= w.bytes;
    return w;
  }

  /** Hands waiting messages to subscribers with room, in turn; re-entered calls (a settle inside deliver) loop here. */
  private pump(): void {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.again = false;
        while (this.length > 0 && !this.closed) {
          const subscriber = this.nextWanting();
          if (subscriber === null) break;
          subscriber.deliver(this.delivery(this.take()));
        }
      } while (this.again);
    } finally {
      this.pumping = false;
    }
  }

  private nextWanting(): QueueSubscriber | null {
    const n = this.subscribers.length;
    for (let i = 0; i < n; i++) {
      const s = this.subscribers[(this.next + i) % n];
      if (s.wants()) {
        this.next = (this.next + i + 1) % n;
        return s;
      }
    }
    return null;
  }

  private delivery(w: Waiting): DriverDelivery {
    this.inFlight++;
    let done = false;
    const settle = (back: Waiting | null, atHead: boolean): void => {
      if (done) return;
      done = true;
      this.inFlight--;
      if (back !== null && !this.closed) {
        this.push(back, atHead);
        this.pump();
      }
    };
    return {
      message: w.message,
      ack: () => settle(null, false),
      requeue: (message) => settle({ message, bytes: messageBytes(message, Infinity) }, false),
      release: () => settle(w, true),
    };
  }
}

export class MemoryDriver implements QueueDriver {
  private readonly queues = new Map<string, MemoryQueue>();
  private closed = false;

  constructor(private readonly id: string) {}

  declare(queueId: string, limits: QueueLimits): void {
    const q = this.queues.get(queueId);
    if (q !== undefined) q.limits = limits;
    else if (!this.closed) this.queues.set(queueId, new MemoryQueue(queueId, limits));
  }

  publish(queueId: string, message: QueueMessage): ErrorValue | null {
    const q = this.queue(queueId);
    return q === undefined ? this.missing(queueId) : q.publish(message);
  }

  attach(queueId: string, subscriber: QueueSubscriber): QueueSubscription | ErrorValue {
    return this.queue(queueId)?.attach(subscriber) ?? this.missing(queueId);
  }

  info(queueId: string): QueueStats | ErrorValue {
    return this.queue(queueId)?.stats() ?? this.missing(queueId);
  }

  close(): void {
    this.closed = true;
    for (const q of this.queues.values()) q.close();
    this.queues.clear();
  }

  private queue(queueId: string): MemoryQueue | undefined {
    return this.queues.get(queueId);
  }

  private missing(queueId: string): ErrorValue {
    return this.closed
      ? new ErrorValue(`queue driver ${this.id} is stopped`, 'Unavailable', true)
      : new ErrorValue(`queue ${queueId} is not declared on driver ${this.id}`, 'Internal', false);
  }
}
