/**
 * The header a handler sets to hand its connection to a process (`X-WS-Relay`, `X-SSE-Relay`): JSON
 * `{target_pid, message_topic?, heartbeat_interval?, metadata?}`, read and removed by the relay middleware.
 */
import { parsePid } from '../../../kernel/pid';
import { parseDuration } from '../../../lib/duration';
import { type Value } from '../../../kernel/value';
import { valueToPlain } from '../../../engine/plain';

export interface RelayConfig {
  readonly target: string;
  readonly topic: string;
  readonly heartbeatMs: number;
  readonly metadata: Record<string, unknown> | null;
}

/** The config, or a one-line reason it is unusable. */
export function parseRelayConfig(text: string, defaultTopic: string): RelayConfig | string {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return 'invalid relay configuration';
  }
  if (typeof raw !== 'object' || raw === null) return 'invalid relay configuration';
  const c = raw as Record<string, unknown>;
  const target = typeof c.target_pid === 'string' ? c.target_pid : '';
  if (parsePid(target) === null) return `Invalid target PID: "${target}"`;
  let heartbeatMs = 30_000;
  if (typeof c.heartbeat_interval === 'string' && c.heartbeat_interval !== '') {
    try {
      heartbeatMs = parseDuration(c.heartbeat_interval) / 1e6;
    } catch {
      return `invalid heartbeat_interval "${c.heartbeat_interval}"`;
    }
  }
  const metadata = typeof c.metadata === 'object' && c.metadata !== null && !Array.isArray(c.metadata) ? (c.metadata as Record<string, unknown>) : null;
  return { target, topic: typeof c.message_topic === 'string' && c.message_topic !== '' ? c.message_topic : defaultTopic, heartbeatMs, metadata };
}

/** A message payload as JSON data for the client: bytes as base64, tables as objects or arrays. */
export function payloadJson(v: Value): unknown {
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  return valueToPlain(v);
}

/** Go's time.Duration String for an uptime (`1m2.5s`). */
export function uptimeText(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `${+s.toFixed(3)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${+(s - m * 60).toFixed(3)}s`;
  const h = Math.floor(m / 60);
  return `${h}h${m - h * 60}m${+(s - m * 60).toFixed(3)}s`;
}

/** Origins allowed by coder/websocket's OriginPatterns (`*`, a host, a host glob); none: same origin only. */
export function originAccepted(origin: string | undefined, host: string | undefined, patterns: readonly string[]): boolean {
  if (origin === undefined || origin === '') return true;
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    return false;
  }
  if (host !== undefined && originHost.toLowerCase() === host.toLowerCase()) return true;
  for (const p of patterns) {
    const re = new RegExp(`^${p.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i');
    if (re.test(originHost) || re.test(origin)) return true;
  }
  return false;
}
