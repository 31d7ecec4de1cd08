/**
 * `queue.queue`: one named queue on its driver, reached through the driver's facet at every call (so a driver
 * restart is followed; the queue is declared on each driver instance before its first use). A nack counts an
 * attempt in the message's `attempts` header and requeues it; with `dead_letter`, the nack that reaches
 * `max_attempts` moves it to the dead-letter queue instead, with `x_original_queue`, `x_dead_letter_reason` and
 * `x_dead_letter_time` headers (and stays queued if that queue refuses it: nothing is dropped).
 */
import { ErrorValue, type Value } from '../../kernel/value';
import type { Resources } from '../../api/resources';
import type { Delivery, DriverDelivery, MessageQueue, QueueDriver, QueueMessage, QueueStats, QueueSubscriberOf, QueueSubscription } from '../../api/queue';
import type { QueueEntry } from '../../registry/kinds/queue';
import type { Maybe } from '../../lib/byte-stream';
import { randomUUID } from 'crypto';

const withHeaders = (message: QueueMessage, extra: Record<string, Value>): QueueMessage => {
  const headers = new Map(message.headers);
  for (const [k, v] of Object.entries(extra)) headers.set(k, v);
  return { id: message.id, body: message.body, headers };
};

export class QueueEndpoint implements MessageQueue {
  private readonly declaredOn = new WeakSet<QueueDriver>();

  constructor(
    private readonly entry: QueueEntry,
    private readonly resources: Resources,
    private readonly log: (message: string, fields: Record<string, unknown>) => void,
  ) {}

  publish(body: Value, headers: ReadonlyMap<string, Value>): Maybe<ErrorValue | null> {
    const driver = this.driver();
    if (driver instanceof ErrorValue) return driver;
    const all = new Map(headers);
    if (!all.has('timestamp')) all.set('timestamp', Math.floor(Date.now() / 1000));
    return driver.publish(this.entry.id, { id: randomUUID(), body, headers: all });
  }

  attach(subscriber: QueueSubscriberOf<Delivery>): QueueSubscription | ErrorValue {
    const driver = this.driver();
    if (driver instanceof ErrorValue) return driver;
    return driver.attach(this.entry.id, {
      wants: () => subscriber.wants(),
      room: subscriber.room === undefined ? undefined : () => (subscriber.room as () => number)(),
      closed: () => subscriber.closed(),
      deliver: (d) => subscriber.deliver(this.delivery(d)),
    });
  }

  info(): Maybe<QueueStats | ErrorValue> {
    const driver = this.driver();
    return driver instanceof ErrorValue ? driver : driver.info(this.entry.id);
  }

  private delivery(d: DriverDelivery): Delivery {
    return {
      message: d.message,
      ack: () => d.ack(),
      release: () => d.release(),
      nack: () => {
        const previous = d.message.headers.get('attempts');
        const attempts = (typeof previous === 'number' ? previous : 0) + 1;
        const counted = withHeaders(d.message, { attempts });
        const dl = this.entry.deadLetter;
        if (dl === null || attempts < dl.maxAttempts) return d.requeue(counted);
        const moved = (refused: ErrorValue | null): void => {
          if (refused === null) return d.ack();
          this.log('dead-letter queue refused a message; it stays queued', { queue: this.entry.id, dead_letter: dl.queue, error: refused.message });
          d.requeue(counted);
        };
        const refused = this.deadLetter(dl.queue, counted, attempts);
        if (refused instanceof Promise) void refused.then(moved);
        else moved(refused);
      },
    };
  }

  private deadLetter(queueId: string, message: QueueMessage, attempts: number): Maybe<ErrorValue | null> {
    const target = this.resources.get(queueId, 'queue');
    if (target instanceof ErrorValue) return target;
    const headers = new Map(message.headers);
    headers.set('x_original_queue', this.entry.id);
    headers.set('x_dead_letter_reason', `nacked ${attempts} times`);
    headers.set('x_dead_letter_time', Math.floor(Date.now() / 1000));
    headers.set('x_original_message_id', message.id);
    return target.publish(message.body, headers);
  }

  private driver(): QueueDriver | ErrorValue {
    const driver = this.resources.get(this.entry.driver, 'queue_driver');
    if (driver instanceof ErrorValue) return new ErrorValue(`queue ${this.entry.id}: driver ${this.entry.driver}: ${driver.message}`, driver.kind, driver.retryable);
    if (!this.declaredOn.has(driver)) {
      driver.declare(this.entry.id, { maxLength: this.entry.maxLength, maxBytes: this.entry.maxBytes });
      this.declaredOn.add(driver);
    }
    return driver;
  }
}
