/**
 * `queue.consumer`: takes deliveries from its queue (at most `concurrency` handlers running and `prefetch`
 * more held) and runs its `func` for each as a function process through the kernel, the message body its
 * argument and the delivery named in its context (for `queue.message()`). How the handler ends settles the
 * delivery unless it settled it itself: an error or a returned `false` nacks, anything else acks.
 *
 * Nothing is lost: a handler that crashes nacks (the message comes again); at stop, held deliveries go back
 * to the head of the queue at once, running handlers get the grace period, and those still running after it
 * are terminated and their messages put back too. While its queue's driver is not running, the consumer
 * attaches again every ATTACH_RETRY_MS.
 */
import { randomUUID } from 'crypto';
import { ErrorValue } from '../../kernel/value';
import { FUNCTION_HOST } from '../../kernel/pid';
import { after, type Timer } from '../../util/timer';
import type { ServiceContext } from '../service';
import type { ActiveDelivery, Delivery, DeliveryContextKey, QueueConsumer, QueueSubscription } from '../../api/queue';
import type { QueueConsumerEntry } from '../../registry/kinds/queue';

const ATTACH_RETRY_MS = 100;
const CONTEXT_KEY: DeliveryContextKey = 'queue.delivery';
/** What the stop keeps for itself out of its grace period: terminating handlers and requeueing. */
const STOP_MARGIN_MS = 200;

class Running implements ActiveDelivery {
  released = false;
  settled = false;

  constructor(readonly delivery: Delivery) {}

  get message(): Delivery['message'] {
    return this.delivery.message;
  }

  settle(how: 'ack' | 'nack'): boolean {
    if (this.settled) return false;
    this.settled = true;
    if (how === 'ack') this.delivery.ack();
    else this.delivery.nack();
    return true;
  }

  /** Back to the queue without an attempt counted (a stop interrupted it). */
  putBack(): void {
    if (this.settled) return;
    this.settled = true;
    this.delivery.release();
  }
}

export class Consumer implements QueueConsumer {
  private subscription: QueueSubscription | null = null;
  private readonly held: Delivery[] = [];
  private readonly running = new Map<string, Running>();
  private readonly byToken = new Map<string, Running>();
  private stopping = false;
  /** Its handler could not be spawned: it takes nothing more until the supervisor has restarted it. */
  private halted = false;
  private retry: Timer | null = null;
  private warned = false;
  private idle: (() => void) | null = null;

  constructor(
    private readonly entry: QueueConsumerEntry,
    private readonly ctx: ServiceContext,
  ) {}

  start(): void {
    this.attach();
  }

  delivery(token: string): ActiveDelivery | undefined {
    return this.byToken.get(token);
  }

  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    this.retry?.cancel();
    this.subscription?.cancel();
    this.subscription = null;
    for (const d of this.held.splice(0)) d.release();
    if (this.running.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = after(Math.max(0, graceMs - STOP_MARGIN_MS), () => resolve());
        this.idle = () => {
          timer.cancel();
          resolve();
        };
      });
    }
    for (const [pid, r] of this.running) {
      r.putBack();
      this.ctx.node.terminate('', pid);
    }
  }

  private attach(): void {
    this.retry = null;
    if (this.stopping) return;
    const queue = this.ctx.resources.get(this.entry.queue, 'queue');
    const sub = queue instanceof ErrorValue ? queue : queue.attach({ wants: () => this.wants(), room: () => this.room(), deliver: (d) => this.take(d), closed: () => this.detached() });
    if (sub instanceof ErrorValue) {
      if (!this.warned) this.ctx.log('warn', 'consumer waiting for its queue', { queue: this.entry.queue, error: sub.message });
      this.warned = true;
      this.retry = after(ATTACH_RETRY_MS, () => this.attach());
      return;
    }
    if (this.warned) this.ctx.log('info', 'consumer attached', { queue: this.entry.queue });
    this.warned = false;
    this.subscription = sub;
  }

  private detached(): void {
    this.subscription = null;
    this.held.length = 0; // the driver that held them is gone, and they with it
    if (!this.stopping) this.retry = after(ATTACH_RETRY_MS, () => this.attach());
  }

  private wants(): boolean {
    return this.room() > 0;
  }

  private room(): number {
    return this.stopping || this.halted ? 0 : this.entry.concurrency + this.entry.prefetch - this.held.length - this.running.size;
  }

  private take(d: Delivery): void {
    this.held.push(d);
    this.dispatch();
  }

  private dispatch(): void {
    while (!this.stopping && !this.halted && this.running.size < this.entry.concurrency && this.held.length > 0) {
      this.run(this.held.shift() as Delivery);
    }
  }

  private run(d: Delivery): void {
    const r = new Running(d);
    const token = randomUUID();
    const spawned = this.ctx.node.spawn({
      entry: this.entry.func,
      host: FUNCTION_HOST,
      args: [d.message.body],
      parent: null,
      monitor: false,
      link: false,
      context: new Map([[CONTEXT_KEY, `${this.entry.id}#${token}`]]),
    });
    if (!spawned.ok) {
      // The handler cannot run at all (missing, does not compile): the message goes back and the consumer
      // fails, so the supervisor's backoff paces the retries instead of a hot redelivery loop.
      // (halted first: the message put back must not come straight back here.) Reported on the next turn, so
      // a failure while the service is still starting is seen as a failure of the running service.
      this.halted = true;
      r.putBack();
      const reason = `cannot run ${this.entry.func}: ${spawned.error.message}`;
      setImmediate(() => this.ctx.failed(reason));
      return;
    }
    const pid = spawned.value;
    this.running.set(pid, r);
    this.byToken.set(token, r);
    this.ctx.node.onExit(pid, (outcome) => {
      this.running.delete(pid);
      this.byToken.delete(token);
      r.released = true;
      if (outcome.error !== null) {
        if (!r.settled) this.ctx.log('error', 'message processing failed', { consumer: this.entry.id, message_id: d.message.id, error: outcome.error.message });
        r.settle('nack');
      } else r.settle(outcome.value === false ? 'nack' : 'ack');
      if (this.stopping) {
        if (this.running.size === 0) this.idle?.();
        return;
      }
      this.dispatch();
      this.subscription?.pull();
    });
  }
}
