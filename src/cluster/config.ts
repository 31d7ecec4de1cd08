/**
 * Where the cluster settings come from (spec.md "Configuration"): `wisp run --cluster URL --node NAME`, the
 * environment (`WISP_CLUSTER`, `WISP_NODE`, `WISP_NATS_TOKEN`, `WISP_NATS_USER`, `WISP_NATS_PASSWORD`), and
 * `.wippy.yaml` (`cluster.*`, `relay.node_name`), in that order of precedence. No NATS code here: the CLI reads
 * this without loading the client.
 */
import { DurationError, parseDuration } from '../lib/duration';

export interface ClusterOptions {
  readonly servers: string[];
  readonly node: string;
  /** Namespaces subjects and the KV bucket: clusters sharing a NATS server never see each other. */
  readonly cluster: string;
  readonly token?: string;
  readonly user?: string;
  readonly password?: string;
  readonly tls?: { caFile?: string; certFile?: string; keyFile?: string };
  readonly heartbeatIntervalMs: number;
  readonly heartbeatTimeoutMs: number;
  readonly connectTimeoutMs: number;
}

export interface ClusterFlags {
  cluster?: string;
  node?: string;
  config?: string;
}

export const DEFAULT_HEARTBEAT_INTERVAL_MS = 1000;
export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 5000;

/** Node and cluster names become NATS subject tokens and KV keys. */
const NAME = /^[A-Za-z0-9_-]{1,64}$/;

export class ClusterConfigError extends Error {}


/**
 * The settings, or null when no cluster is configured (a standalone node). `setting` reads a dotted key of the
 * runtime config (`.wippy.yaml` with `--set` applied: src/cli/config.ts); `file` names it in messages.
 */
export function clusterOptions(flags: ClusterFlags, env: NodeJS.ProcessEnv, setting: (path: string) => unknown, file: string): ClusterOptions | null {
  const str = (path: string): string | undefined => {
    const v = setting(path);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string' && typeof v !== 'number') throw new ClusterConfigError(`${file}: ${path} must be a string`);
    return String(v);
  };
  const url = flags.cluster ?? env.WISP_CLUSTER ?? str('cluster.nats.url') ?? str('cluster.nats.servers');
  const enabled = setting('cluster.enabled');
  if (url === undefined) {
    if (enabled === true) throw new ClusterConfigError(`${file}: cluster.enabled is true but no NATS server is given (cluster.nats.url or --cluster)`);
    if (flags.node !== undefined) throw new ClusterConfigError('--node needs a cluster: add --cluster nats://HOST:PORT');
    return null;
  }
  const node = flags.node ?? env.WISP_NODE ?? env.WIPPY_NODE_ID ?? str('relay.node_name') ?? str('cluster.node');
  if (node === undefined) throw new ClusterConfigError('a cluster node needs a name: --node NAME or WISP_NODE');
  if (!NAME.test(node)) throw new ClusterConfigError(`node name "${node}" must be 1-64 letters, digits, - or _`);
  const cluster = str('cluster.name') ?? 'wisp';
  if (!NAME.test(cluster)) throw new ClusterConfigError(`cluster name "${cluster}" must be 1-64 letters, digits, - or _`);
  const servers = url.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const s of servers) {
    if (!/^(nats|tls):\/\/[^\s]+$/.test(s) && !/^[^\s/:]+:\d+$/.test(s)) throw new ClusterConfigError(`bad NATS server "${s}" (expected nats://HOST:PORT)`);
  }
  const ms = (path: string, fallback: number): number => {
    const text = str(path);
    if (text === undefined) return fallback;
    let d = 0;
    try {
      d = parseDuration(text);
    } catch (e) {
      if (!(e instanceof DurationError)) throw e;
    }
    if (d <= 0) throw new ClusterConfigError(`${file}: ${path} must be a positive duration like "5s"`);
    return d / 1e6;
  };
  const interval = ms('cluster.heartbeat.interval', DEFAULT_HEARTBEAT_INTERVAL_MS);
  const timeout = ms('cluster.heartbeat.timeout', Math.max(DEFAULT_HEARTBEAT_TIMEOUT_MS, 3 * interval));
  if (timeout <= interval) throw new ClusterConfigError(`${file}: cluster.heartbeat.timeout must be longer than cluster.heartbeat.interval`);
  const tls = { caFile: str('cluster.nats.tls.ca_file'), certFile: str('cluster.nats.tls.cert_file'), keyFile: str('cluster.nats.tls.key_file') };
  return {
    servers,
    node,
    cluster,
    token: env.WISP_NATS_TOKEN ?? str('cluster.nats.token'),
    user: env.WISP_NATS_USER ?? str('cluster.nats.user'),
    password: env.WISP_NATS_PASSWORD ?? str('cluster.nats.password'),
    tls: Object.values(tls).some((v) => v !== undefined) ? tls : undefined,
    heartbeatIntervalMs: interval,
    heartbeatTimeoutMs: timeout,
    connectTimeoutMs: ms('cluster.nats.connect_timeout', 5000),
  };
}
