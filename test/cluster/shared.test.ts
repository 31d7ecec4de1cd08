/**
 * The node's memory services across threads (src/cluster/shared.ts), in this one thread over real
 * MessageChannels: thread 1's real MemoryStore and MemoryDriver served on one end, proxies on the other. What
 * a child process cannot show: the owner's port closing (`node down: t1` for every waiting and later call),
 * the bound on calls waiting, exactly-once delivery between consumers on three "threads" with their room
 * honoured, and the deliveries of a thread that goes away put back for the others.
 */
import { MessageChannel, type MessagePort } from 'worker_threads';
import { ErrorValue, Table, type Value } from '../../src/kernel/value';
import { MemoryStore } from '../../src/services/store/memory';
import { MemoryDriver } from '../../src/services/queue/memory';
import { MAX_IN_FLIGHT, QueueDriverProxy, SharedLink, StoreProxy, serveShared } from '../../src/cluster/shared';
import { SharedEnv } from '../../src/cluster/shared-env';
import type { Facets, FacetName, Resources } from '../../src/api/resources';
import type { DriverDelivery, QueueSubscriber } from '../../src/api/queue';
import type { MemoryStoreEntry } from '../../src/registry/kinds/store';

const storeEntry = { kind: 'store.memory', id: 'app:cache', maxSize: 100, maxBytes: 1 << 20, cleanupIntervalMs: 60_000 } as unknown as MemoryStoreEntry;

/** Thread 1's services by id, as its runtime's resources would give them. */
function resourcesOf(facets: Record<string, Partial<Facets>>): Resources {
  return {
    get<K extends FacetName>(id: string, facet: K): Facets[K] | ErrorValue {
      return (facets[id]?.[facet] as Facets[K] | undefined) ?? new ErrorValue(`${id} is not running`, 'Unavailable', true);
    },
  };
}

const ports: MessagePort[] = [];
/** A thread's link to thread 1 serving `resources`; `owner` is thread 1's end. */
function thread(resources: Resources, env = new SharedEnv()): { link: SharedLink; owner: MessagePort; mine: MessagePort } {
  const { port1, port2 } = new MessageChannel();
  ports.push(port1, port2);
  serveShared(port1, resources, env);
  return { link: new SharedLink(port2, 't1'), owner: port1, mine: port2 };
}

afterEach(() => {
  for (const p of ports.splice(0)) p.close();
});

const tick = (ms = 20): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !ok(); i++) await tick(10);
  if (!ok()) throw new Error(`timed out waiting for ${what}`);
}

describe('store proxy', () => {
  let store: MemoryStore;
  beforeEach(() => (store = new MemoryStore(storeEntry)));
  afterEach(() => store.close());

  test('each operation is done by thread 1\'s store; errors keep their kind', async () => {
    const { link } = thread(resourcesOf({ 'app:cache': { store } }));
    const proxy = new StoreProxy(link, 'app:cache');
    const value = Table.from({ a: 1, nested: Table.from({ b: 'x' }) });
    await proxy.set('k', value, 0);
    expect(store.get('k')).toEqual(value);
    expect(await proxy.get('k')).toEqual(value);
    expect(await proxy.has('k')).toBe(true);
    expect(await proxy.delete('k')).toBe(true);
    expect(await proxy.delete('k')).toBe(false);
    await expect(proxy.get('k')).rejects.toMatchObject({ message: 'key not found', kind: 'NotFound' });
    await expect(new StoreProxy(link, 'app:other').get('k')).rejects.toMatchObject({ message: 'app:other is not running', kind: 'Unavailable' });
  });

  test('a value larger than a thread message is refused before it crosses, Invalid', async () => {
    const { link } = thread(resourcesOf({ 'app:cache': { store } }));
    const proxy = new StoreProxy(link, 'app:cache');
    await expect(proxy.set('big', 'x'.repeat(65 * 1024 * 1024), 0)).rejects.toMatchObject({ kind: 'Invalid', message: `value too large to cross threads: more than ${64 * 1024 * 1024} bytes` });
    expect(store.has('big')).toBe(false);
  });

  test('thread 1 gone: every waiting call and every later one fails "node down: t1"', async () => {
    // An owner that never answers, then closes.
    const { port1, port2 } = new MessageChannel();
    ports.push(port1, port2);
    const proxy = new StoreProxy(new SharedLink(port2, 't1'), 'app:cache');
    const waiting = proxy.get('k');
    port1.close();
    await expect(waiting).rejects.toMatchObject({ message: 'node down: t1', kind: 'Unavailable', retryable: true });
    await expect(proxy.set('k', 1, 0)).rejects.toMatchObject({ message: 'node down: t1' });
    expect(proxy.acquire()).toMatchObject({ message: 'node down: t1' });
  });

  test('calls waiting on thread 1 are bounded: one more is Unavailable at once', async () => {
    const { port1, port2 } = new MessageChannel();
    ports.push(port1, port2);
    const proxy = new StoreProxy(new SharedLink(port2, 't1'), 'app:cache');
    const waiting: Promise<Value>[] = [];
    for (let i = 0; i < MAX_IN_FLIGHT; i++) waiting.push(proxy.get(`k${i}`).catch((e: ErrorValue) => e.message));
    await expect(proxy.get('one more')).rejects.toMatchObject({ kind: 'Unavailable', message: expect.stringContaining('too many calls waiting on thread t1') });
    port1.close();
    expect(new Set(await Promise.all(waiting))).toEqual(new Set(['node down: t1']));
  });
});

/** A consumer with `places` places that settles what it holds when told to. */
class Consumer implements QueueSubscriber {
  readonly held: DriverDelivery[] = [];
  readonly got: string[] = [];
  most = 0;
  closedCount = 0;
  constructor(private readonly places: number) {}
  wants(): boolean {
    return this.room() > 0;
  }
  room(): number {
    return this.places - this.held.length;
  }
  deliver(d: DriverDelivery): void {
    this.held.push(d);
    this.got.push(String(d.message.body));
    this.most = Math.max(this.most, this.held.length);
  }
  closed(): void {
    this.closedCount++;
  }
  /** Acks what it holds. */
  ackAll(): void {
    for (const d of this.held.splice(0)) d.ack();
  }
}

describe('queue driver proxy', () => {
  let driver: MemoryDriver;
  beforeEach(() => {
    driver = new MemoryDriver('app:drv');
    driver.declare('app:jobs', { maxLength: 1000, maxBytes: 1 << 20 });
  });
  afterEach(() => driver.close());
  const message = (n: number) => ({ id: `m${n}`, body: n, headers: new Map<string, Value>([['n', n]]) });

  test('consumers on three threads: each message handled exactly once, none holds more than its room', async () => {
    const resources = resourcesOf({ 'app:drv': { queue_driver: driver } });
    const a = new Consumer(2);
    const b = new Consumer(3);
    const local = new Consumer(1);
    const ta = thread(resources);
    const tb = thread(resources);
    const subs = [new QueueDriverProxy(ta.link, 'app:drv').attach('app:jobs', a), new QueueDriverProxy(tb.link, 'app:drv').attach('app:jobs', b), driver.attach('app:jobs', local)];
    const proxy = new QueueDriverProxy(tb.link, 'app:drv');
    for (let n = 0; n < 100; n++) expect(await (n % 2 === 0 ? driver.publish('app:jobs', message(n)) : proxy.publish('app:jobs', message(n)))).toBeNull();
    const total = (): number => a.got.length + b.got.length + local.got.length;
    while (total() < 100) {
      await tick(5);
      for (const [c, s] of [[a, subs[0]], [b, subs[1]], [local, subs[2]]] as const) {
        c.ackAll();
        if (!(s instanceof ErrorValue)) s.pull();
      }
    }
    await tick();
    const all = [...a.got, ...b.got, ...local.got].map(Number).sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: 100 }, (_, n) => n));
    expect([a.got.length > 0, b.got.length > 0, local.got.length > 0]).toEqual([true, true, true]);
    expect(a.most).toBeLessThanOrEqual(2);
    expect(b.most).toBeLessThanOrEqual(3);
    expect(local.most).toBeLessThanOrEqual(1);
    expect(await proxy.info('app:jobs')).toEqual({ message_count: 0, ready: 0, consumer_count: 3, in_flight: 0 });
  });

  test('a requeue from another thread comes back with its headers; a thread that goes away puts back what it held', async () => {
    const resources = resourcesOf({ 'app:drv': { queue_driver: driver } });
    const gone = new Consumer(5);
    const t = thread(resources);
    new QueueDriverProxy(t.link, 'app:drv').attach('app:jobs', gone);
    for (let n = 0; n < 3; n++) driver.publish('app:jobs', message(n));
    await until('three deliveries on the thread', () => gone.got.length === 3);
    const first = gone.held.shift() as DriverDelivery;
    first.requeue({ ...first.message, headers: new Map([...first.message.headers, ['attempts', 1]]) });
    await until('the requeue to arrive', () => gone.got.length === 4);
    expect(gone.held[2].message.headers.get('attempts')).toBe(1);
    expect(driver.info('app:jobs')).toMatchObject({ in_flight: 3, message_count: 0 });
    t.mine.close(); // the thread ends
    await until('its deliveries to be released', () => (driver.info('app:jobs') as { in_flight: number }).in_flight === 0);
    expect(driver.info('app:jobs')).toMatchObject({ message_count: 3, consumer_count: 0 });
    const heir = new Consumer(10);
    driver.attach('app:jobs', heir);
    expect(heir.got.sort()).toEqual(['0', '1', '2']);
  });

  test('a full queue refuses a publish from another thread with the driver\'s error; the driver stopping ends the subscription', async () => {
    driver.declare('app:small', { maxLength: 1, maxBytes: 1 << 20 });
    const { link } = thread(resourcesOf({ 'app:drv': { queue_driver: driver } }));
    const proxy = new QueueDriverProxy(link, 'app:drv');
    expect(await proxy.publish('app:small', message(1))).toBeNull();
    expect(await proxy.publish('app:small', message(2))).toMatchObject({ kind: 'Unavailable', message: 'queue app:small is full (max_length 1)' });
    expect(proxy.publish('app:small', { id: 'x', body: 'y'.repeat(65 << 20), headers: new Map() })).toMatchObject({ kind: 'Invalid' });
    const c = new Consumer(1);
    proxy.attach('app:jobs', c);
    await tick();
    driver.close();
    await until('the subscription to end', () => c.closedCount === 1);
  });
});

describe('env memory storage', () => {
  test('replicas converge on thread 1\'s order and each thread reads its own last write', async () => {
    const env = new SharedEnv();
    const resources = resourcesOf({});
    const a = thread(resources, env).link.envStorage('app:mem');
    const b = thread(resources, env).link.envStorage('app:mem');
    const main = env.storage('app:mem');
    main.set('X', 'main');
    for (let i = 0; i < 50; i++) {
      a.set('X', `a${i}`);
      expect(a.get('X')).toBe(`a${i}`);
      b.set('X', `b${i}`);
      expect(b.get('X')).toBe(`b${i}`);
    }
    a.set('Y', 'only a');
    await until('the replicas to agree', () => a.get('X') === main.get('X') && b.get('X') === main.get('X') && b.get('Y') === 'only a');
    expect(main.get('X')).toMatch(/^[ab]49$/);
    expect(main.list()).toEqual(new Map([['X', main.get('X')], ['Y', 'only a']]));
  });

  test('writes waiting on thread 1 are bounded; with thread 1 gone a write fails "node down: t1"', async () => {
    const { port1, port2 } = new MessageChannel();
    ports.push(port1, port2);
    const replica = new SharedLink(port2, 't1').envStorage('app:mem');
    for (let i = 0; i < MAX_IN_FLIGHT; i++) expect(replica.set('X', `v${i}`)).toBeNull();
    expect(replica.set('X', 'one more')).toMatchObject({ kind: 'Unavailable', message: expect.stringContaining('too many calls waiting on thread t1') });
    expect(replica.get('X')).toBe(`v${MAX_IN_FLIGHT - 1}`);
    expect(replica.set('Y', 'z'.repeat(65 << 20))).toMatchObject({ kind: 'Invalid' });
    port1.close();
    await until('the port to close', () => replica.set('X', 'after')?.message === 'node down: t1');
    expect(replica.set('X', 'after')).toMatchObject({ message: 'node down: t1', kind: 'Unavailable', retryable: true });
  });
});
