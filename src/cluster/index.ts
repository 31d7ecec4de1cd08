/**
 * Joining a cluster (spec.md): connect to NATS, take this node's next incarnation, open the names bucket, start
 * heartbeats, and put a ClusterRouter in front of the node. Loaded only when a cluster is configured (the CLI
 * imports this module lazily), so a standalone node never loads the NATS client.
 */
import { connect } from '@nats-io/transport-node';
import { Kvm, type KV } from '@nats-io/kv';
import { MAX_PEERS, Peers } from './peers';
import { Bus, Subjects, natsLink } from './bus';
import { ClusterNames, kvNames, type NameBucket } from './names';
import { ClusterRouter } from './router';
import { threadsAndOuterLink } from './threads';
import type { MessagePort } from 'worker_threads';
import type { Log } from '../api/logging';
import { cancelEvent } from '../kernel/message';
import type { Msg, NatsConnection } from '@nats-io/nats-core';
import type { Node } from '../kernel/node';
import type { ClusterOptions } from './config';

/** PIDs of one incarnation never reach the next: incarnation n numbers its processes from n * 2^32 + 1. */
const INCARNATION_STRIDE = 2 ** 32;
/** How long a new node listens for the others' answers to its hello before it boots. */
const HELLO_WAIT_MS = 150;
/** How long a starting node listens for a running node of its name to answer its probe. */
const PROBE_WAIT_MS = 300;

/**
 * What goes on the heartbeat subject: `hello` (a node starts), `beat`, `bye` (a graceful shutdown), `probe` (a
 * node about to start asks whether its name is in use) and `taken` (the running holder of that name answers).
 */
interface Heartbeat {
  readonly node: string;
  readonly incarnation: number;
  readonly kind: 'hello' | 'beat' | 'bye' | 'probe' | 'taken';
}
const KINDS: readonly string[] = ['hello', 'beat', 'bye', 'probe', 'taken'];

/**
 * The other threads of this node (spec.md "Threads in a cluster"): each thread is a cluster member of its own;
 * the threads of one node reach each other over these ports and share the node's LOCAL name table.
 */
export interface SiblingThreads {
  /** A port to each other thread of this node, by its member name. */
  readonly ports: ReadonlyMap<string, MessagePort>;
  /** The node's LOCAL names (threads.ts: the main thread's table, or a port to it). */
  readonly nodeNames: NameBucket;
}

export interface Cluster {
  readonly node: string;
  readonly incarnation: number;
  /** The first PID number of this incarnation (for `new Node(name, firstUniq)`). */
  readonly firstUniq: number;
  /** Resolves with the reason when this node must stop: a newer start of the same node name took over. */
  readonly superseded: Promise<string>;
  /**
   * Puts the cluster router in front of `node` and waits until the names replica is loaded (and, with
   * `siblings`, until the node's other threads answer).
   */
  attach(node: Node, siblings?: SiblingThreads): Promise<ClusterRouter>;
  /** Says goodbye, releases this node's names and closes the connection. */
  close(): Promise<void>;
}

/**
 * Joins as `options.node`. A worker thread of a node with several threads joins as its member name
 * (`a.t2`) with the `incarnation` its main thread took: it neither probes for its name nor takes a number.
 */
export async function joinCluster(options: ClusterOptions, log: Log, incarnation?: number): Promise<Cluster> {
  const nc = await connect({
    servers: options.servers,
    name: `wisp-${options.cluster}-${options.node}`,
    token: options.token,
    user: options.user,
    pass: options.password,
    tls: options.tls,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    timeout: options.connectTimeoutMs,
  });
  const subjects = new Subjects(options.cluster);
  const say = (kind: Heartbeat['kind'], incarnation: number): void => {
    if (!nc.isClosed()) nc.publish(subjects.heartbeat, JSON.stringify({ node: options.node, incarnation, kind }));
  };
  let onHeartbeat = (_hb: Heartbeat): void => undefined;
  nc.subscribe(subjects.heartbeat, {
    callback: (err: Error | null, msg: Msg) => {
      if (err !== null) return;
      const hb = parseHeartbeat(msg.data);
      if (hb === null) return log('warn', 'cluster: dropped a malformed heartbeat', { bytes: msg.data.length });
      onHeartbeat(hb);
    },
  });

  // A running node of the same name answers the probe: this start is refused rather than cut that node off.
  let holder: number | null = null;
  onHeartbeat = (hb) => {
    if (hb.kind === 'taken' && hb.node === options.node) holder = hb.incarnation;
  };
  let kv: KV;
  const bucket = (): Promise<KV> => new Kvm(nc).create(`wisp_${options.cluster}`, { history: 1 });
  try {
    if (incarnation === undefined) {
      say('probe', -1);
      [kv] = await Promise.all([bucket(), sleep(PROBE_WAIT_MS)]);
      if (holder !== null) {
        throw new Error(`node name "${options.node}" is in use by a running node of cluster "${options.cluster}" (incarnation ${holder}): stop that one first, or choose another --node`);
      }
      incarnation = await nextIncarnation(kv, options.node);
    } else kv = await bucket();
  } catch (e) {
    await nc.close().catch(() => undefined);
    throw e;
  }

  const self = incarnation;
  const peers = new Peers(options.node, incarnation, options.heartbeatTimeoutMs);
  const link = threadsAndOuterLink(natsLink(nc, subjects, options.node));
  const bus = new Bus(link, options.node, incarnation, peers, log);
  let router: ClusterRouter | null = null;
  let names: ClusterNames | null = null;
  let nodeNames: ClusterNames | null = null;
  let attached = false;
  let closing = false;
  let tooManyLogged = false;
  peers.events = {
    up: (node) => {
      log('info', 'cluster: node up', { node, incarnation: peers.incarnationOf(node) });
      router?.connected(node);
    },
    down: (node, reason) => {
      // Once this node has said goodbye, the others' going down (or resetting) is expected.
      log(closing ? 'debug' : 'warn', 'cluster: node down', { node, reason });
      router?.lost(node);
    },
    reset: (node) => bus.discard(node),
    tick: (node) => bus.tick(node),
    tooMany: (node) => {
      if (!tooManyLogged) log('error', 'cluster: too many nodes; ignoring the newest', { node, max: MAX_PEERS });
      tooManyLogged = true;
    },
  };
  const beat = (kind: 'hello' | 'beat' | 'bye' | 'taken'): void => say(kind, self);

  let supersede!: (why: string) => void;
  const superseded = new Promise<string>((resolve) => (supersede = resolve));
  let stopped = false;
  const stop = (why: string): void => {
    if (stopped) return;
    stopped = true;
    clearInterval(ticker);
    log('error', `cluster: ${why}`, {});
    // Not a goodbye: the newer start owns the name, its names and its peers now. Just go quiet.
    peers.resetAll('this node was superseded');
    void nc.close().catch(() => undefined);
    supersede(why);
  };

  onHeartbeat = (hb) => {
    if (hb.node === options.node) {
      if (hb.kind === 'probe' && attached) beat('taken');
      else if ((hb.kind === 'hello' || hb.kind === 'beat') && hb.incarnation > self) {
        stop(`node name "${options.node}" was taken by a newer start of it (incarnation ${hb.incarnation}); this one (incarnation ${self}) stops`);
      }
      return;
    }
    // This node's other threads are up while their ports are open, whatever NATS says of them.
    if (peers.isSteady(hb.node)) return;
    if (hb.kind === 'probe' || hb.kind === 'taken') return;
    if (hb.kind === 'bye') return peers.left(hb.node, hb.incarnation);
    const fresh = !peers.isUp(hb.node) || peers.incarnationOf(hb.node) !== hb.incarnation;
    peers.heard(hb.node, hb.incarnation);
    if (hb.kind === 'hello' || fresh) beat('beat');
  };
  const ticker = setInterval(() => {
    beat('beat');
    peers.sweep();
    for (const node of peers.audible()) bus.tick(node);
  }, options.heartbeatIntervalMs);
  ticker.unref();
  void watchStatus(nc, log, () => {
    // What the client had buffered is gone with the connection: every connection is reset (node-down).
    bus.connectionLost();
    peers.resetAll('this node lost its NATS connection');
  }, () => beat('hello'));

  return {
    node: options.node,
    incarnation: self,
    firstUniq: self * INCARNATION_STRIDE + 1,
    superseded,
    async attach(node: Node, siblings?: SiblingThreads): Promise<ClusterRouter> {
      const table = (bucket: NameBucket): ClusterNames =>
        new ClusterNames(
          bucket,
          peers,
          (pid) => node.process(pid) !== undefined,
          (pid) => router?.hasEnded(pid) === true,
          (pid, name) => node.mailboxOf(pid)?.deliverEvent(cancelEvent('', `name revoked: ${name}`)),
          log,
        );
      names = table(kvNames(kv, log));
      let threadsUp = Promise.resolve();
      if (siblings !== undefined && siblings.ports.size > 0) {
        nodeNames = table(siblings.nodeNames);
        threadsUp = joinSiblings(siblings.ports, peers, self);
        link.addThreads(siblings.ports);
      }
      router = new ClusterRouter(node, bus, peers, names, log, nodeNames);
      attached = true;
      beat('hello');
      for (const sibling of siblings?.ports.keys() ?? []) peers.heard(sibling, self);
      await Promise.all([names.start(), nodeNames?.start(), sleep(HELLO_WAIT_MS), threadsUp]);
      node.router = router;
      return router;
    },
    async close(): Promise<void> {
      closing = true;
      clearInterval(ticker);
      if (nc.isClosed()) return;
      bus.flush();
      beat('bye');
      link.close();
      await names?.releaseEverything().catch(() => undefined);
      await nc.drain().catch(() => undefined);
    },
  };
}

/** How long a thread waits at start for the node's other threads to answer. */
const THREADS_WAIT_MS = 5000;

/**
 * The node's other threads are peers whose port closes when they end (a thread down, at once, as in the
 * threads of a standalone node); resolves once each has answered, or after THREADS_WAIT_MS.
 */
function joinSiblings(ports: ReadonlyMap<string, MessagePort>, peers: Peers, incarnation: number): Promise<void> {
  for (const [sibling, port] of ports) {
    peers.keepSteady(sibling);
    port.on('close', () => peers.left(sibling, incarnation));
  }
  return new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      clearInterval(check);
      resolve();
    };
    const timer = setTimeout(done, THREADS_WAIT_MS);
    const check = setInterval(() => {
      if ([...ports.keys()].every((sibling) => peers.isUp(sibling))) done();
    }, 10);
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Each start of a node name takes the next number from the bucket (0 for the first ever). */
async function nextIncarnation(kv: KV, node: string): Promise<number> {
  const key = `n.${node}`;
  for (;;) {
    const entry = await kv.get(key);
    if (entry === null || entry.operation !== 'PUT') {
      try {
        await kv.create(key, '0');
        return 0;
      } catch {
        continue;
      }
    }
    const next = Number(entry.string()) + 1;
    if (!Number.isSafeInteger(next * INCARNATION_STRIDE)) throw new Error(`incarnation counter of node ${node} is exhausted`);
    try {
      await kv.update(key, String(next), entry.revision);
      return next;
    } catch {
      /* another start of the same name wrote first: read again */
    }
  }
}

function parseHeartbeat(data: Uint8Array): Heartbeat | null {
  try {
    const hb = JSON.parse(Buffer.from(data).toString('utf8')) as Partial<Heartbeat>;
    if (typeof hb.node === 'string' && typeof hb.incarnation === 'number' && typeof hb.kind === 'string' && KINDS.includes(hb.kind)) {
      return { node: hb.node, incarnation: hb.incarnation, kind: hb.kind };
    }
  } catch {
    /* malformed */
  }
  return null;
}

async function watchStatus(nc: NatsConnection, log: Log, lost: () => void, back: () => void): Promise<void> {
  for await (const s of nc.status()) {
    if (s.type === 'disconnect') {
      log('warn', 'cluster: lost the NATS connection; reconnecting', {});
      lost();
    } else if (s.type === 'reconnect') {
      log('info', 'cluster: NATS connection back', {});
      back();
    }
  }
}
