/**
 * Kernel nodes (no Lua, no CLI) joined to a cluster through a real nats-server, in this process: for races
 * started in one tick and for raw messages on the bus. The OS-process tests (helpers/cluster.ts) cover the rest.
 */
import { joinCluster, type Cluster } from '../../src/cluster';
import { Node } from '../../src/kernel/node';
import { CONTROL_HOST } from '../../src/kernel/pid';
import { NatsServer } from './nats';
import type { ClusterRouter } from '../../src/cluster/router';

export interface Member {
  readonly cluster: Cluster;
  readonly node: Node;
  readonly router: ClusterRouter;
  /** The cluster's log lines: `level message {fields as JSON}`. */
  readonly logs: string[];
}

/** Joins node `name` of cluster `clusterName` on the server at `url`, with fast heartbeats. */
export async function joinMember(url: string, name: string, clusterName: string, heartbeatTimeoutMs = 2000): Promise<Member> {
  const logs: string[] = [];
  const cluster = await joinCluster(
    { servers: [url], node: name, cluster: clusterName, heartbeatIntervalMs: 200, heartbeatTimeoutMs, connectTimeoutMs: 5000 },
    (level, message, fields) => logs.push(`${level} ${message} ${JSON.stringify(fields)}`),
  );
  const node = new Node(name, cluster.firstUniq);
  const router = await cluster.attach(node);
  return { cluster, node, router, logs };
}

/** A process of the member's node, with no Lua behind it. */
export const testProcess = (m: Member) => m.node.createProcess(CONTROL_HOST, 'test:entry', null, { terminate: () => undefined });

export { until } from './poll';

/**
 * For a describe block: a nats-server started before its tests, the members they join (in `members`, in
 * order), all closed and the server stopped after them. A test that closes a member itself takes it out.
 */
export function kernelCluster(clusterName: string, heartbeatTimeoutMs = 2000) {
  let nats: NatsServer | null = null;
  const members: Member[] = [];
  beforeAll(async () => {
    nats = await NatsServer.start();
  }, 30_000);
  afterAll(async () => {
    for (const m of members) await m.cluster.close();
    await nats?.stop();
  });
  const url = (): string => (nats as NatsServer).url;
  return {
    members,
    url,
    async member(name: string, cluster = clusterName): Promise<Member> {
      const m = await joinMember(url(), name, cluster, heartbeatTimeoutMs);
      members.push(m);
      return m;
    },
    leave(m: Member): void {
      members.splice(members.indexOf(m), 1);
    },
  };
}
