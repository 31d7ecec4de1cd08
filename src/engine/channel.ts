/**
 * Channels (src/modules/channel/spec.md): Go semantics inside one process. Unbuffered channels are rendezvous points, buffered
 * ones FIFO queues; a select waits on several at once and the first ready case in table order wins. Waiters are
 * tasks; completing one only hands a Completion to `resume` (which queues the task).
 */
import type { Slot } from './slots';
import type { Task } from './scheduler';
import type { Value } from '../kernel/value';
import { Fifo } from '../util/fifo';

/**
 * A value from outside Lua that stays portable while it waits in a buffer: the receiver's Lua copy is made
 * when it is received, so what a process has not read costs no Lua objects (one event for many subscribers
 * is then held once, however many hold it).
 */
export class Portable {
  constructor(
    readonly value: Value,
    readonly toLua: (value: Value) => Slot,
  ) {}
}

/** The per-select state shared by its waiters, so the first completion withdraws the others. */
export interface SelectWait {
  done: boolean;
  readonly waiters: Waiter[];
}

/**
 * One blocked operation, and once completed, how it ended (the task is resumed with it): one object per wait,
 * since a message to a waiting process completes one on every hop.
 */
export class Waiter {
  /** The value completing it: the one received, or for a send the one sent. */
  result: Slot | null = null;
  /** How it ended (one field: a process blocked in a receive holds its Waiter as long as it waits). */
  private status = PENDING;

  constructor(
    readonly channel: Channel,
    readonly task: Task,
    /** The value a blocked sender offers (null for a receive). */
    readonly value: Slot | null,
    readonly select: SelectWait | null,
  ) {}

  get sending(): boolean {
    return this.value !== null;
  }

  get ok(): boolean {
    return this.status === DONE;
  }

  /** A send that failed because the channel was closed. */
  get closedSend(): boolean {
    return this.status === CLOSED_SEND;
  }

  end(result: Slot | null, ok: boolean, closedSend: boolean): void {
    this.result = result;
    this.status = ok ? DONE : closedSend ? CLOSED_SEND : CLOSED;
  }
}

const PENDING = 0;
const DONE = 1;
const CLOSED = 2;
const CLOSED_SEND = 3;

/** A completed Waiter. */
export type Completion = Waiter;

export type Resumer = (completion: Completion) => void;

export type ReceiveResult = { readonly value: Slot | null; readonly ok: boolean } | null;

export class Channel {
  closed = false;
  /** The Lua userdata for this channel, so every push of it is the same object (`r.channel == ch`). */
  identity: Slot | null = null;
  /** Told when a receive took a buffered value: a producer outside Lua that held back may offer again. */
  onTake: (() => void) | null = null;
  private readonly buffer = new Fifo<Slot | Portable>();
  private readonly receivers = new Fifo<Waiter>();
  private readonly senders = new Fifo<Waiter>();

  constructor(
    /** Buffer size: 0 for a rendezvous channel, Infinity for a mailbox-backed one. */
    readonly capacity: number,
    private readonly resume: Resumer,
  ) {}

  /** Values waiting in the buffer. */
  get buffered(): number {
    return this.buffer.length;
  }

  /** Calls `fn` on every buffered value and every value a blocked sender offers (the memory watchdog). */
  forEachValue(fn: (value: Slot | Value) => void): void {
    this.buffer.forEach((v) => fn(v instanceof Portable ? v.value : v));
    this.senders.forEach((w) => {
      if (w.value !== null) fn(w.value);
    });
  }

  /** Completes a send at once if a receiver waits or the buffer has room. The caller checks `closed` first. */
  trySend(value: Slot): boolean {
    const receiver = nextWaiter(this.receivers);
    if (receiver !== null) {
      this.complete(receiver, value, true, false);
      return true;
    }
    if (this.buffer.length < this.capacity) {
      this.buffer.push(value);
      return true;
    }
    return false;
  }

  /**
   * A value from outside Lua (a mailbox delivery, a timer tick): never blocks; dropped when the channel is
   * closed or its buffer is full (as Go's timers drop ticks a slow reader missed).
   */
  offer(value: Slot): boolean {
    return !this.closed && this.trySend(value);
  }

  /** `offer` for a value kept portable until it is received (a waiting receiver gets its copy at once). */
  offerPortable(value: Portable): boolean {
    if (this.closed) return false;
    const receiver = nextWaiter(this.receivers);
    if (receiver !== null) {
      this.complete(receiver, value.toLua(value.value), true, false);
      return true;
    }
    if (this.buffer.length >= this.capacity) return false;
    this.buffer.push(value);
    return true;
  }

  /** A receive that completes at once, or null when it would block. A closed, drained channel gives ok=false. */
  tryReceive(): ReceiveResult {
    if (this.buffer.length > 0) {
      const item = this.buffer.shift() as Slot | Portable;
      const value = item instanceof Portable ? item.toLua(item.value) : item;
      const sender = nextWaiter(this.senders);
      if (sender !== null) {
        this.buffer.push(sender.value as Slot);
        this.complete(sender, sender.value, true, false);
      } else this.onTake?.();
      return { value, ok: true };
    }
    const sender = nextWaiter(this.senders);
    if (sender !== null) {
      this.complete(sender, sender.value, true, false);
      return { value: sender.value, ok: true };
    }
    return this.closed ? { value: null, ok: false } : null;
  }

  /** Closing twice is a no-op. Blocked receivers get (nil, false); blocked senders fail. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (let w = nextWaiter(this.receivers); w !== null; w = nextWaiter(this.receivers)) this.complete(w, null, false, false);
    for (let w = nextWaiter(this.senders); w !== null; w = nextWaiter(this.senders)) this.complete(w, w.value, false, true);
  }

  /** Registers a blocked receive (or send, with `value`) of `task`, possibly as one case of a select. */
  wait(task: Task, value: Slot | null, select: SelectWait | null = null): void {
    const waiter = new Waiter(this, task, value, select);
    (value !== null ? this.senders : this.receivers).push(waiter);
    select?.waiters.push(waiter);
  }

  private complete(w: Waiter, value: Slot | null, ok: boolean, closedSend: boolean): void {
    const select = w.select;
    if (select !== null) {
      select.done = true;
      for (const other of select.waiters) {
        if (other !== w) (other.sending ? other.channel.senders : other.channel.receivers).remove((x) => x === other);
      }
    }
    w.end(value, ok, closedSend);
    this.resume(w);
  }
}

/** The first waiter whose task still waits (a task whose process ended is skipped and dropped). */
function nextWaiter(queue: Fifo<Waiter>): Waiter | null {
  for (let w = queue.shift(); w !== undefined; w = queue.shift()) {
    if (w.task.state === 'blocked' && (w.select === null || !w.select.done)) return w;
  }
  return null;
}
