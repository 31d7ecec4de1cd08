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
import { ClusterNames, type NameBucket } from './names';
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
        (pid) => router?.hasEnded(pid) === true,
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
