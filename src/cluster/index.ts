/**
 * Joining a cluster (spec.md): connect to NATS, take this node's next incarnation, open the names bucket, start
 * heartbeats, and put a ClusterRouter in front of the node. Loaded only when a cluster is configured (the CLI
 * imports this module lazily), so a standalone node never loads the NATS client.
 */
import { connect } from '@nats-io/transport-node';
import { Kvm, type KV } from '@nats-io/kv';
import { Peers } from './peers';
import { Bus, Subjects } from './bus';
import { ClusterNames } from './names';
import { ClusterRouter, type ClusterLog } from './router';
import { cancelEvent } from '../kernel/message';
import type { Msg, NatsConnection } from '@nats-io/nats-core';
import type { Node } from '../kernel/node';
import type { ClusterOptions } from './config';

/** PIDs of one incarnation never reach the next: incarnation n numbers its processes from n * 2^32 + 1. */
const INCARNATION_STRIDE = 2 ** 32;
/** How long a new node listens for the others' answers to its hello before it boots. */
const HELLO_WAIT_MS = 150;

interface Heartbeat {
  readonly node: string;
  readonly incarnation: number;
  readonly kind: 'hello' | 'beat' | 'bye';
}

export interface Cluster {
  readonly node: string;
  readonly incarnation: number;
  /** The first PID number of this incarnation (for `new Node(name, firstUniq)`). */
  readonly firstUniq: number;
  /** Puts the cluster router in front of `node` and waits until the names replica is loaded. */
  attach(node: Node): Promise<ClusterRouter>;
  /** Says goodbye, releases this node's names and closes the connection. */
  close(): Promise<void>;
}

export async function joinCluster(options: ClusterOptions, log: ClusterLog): Promise<Cluster> {
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
  const kv = await new Kvm(nc).create(`wisp_${options.cluster}`, { history: 1 });
  const incarnation = await nextIncarnation(kv, options.node);
  const subjects = new Subjects(options.cluster);
  const peers = new Peers(options.node, incarnation, options.heartbeatTimeoutMs);
  const bus = new Bus(nc, subjects, options.node, incarnation, log);
  const beat = (kind: Heartbeat['kind']): void => {
    if (!nc.isClosed()) nc.publish(subjects.heartbeat, JSON.stringify({ node: options.node, incarnation, kind }));
  };
  nc.subscribe(subjects.heartbeat, {
    callback: (err: Error | null, msg: Msg) => {
      if (err !== null) return;
      const hb = parseHeartbeat(msg.data);
      if (hb === null) return log('warn', 'cluster: dropped a malformed heartbeat', { bytes: msg.data.length });
      if (hb.node === options.node) return;
      if (hb.kind === 'bye') return peers.left(hb.node, hb.incarnation);
      const fresh = !peers.isUp(hb.node) || peers.incarnationOf(hb.node) !== hb.incarnation;
      peers.heard(hb.node, hb.incarnation);
      if (hb.kind === 'hello' || fresh) beat('beat');
    },
  });
  peers.onUp((node) => log('info', 'cluster: node up', { node, incarnation: peers.incarnationOf(node) }));
  peers.onDown((node) => log('warn', 'cluster: node down', { node }));
  const ticker = setInterval(() => {
    beat('beat');
    peers.sweep();
  }, options.heartbeatIntervalMs);
  ticker.unref();
  void watchStatus(nc, log);

  let router: ClusterRouter | null = null;
  let names: ClusterNames | null = null;
  return {
    node: options.node,
    incarnation,
    firstUniq: incarnation * INCARNATION_STRIDE + 1,
    async attach(node: Node): Promise<ClusterRouter> {
      names = new ClusterNames(
        kv,
        peers,
        (pid) => node.process(pid) !== undefined,
        (pid, name) => node.mailboxOf(pid)?.deliverEvent(cancelEvent('', `name revoked: ${name}`)),
        log,
      );
      router = new ClusterRouter(node, bus, peers, names, log);
      beat('hello');
      await Promise.all([names.start(), new Promise((r) => setTimeout(r, HELLO_WAIT_MS))]);
      node.router = router;
      return router;
    },
    async close(): Promise<void> {
      clearInterval(ticker);
      if (nc.isClosed()) return;
      bus.flush();
      beat('bye');
      await names?.releaseEverything().catch(() => undefined);
      await nc.drain().catch(() => undefined);
    },
  };
}

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
    if (typeof hb.node === 'string' && typeof hb.incarnation === 'number' && (hb.kind === 'hello' || hb.kind === 'beat' || hb.kind === 'bye')) {
      return { node: hb.node, incarnation: hb.incarnation, kind: hb.kind };
    }
  } catch {
    /* malformed */
  }
  return null;
}

async function watchStatus(nc: NatsConnection, log: ClusterLog): Promise<void> {
  for await (const s of nc.status()) {
    if (s.type === 'disconnect') log('warn', 'cluster: lost the NATS connection; reconnecting', {});
    else if (s.type === 'reconnect') log('info', 'cluster: NATS connection back', {});
  }
}
