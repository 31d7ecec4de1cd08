/**
 * The threads of one node (spec.md "Threads"): each worker thread is a node of an in-process cluster named
 * `t1`, `t2`, ... (its PIDs say so: `{t2@app:processes|0x00001}`). The cluster's own Router, Bus, Peers and
 * names run unchanged; only what carries them differs: a MessagePort per pair of threads instead of NATS
 * subjects (shared-memory rings beside a MessagePort per pair of threads: thread-link.ts), and a name table the
 * main thread owns instead of a JetStream KV bucket. The link carries messages whole and in order and the port
 * closes when its thread dies, so a dead thread is a node going down (EXIT and LINK_DOWN "node down" for
 * everything related to its processes).
 */
import { MessageChannel, receiveMessageOnPort, type MessagePort } from 'worker_threads';
import { Bus, OUTBOX_BYTES, type BusLink } from './bus';
import { threadLink, type LocalWork } from './thread-link';
import { ClusterNames, type NameBucket, type NameBucketEntry } from './names';
import { Peers } from './peers';
import { ClusterRouter } from './router';
import type { Log } from '../api/logging';
import { cancelEvent } from '../kernel/message';
import type { Node } from '../kernel/node';

/** The node name of thread `i` (1-based; thread 1 is the main thread, with the terminal). */
export const threadNode = (i: number): string => `t${i}`;

/**
 * The cluster member name of thread `i` of cluster node `node`: the node's own name for thread 1, `node.t<i>`
 * for the others (a node name has no dot, so no node's name is another's thread).
 */
export const memberName = (node: string, i: number): string => (i === 1 ? node : `${node}.t${i}`);

/**
 * Largest message between the threads of a node: as much as may wait for one thread (the Bus's OUTBOX_BYTES),
 * so that what one thread carries (a Lua string is at most 64 MiB) crosses between threads too. In a cluster the
 * threads' messages share NATS with the nodes', and its max payload bounds both.
 */
const THREAD_PAYLOAD = OUTBOX_BYTES;
/** How long a thread waits at start for every other thread to answer its hello. */
const HELLO_WAIT_MS = 5000;

/** Whether `data` spans its whole buffer, so that the buffer can be moved to another thread with it. */
const ownsBuffer = (data: Uint8Array): data is Uint8Array & { buffer: ArrayBuffer } =>
  data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer;

/** The bus over message ports: one port per other thread; `close` stops it publishing. */
function portLink(ports: ReadonlyMap<string, MessagePort>): BusLink & { close(): void } {
  let closed = false;
  let receive: ((data: Uint8Array) => void) | null = null;
  return {
    maxPayload: THREAD_PAYLOAD,
    publishAfter: 'task',
    isClosed: () => closed,
    publish(node, data) {
      if (closed) throw new Error('the thread is closing');
      // The bus hands over an array of its own (bus.ts): moved, not copied.
      ports.get(node)?.postMessage(data, ownsBuffer(data) ? [data.buffer] : undefined);
    },
    confirm: () => Promise.resolve(),
    listen(fn) {
      receive = fn;
      for (const port of ports.values()) port.on('message', (data: Uint8Array) => fn(data));
    },
    catchUp(except) {
      for (const [node, port] of ports) {
        if (node === except) continue;
        for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) receive?.(m.message as Uint8Array);
      }
    },
    close: () => void (closed = true),
  };
}

/**
 * The bus of one thread of a cluster node with several threads (index.ts): the node's other threads over
 * message ports (`addThreads`, once they exist), every other node's threads over `outer` (NATS).
 */
export function threadsAndOuterLink(outer: BusLink): BusLink & { addThreads(ports: ReadonlyMap<string, MessagePort>): void; close(): void } {
  // close(): the node said goodbye; nothing more goes out (an answer to a peer's tick would connect it again).
  const siblings = new Map<string, MessagePort>();
  let inner: (BusLink & { close(): void }) | null = null;
  let receive: ((data: Uint8Array) => void) | null = null;
  let closed = false;
  return {
    get maxPayload() {
      return Math.min(outer.maxPayload, THREAD_PAYLOAD);
    },
    // Between threads a message goes out at the end of its task (portLink); NATS messages go with them then.
    get publishAfter() {
      return inner === null ? outer.publishAfter : 'task';
    },
    isClosed: () => closed || outer.isClosed(),
    publish(node, data) {
      if (closed) throw new Error('the node is leaving');
      if (inner !== null && siblings.has(node)) inner.publish(node, data);
      else outer.publish(node, data);
    },
    confirm: () => outer.confirm(),
    listen(fn) {
      receive = fn;
      outer.listen(fn);
    },
    catchUp: (except) => inner?.catchUp?.(except),
    mayHaveUnread: (node) => inner?.mayHaveUnread?.(node) ?? false,
    addThreads(ports) {
      for (const [node, port] of ports) siblings.set(node, port);
      inner = portLink(siblings);
      if (receive !== null) inner.listen(receive);
    },
    close() {
      closed = true;
      inner?.close();
    },
  };
}

/** A thread's place in the node: its name, a port to each other thread, and the node's name table. */
export interface ThreadWiring {
  readonly self: string;
  readonly ports: ReadonlyMap<string, MessagePort>;
  readonly names: NameBucket;
  /** The thread's schedulers, which the transport runs straight from its poll (thread-link.ts). */
  readonly work: LocalWork;
}

export interface ThreadNode {
  readonly self: string;
  /** Puts the threads' router in front of `node`; resolves once every other thread has answered. */
  attach(node: Node): Promise<ClusterRouter>;
  /** The other threads that are up. */
  up(): string[];
  /** The node is shutting down: threads going down from now on are expected (logged at debug level). */
  leaving(): void;
  close(): void;
}

export function joinThreads(wiring: ThreadWiring, log: Log): ThreadNode {
  const { self, ports } = wiring;
  const peers = new Peers(self, 0, Number.POSITIVE_INFINITY);
  const link = threadLink(ports, THREAD_PAYLOAD, wiring.work);
  const bus = new Bus(link, self, 0, peers, log);
  let router: ClusterRouter | null = null;
  let allUp = (): void => undefined;
  let leaving = false;
  peers.events = {
    up: (node) => {
      router?.connected(node);
      if (peers.nodes().length === ports.size) allUp();
    },
    down: (node, reason) => {
      log(leaving ? 'debug' : 'warn', 'threads: thread down', { node, reason });
      router?.lost(node);
    },
    reset: (node) => bus.discard(node),
    tick: (node) => bus.tick(node),
    tooMany: () => undefined,
  };
  for (const node of ports.keys()) peers.keepSteady(node);
  // The other end closes when its thread ends, however it ends: that thread is down for good.
  link.onClosed((node) => peers.left(node, 0));
  return {
    self,
    async attach(node: Node): Promise<ClusterRouter> {
      const names = new ClusterNames(
        wiring.names,
        peers,
        (pid) => node.process(pid) !== undefined,
        (pid, name) => node.mailboxOf(pid)?.deliverEvent(cancelEvent('', `name revoked: ${name}`)),
        log,
      );
      router = new ClusterRouter(node, bus, peers, names, log, names);
      const everyoneUp = new Promise<void>((resolve) => (allUp = resolve));
      if (ports.size === 0) allUp();
      for (const other of ports.keys()) peers.heard(other, 0);
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, HELLO_WAIT_MS)));
      await Promise.all([names.start(), Promise.race([everyoneUp, late])]);
      clearTimeout(timer);
      node.router = router;
      return router;
    },
    up: () => peers.nodes(),
    leaving: () => void (leaving = true),
    close() {
      bus.flush();
      link.close();
      for (const port of ports.values()) port.close();
    },
  };
}

/**
 * The ports of `threads` threads: `ports[i]` holds thread i+1's port to each other thread, by that thread's
 * node name (`name(j)` for thread j).
 */
export function threadPorts(threads: number, name: (i: number) => string = threadNode): Map<string, MessagePort>[] {
  const out = Array.from({ length: threads }, () => new Map<string, MessagePort>());
  for (let a = 0; a < threads; a++) {
    for (let b = a + 1; b < threads; b++) {
      const { port1, port2 } = new MessageChannel();
      out[a].set(name(b + 1), port1);
      out[b].set(name(a + 1), port2);
    }
  }
  return out;
}

// ---- The name table: owned by the main thread, reached by the others over a port ----

type Listener = (entry: NameBucketEntry) => void;

/** The node's name table (main thread): first write wins by revision, as on a KV bucket. */
export class MemoryBucket implements NameBucket {
  private readonly entries = new Map<string, { value: Uint8Array; revision: number }>();
  private revision = 0;
  private readonly listeners = new Set<Listener>();

  status(): Promise<{ values: number }> {
    return Promise.resolve({ values: this.entries.size });
  }

  /** Every change from now on, after what the table holds (the last of those with delta 0). */
  subscribe(fn: Listener): () => void {
    const current = [...this.entries];
    current.forEach(([key, e], i) => fn({ key, operation: 'PUT', value: e.value, revision: e.revision, delta: current.length - 1 - i }));
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  watch(): Promise<AsyncIterable<NameBucketEntry>> {
    return Promise.resolve(queued((push) => this.subscribe(push)));
  }

  create(key: string, value: Uint8Array): Promise<number> {
    if (this.entries.has(key)) return Promise.reject(new Error('wrong last sequence: key exists'));
    return Promise.resolve(this.put(key, value));
  }

  get(key: string): Promise<NameBucketEntry | null> {
    const e = this.entries.get(key);
    return Promise.resolve(e === undefined ? null : { key, operation: 'PUT', value: e.value, revision: e.revision });
  }

  update(key: string, value: Uint8Array, revision: number): Promise<number> {
    if (this.entries.get(key)?.revision !== revision) return Promise.reject(new Error(`wrong last sequence: ${revision}`));
    return Promise.resolve(this.put(key, value));
  }

  delete(key: string, options: { previousSeq: number }): Promise<unknown> {
    if (this.entries.get(key)?.revision !== options.previousSeq) return Promise.reject(new Error('wrong last sequence'));
    this.entries.delete(key);
    this.emit({ key, operation: 'DEL', value: new Uint8Array(0), revision: ++this.revision, delta: 0 });
    return Promise.resolve();
  }

  private put(key: string, value: Uint8Array): number {
    const revision = ++this.revision;
    this.entries.set(key, { value, revision });
    this.emit({ key, operation: 'PUT', value, revision, delta: 0 });
    return revision;
  }

  private emit(entry: NameBucketEntry): void {
    for (const fn of this.listeners) fn(entry);
  }
}

type BucketCall =
  | { readonly id: number; readonly op: 'status' | 'watch' }
  | { readonly id: number; readonly op: 'create' | 'get'; readonly key: string; readonly value?: Uint8Array }
  | { readonly id: number; readonly op: 'update'; readonly key: string; readonly value: Uint8Array; readonly revision: number }
  | { readonly id: number; readonly op: 'delete'; readonly key: string; readonly revision: number };

type BucketReply = { readonly id: number; readonly ok: boolean; readonly result: unknown } | { readonly watched: NameBucketEntry };

/** Serves `bucket` to another thread over `port` (its PortBucket). */
export function serveBucket(bucket: MemoryBucket, port: MessagePort): void {
  let unsubscribe = (): void => undefined;
  port.on('message', (call: BucketCall) => {
    const reply = (p: Promise<unknown>): void =>
      void p.then(
        (result) => port.postMessage({ id: call.id, ok: true, result } satisfies BucketReply),
        (e: unknown) => port.postMessage({ id: call.id, ok: false, result: e instanceof Error ? e.message : String(e) } satisfies BucketReply),
      );
    switch (call.op) {
      case 'status':
        return reply(bucket.status());
      case 'watch':
        unsubscribe = bucket.subscribe((watched) => port.postMessage({ watched } satisfies BucketReply));
        return reply(Promise.resolve(null));
      case 'create':
        return reply(bucket.create(call.key, call.value ?? new Uint8Array(0)));
      case 'get':
        return reply(bucket.get(call.key));
      case 'update':
        return reply(bucket.update(call.key, call.value, call.revision));
      case 'delete':
        return reply(bucket.delete(call.key, { previousSeq: call.revision }));
    }
  });
  port.on('close', () => unsubscribe());
}

/** The node's name table as another thread sees it: each call a round trip to the main thread. */
export class PortBucket implements NameBucket {
  private next = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private watcher: Listener | null = null;

  constructor(private readonly port: MessagePort) {
    port.on('message', (reply: BucketReply) => {
      if ('watched' in reply) return this.watcher?.(reply.watched);
      const p = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (reply.ok) p?.resolve(reply.result);
      else p?.reject(new Error(String(reply.result)));
    });
  }

  status(): Promise<{ values: number }> {
    return this.call({ op: 'status' }) as Promise<{ values: number }>;
  }

  async watch(): Promise<AsyncIterable<NameBucketEntry>> {
    const iterable = queued((push) => {
      this.watcher = push;
      return () => (this.watcher = null);
    });
    await this.call({ op: 'watch' });
    return iterable;
  }

  create(key: string, value: Uint8Array): Promise<number> {
    return this.call({ op: 'create', key, value }) as Promise<number>;
  }

  get(key: string): Promise<NameBucketEntry | null> {
    return this.call({ op: 'get', key }) as Promise<NameBucketEntry | null>;
  }

  update(key: string, value: Uint8Array, revision: number): Promise<number> {
    return this.call({ op: 'update', key, value, revision }) as Promise<number>;
  }

  delete(key: string, options: { previousSeq: number }): Promise<unknown> {
    return this.call({ op: 'delete', key, revision: options.previousSeq });
  }

  private call(call: DistributiveOmit<BucketCall, 'id'>): Promise<unknown> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.port.postMessage({ ...call, id });
    });
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** An endless async iterable fed by `start`'s push function (a watch never ends while its thread runs). */
function queued(start: (push: Listener) => () => void): AsyncIterable<NameBucketEntry> {
  const buffer: NameBucketEntry[] = [];
  let wake: (() => void) | null = null;
  start((entry) => {
    buffer.push(entry);
    wake?.();
    wake = null;
  });
  return {
    async *[Symbol.asyncIterator]() {
      for (;;) {
        while (buffer.length > 0) yield buffer.shift() as NameBucketEntry;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
}
