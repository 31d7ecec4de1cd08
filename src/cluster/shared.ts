/**
 * The node's memory services across threads (spec.md "Threads", "Shared memory services"): a `store.memory`
 * and a memory queue driver live on thread 1 only; every other thread reaches them through a proxy with the
 * same facet (src/api/store.ts, src/api/queue.ts) over one MessagePort to thread 1. Thread 1 calls its own
 * instances directly, as with one thread. A call is a request answered once; a queue subscription on another
 * thread is a subscriber on thread 1 given credits (how many more deliveries it has room for), so each message
 * goes to exactly one consumer of the node and a consumer's limits hold as on its own thread.
 *
 * What waits is bounded on the caller's side: at most MAX_IN_FLIGHT calls and MAX_IN_FLIGHT_BYTES of values
 * per thread (further calls fail Unavailable), and a value larger than MAX_VALUE_BYTES (64 MiB) is refused (Invalid).
 * When the port closes (thread 1 is gone), pending and later calls fail `node down: t1`.
 */
import type { MessagePort } from 'worker_threads';
import { ErrorValue, Table, type Value } from '../kernel/value';
import { valueBytes } from '../kernel/value-size';
import { flatten, unflatten, type WireValues } from './wire';
import type { Resources } from '../api/resources';
import type { KeyValueStore, StoreHold } from '../api/store';
import { EnvReplica, type EnvStorage, type EnvWrite, type SharedEnv } from './shared-env';
import type { DriverDelivery, QueueDriver, QueueLimits, QueueMessage, QueueStats, QueueSubscriber, QueueSubscription } from '../api/queue';

/** Most calls one thread has waiting on the owner at once. */
export const MAX_IN_FLIGHT = 4096;
/** Most bytes of values one thread has waiting on the owner at once. */
export const MAX_IN_FLIGHT_BYTES = 64 * 1024 * 1024;
/**
 * Largest value (a store value, a queue message) that crosses to the owner thread: all that may wait, as the
 * largest message between threads (what one thread stores, another can, up to the store's own max_size).
 */
export const MAX_VALUE_BYTES = MAX_IN_FLIGHT_BYTES;

type WireMessage = readonly [id: string, keys: string[], values: WireValues];

type Call =
  | { readonly op: 'store.get' | 'store.has' | 'store.delete'; readonly id: string; readonly key: string }
  | { readonly op: 'store.set'; readonly id: string; readonly key: string; readonly value: WireValues; readonly ttl: number }
  | { readonly op: 'queue.publish'; readonly id: string; readonly queue: string; readonly message: WireMessage }
  | { readonly op: 'queue.info'; readonly id: string; readonly queue: string };

/** What a thread posts to the owner without waiting for an answer. */
type Post =
  | { readonly op: 'queue.declare'; readonly id: string; readonly queue: string; readonly limits: QueueLimits }
  | { readonly op: 'queue.attach'; readonly id: string; readonly queue: string; readonly sub: number }
  | { readonly op: 'queue.credit'; readonly sub: number; readonly n: number }
  | { readonly op: 'queue.cancel'; readonly sub: number }
  | { readonly op: 'queue.settle'; readonly sub: number; readonly delivery: number; readonly how: 'ack' | 'release' }
  | { readonly op: 'queue.requeue'; readonly sub: number; readonly delivery: number; readonly message: WireMessage }
  | { readonly op: 'env.set'; readonly id: string; readonly name: string; readonly value: string };

type ToOwner = (Call & { readonly call: number }) | Post;

/** What the owner posts to a thread. */
type FromOwner =
  | { readonly reply: number; readonly ok: true; readonly value: WireValues }
  | { readonly reply: number; readonly ok: false; readonly error: WireValues }
  | { readonly deliver: number; readonly delivery: number; readonly message: WireMessage }
  | { readonly closed: number; readonly error: string }
  | EnvWrite;

const flatMessage = (m: QueueMessage): WireMessage => [m.id, [...m.headers.keys()], flatten([m.body, ...m.headers.values()])];

function messageOf(w: WireMessage): QueueMessage {
  const [id, keys, wire] = w;
  const [body, ...values] = unflatten(wire);
  return { id, body, headers: new Map(keys.map((k, i) => [k, values[i]])) };
}

const errorOf = (wire: WireValues): ErrorValue => {
  const [e] = unflatten(wire);
  return e instanceof ErrorValue ? e : new ErrorValue(String(e), 'Internal', false);
};

const asError = (e: unknown): ErrorValue => (e instanceof ErrorValue ? e : new ErrorValue(e instanceof Error ? e.message : String(e), 'Internal', false));

// ---- The owner's side (thread 1) ----

/** A subscriber on the owner standing for a consumer on another thread: it takes as many deliveries as its credits. */
interface RemoteSubscriber {
  credit: number;
  subscription: QueueSubscription | null;
  readonly deliveries: Map<number, DriverDelivery>;
}

/**
 * Serves thread 1's memory services to the thread at the other end of `port`, reaching each by id in `resources`
 * at every call (so a restarted service is followed). Ends (releasing that thread's deliveries) when the port closes.
 */
export function serveShared(port: MessagePort, resources: Resources, env: SharedEnv): void {
  env.add(port);
  const subscribers = new Map<number, RemoteSubscriber>();
  /** The limits each queue was declared with by that thread, to declare it again on a restarted driver. */
  const declared = new Map<string, QueueLimits>();
  const declaredOn = new WeakMap<QueueDriver, Set<string>>();
  let nextDelivery = 1;
  const post = (m: FromOwner): void => port.postMessage(m);

  const driverFor = (id: string, queue: string): QueueDriver | ErrorValue => {
    const driver = resources.get(id, 'queue_driver');
    if (driver instanceof ErrorValue) return driver;
    let done = declaredOn.get(driver);
    if (done === undefined) declaredOn.set(driver, (done = new Set()));
    const limits = declared.get(`${id}\0${queue}`);
    if (limits !== undefined && !done.has(queue)) {
      driver.declare(queue, limits);
      done.add(queue);
    }
    return driver;
  };

  const answer = async (call: Call): Promise<Value> => {
    switch (call.op) {
      case 'store.get':
      case 'store.has':
      case 'store.delete':
      case 'store.set': {
        const store = resources.get(call.id, 'store');
        if (store instanceof ErrorValue) throw store;
        if (call.op === 'store.get') return await store.get(call.key);
        if (call.op === 'store.has') return await store.has(call.key);
        if (call.op === 'store.delete') return await store.delete(call.key);
        if (call.op !== 'store.set') return null;
        await store.set(call.key, unflatten(call.value)[0], call.ttl);
        return null;
      }
      case 'queue.publish': {
        const driver = driverFor(call.id, call.queue);
        if (driver instanceof ErrorValue) throw driver;
        return await driver.publish(call.queue, messageOf(call.message));
      }
      case 'queue.info': {
        const driver = driverFor(call.id, call.queue);
        if (driver instanceof ErrorValue) throw driver;
        const stats = await driver.info(call.queue);
        return stats instanceof ErrorValue ? stats : Table.from({ ...stats });
      }
    }
  };

  const attach = (id: string, queue: string, sub: number): void => {
    const remote: RemoteSubscriber = { credit: 0, subscription: null, deliveries: new Map() };
    subscribers.set(sub, remote);
    const closed = (error: string): void => {
      subscribers.delete(sub);
      remote.deliveries.clear(); // gone with the driver that held them
      post({ closed: sub, error });
    };
    const driver = driverFor(id, queue);
    const subscription =
      driver instanceof ErrorValue
        ? driver
        : driver.attach(queue, {
            wants: () => remote.credit > 0,
            deliver: (d) => {
              remote.credit--;
              const delivery = nextDelivery++;
              remote.deliveries.set(delivery, d);
              post({ deliver: sub, delivery, message: flatMessage(d.message) });
            },
            closed: () => closed(`queue driver ${id} stopped`),
          });
    if (subscription instanceof ErrorValue) closed(subscription.message);
    else remote.subscription = subscription;
  };

  const settle = (sub: number, delivery: number): DriverDelivery | undefined => {
    const remote = subscribers.get(sub);
    const d = remote?.deliveries.get(delivery);
    remote?.deliveries.delete(delivery);
    if (remote !== undefined && remote.subscription === null && remote.deliveries.size === 0) subscribers.delete(sub);
    return d;
  };

  port.on('message', (m: ToOwner) => {
    if ('call' in m) {
      const id = m.call;
      answer(m).then(
        (value) => post({ reply: id, ok: true, value: flatten([value]) }),
        (e: unknown) => post({ reply: id, ok: false, error: flatten([asError(e)]) }),
      );
      return;
    }
    switch (m.op) {
      case 'queue.declare': {
        declared.set(`${m.id}\0${m.queue}`, m.limits);
        const driver = resources.get(m.id, 'queue_driver');
        if (driver instanceof ErrorValue) return;
        driver.declare(m.queue, m.limits);
        let done = declaredOn.get(driver);
        if (done === undefined) declaredOn.set(driver, (done = new Set()));
        done.add(m.queue);
        return;
      }
      case 'queue.attach':
        return attach(m.id, m.queue, m.sub);
      case 'queue.credit': {
        const remote = subscribers.get(m.sub);
        if (remote === undefined) return;
        remote.credit += m.n;
        remote.subscription?.pull();
        return;
      }
      case 'queue.cancel': {
        const remote = subscribers.get(m.sub);
        remote?.subscription?.cancel();
        if (remote !== undefined) remote.subscription = null;
        if (remote?.deliveries.size === 0) subscribers.delete(m.sub);
        return;
      }
      case 'queue.settle': {
        const d = settle(m.sub, m.delivery);
        if (m.how === 'ack') d?.ack();
        else d?.release();
        return;
      }
      case 'queue.requeue':
        return settle(m.sub, m.delivery)?.requeue(messageOf(m.message));
      case 'env.set':
        return env.write(m.id, m.name, m.value, port);
    }
  });
  port.on('close', () => {
    env.remove(port);
    // That thread is gone: its consumers with it, and what they had not settled goes back to the queue.
    for (const remote of subscribers.values()) {
      remote.subscription?.cancel();
      for (const d of remote.deliveries.values()) d.release();
    }
    subscribers.clear();
  });
}

// ---- Another thread's side ----

interface Pending {
  resolve(v: Value): void;
  reject(e: ErrorValue): void;
  readonly bytes: number;
}

interface LocalSubscription {
  readonly subscriber: QueueSubscriber;
  /** Credits given to the owner that no delivery has used yet. */
  outstanding: number;
  cancelled: boolean;
}

/** A thread's link to the owner of the node's memory services: calls, subscriptions, and the owner going down. */
export class SharedLink {
  private nextCall = 1;
  private nextSub = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly subs = new Map<number, LocalSubscription>();
  private inFlightBytes = 0;
  private down: ErrorValue | null = null;
  private readonly env = new Map<string, EnvReplica>();
  private envWaiting = 0;

  constructor(
    private readonly port: MessagePort,
    private readonly owner: string,
  ) {
    port.on('message', (m: FromOwner) => this.received(m));
    port.on('close', () => this.lost());
  }

  /** Fails every waiting call and ends every subscription: the owner thread is gone. */
  lost(): void {
    if (this.down !== null) return;
    this.down = new ErrorValue(`node down: ${this.owner}`, 'Unavailable', true);
    for (const p of this.pending.values()) p.reject(this.down);
    this.pending.clear();
    for (const s of this.subs.values()) s.subscriber.closed();
    this.subs.clear();
  }

  call(call: Call, bytes = 0): Promise<Value> {
    if (this.down !== null) return Promise.reject(this.down);
    if (this.pending.size >= MAX_IN_FLIGHT || this.inFlightBytes + bytes > MAX_IN_FLIGHT_BYTES) return Promise.reject(this.busy());
    const id = this.nextCall++;
    this.inFlightBytes += bytes;
    return new Promise<Value>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, bytes });
      this.port.postMessage({ ...call, call: id } satisfies ToOwner);
    });
  }

  post(m: Post): void {
    if (this.down === null) this.port.postMessage(m);
  }

  /** This thread's replica of thread 1's `env.storage.memory` `id`. */
  envStorage(id: string): EnvStorage {
    return this.replica(id);
  }

  private replica(id: string): EnvReplica {
    let r = this.env.get(id);
    if (r === undefined) this.env.set(id, (r = new EnvReplica((name, value) => this.sendEnv(id, name, value))));
    return r;
  }

  /** Env writes are not answered one by one, but each comes back (as every thread's): those not yet back are bounded as calls are. */
  private sendEnv(id: string, name: string, value: string): ErrorValue | null {
    if (this.down !== null) return this.down;
    const bytes = 64 + name.length + value.length;
    if (bytes > MAX_VALUE_BYTES) return tooLarge('value', bytes);
    if (this.envWaiting >= MAX_IN_FLIGHT || this.inFlightBytes + bytes > MAX_IN_FLIGHT_BYTES) return this.busy();
    this.envWaiting++;
    this.inFlightBytes += bytes;
    this.post({ op: 'env.set', id, name, value });
    return null;
  }

  private busy(): ErrorValue {
    return new ErrorValue(`too many calls waiting on thread ${this.owner} (at most ${MAX_IN_FLIGHT} or ${MAX_IN_FLIGHT_BYTES} bytes)`, 'Unavailable', true);
  }

  subscribe(id: string, queue: string, subscriber: QueueSubscriber): QueueSubscription | ErrorValue {
    if (this.down !== null) return this.down;
    const sub = this.nextSub++;
    const local: LocalSubscription = { subscriber, outstanding: 0, cancelled: false };
    this.subs.set(sub, local);
    this.post({ op: 'queue.attach', id, queue, sub });
    this.grant(sub, local);
    return {
      pull: () => this.grant(sub, local),
      cancel: () => {
        if (local.cancelled) return;
        local.cancelled = true;
        this.subs.delete(sub);
        this.post({ op: 'queue.cancel', sub });
      },
    };
  }

  /** Gives the owner as many credits as the subscriber has room for beyond those it holds already. */
  private grant(sub: number, local: LocalSubscription): void {
    if (local.cancelled) return;
    const { subscriber } = local;
    const room = subscriber.room?.() ?? (subscriber.wants() ? 1 : 0);
    const n = room - local.outstanding;
    if (n <= 0) return;
    local.outstanding += n;
    this.post({ op: 'queue.credit', sub, n });
  }

  private received(m: FromOwner): void {
    if ('reply' in m) {
      const p = this.pending.get(m.reply);
      if (p === undefined) return;
      this.pending.delete(m.reply);
      this.inFlightBytes -= p.bytes;
      if (m.ok) p.resolve(unflatten(m.value)[0]);
      else p.reject(errorOf(m.error));
      return;
    }
    if ('deliver' in m) {
      const { deliver: sub, delivery } = m;
      const local = this.subs.get(sub);
      let done = false;
      const settle = (how: 'ack' | 'release'): void => {
        if (done) return;
        done = true;
        this.post({ op: 'queue.settle', sub, delivery, how });
      };
      const d: DriverDelivery = {
        message: messageOf(m.message),
        ack: () => settle('ack'),
        release: () => settle('release'),
        requeue: (message) => {
          if (done) return;
          done = true;
          this.post({ op: 'queue.requeue', sub, delivery, message: flatMessage(message) });
        },
      };
      if (local === undefined) return d.release(); // cancelled meanwhile: back to the head of the queue
      local.outstanding--;
      local.subscriber.deliver(d);
      return;
    }
    if ('env' in m) {
      if (m.own) {
        this.envWaiting--;
        this.inFlightBytes -= 64 + m.name.length + m.value.length;
      }
      return this.replica(m.env).applied(m.name, m.value, m.own);
    }
    const local = this.subs.get(m.closed);
    this.subs.delete(m.closed);
    local?.subscriber.closed();
  }

  get failure(): ErrorValue | null {
    return this.down;
  }
}

const tooLarge = (what: string, bytes: number): ErrorValue =>
  new ErrorValue(`${what} too large to cross threads: more than ${MAX_VALUE_BYTES} bytes`, 'Invalid', false, null, null, {});

/** A `store.memory` of thread 1 as another thread sees it: each operation a round trip, atomic on the owner. */
export class StoreProxy implements KeyValueStore {
  private closed = false;

  constructor(
    private readonly link: SharedLink,
    private readonly id: string,
  ) {}

  get(key: string): Promise<Value> {
    return this.call({ op: 'store.get', id: this.id, key });
  }

  async set(key: string, value: Value, ttlMs: number): Promise<void> {
    const bytes = valueBytes(value, MAX_VALUE_BYTES) + key.length;
    if (bytes > MAX_VALUE_BYTES) throw tooLarge('value', bytes);
    await this.call({ op: 'store.set', id: this.id, key, value: flatten([value]), ttl: ttlMs }, bytes);
  }

  async has(key: string): Promise<boolean> {
    return (await this.call({ op: 'store.has', id: this.id, key })) === true;
  }

  async delete(key: string): Promise<boolean> {
    return (await this.call({ op: 'store.delete', id: this.id, key })) === true;
  }

  acquire(): StoreHold | ErrorValue {
    if (this.closed) return new ErrorValue('store is closed', 'Unavailable', true);
    return this.link.failure ?? { release: () => undefined };
  }

  close(): void {
    this.closed = true;
  }

  private call(call: Call, bytes = 0): Promise<Value> {
    if (this.closed) return Promise.reject(new ErrorValue('store is closed', 'Unavailable', true));
    return this.link.call(call, bytes + 64);
  }
}

/** A memory queue driver of thread 1 as another thread sees it. */
export class QueueDriverProxy implements QueueDriver {
  private closed = false;

  constructor(
    private readonly link: SharedLink,
    private readonly id: string,
  ) {}

  declare(queueId: string, limits: QueueLimits): void {
    if (!this.closed) this.link.post({ op: 'queue.declare', id: this.id, queue: queueId, limits });
  }

  publish(queueId: string, message: QueueMessage): Promise<ErrorValue | null> | ErrorValue {
    if (this.closed) return this.stopped();
    let bytes = valueBytes(message.body, MAX_VALUE_BYTES) + message.id.length;
    for (const [k, v] of message.headers) bytes += k.length + valueBytes(v);
    if (bytes > MAX_VALUE_BYTES) return tooLarge('message', bytes);
    return this.link.call({ op: 'queue.publish', id: this.id, queue: queueId, message: flatMessage(message) }, bytes).then(
      (refused) => (refused instanceof ErrorValue ? refused : null),
      (e: unknown) => asError(e),
    );
  }

  attach(queueId: string, subscriber: QueueSubscriber): QueueSubscription | ErrorValue {
    return this.closed ? this.stopped() : this.link.subscribe(this.id, queueId, subscriber);
  }

  info(queueId: string): Promise<QueueStats | ErrorValue> | ErrorValue {
    if (this.closed) return this.stopped();
    return this.link.call({ op: 'queue.info', id: this.id, queue: queueId }).then(
      (v) => {
        if (!(v instanceof Table)) return v instanceof ErrorValue ? v : new ErrorValue('bad queue stats from thread 1', 'Internal', false);
        const count = (k: keyof QueueStats): number => Number(v.map.get(k) ?? 0);
        return { message_count: count('message_count'), ready: count('ready'), consumer_count: count('consumer_count'), in_flight: count('in_flight') };
      },
      (e: unknown) => asError(e),
    );
  }

  close(): void {
    this.closed = true;
  }

  private stopped(): ErrorValue {
    return new ErrorValue(`queue driver ${this.id} is stopped`, 'Unavailable', true);
  }
}
