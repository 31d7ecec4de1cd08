import { Fields } from './fields';
import { Lifecycle, LifecycleSecurity, RestartPolicy, qualify } from './types';
import { isMapping } from './errors';

/** Defaults from Wippy's `LifecycleConfig.InitDefaults`. */
export const LIFECYCLE_DEFAULTS: Readonly<Lifecycle> = Object.freeze({
  autoStart: false,
  requires: [],
  startup: 'required',
  startTimeoutMs: 10_000,
  stopTimeoutMs: 10_000,
  stableThresholdMs: 5_000,
  restart: Object.freeze({
    initialDelayMs: 1_000,
    maxDelayMs: 90_000,
    backoffFactor: 2.0,
    jitter: 0.1,
    maxAttempts: 0,
  }),
});

const LIFECYCLE_KEYS = new Set([
  'auto_start',
  'requires',
  'depends_on',
  'startup',
  'start_timeout',
  'stop_timeout',
  'stable_threshold',
  'restart',
  'security',
]);
const RESTART_KEYS = new Set(['initial_delay', 'max_delay', 'backoff_factor', 'jitter', 'max_attempts']);

/**
 * Parses an entry's `lifecycle:` block. Defaults apply only to absent fields, so an explicit
 * `jitter: 0` means no jitter (Go's zero-value defaulting could not tell the two apart).
 */
export function parseLifecycle(entry: Fields, namespace: string): Lifecycle {
  const lc = entry.sub('lifecycle');
  warnUnknown(lc, LIFECYCLE_KEYS);
  const d = LIFECYCLE_DEFAULTS;

  const requires: string[] = [];
  for (const ref of [...lc.stringList('requires'), ...lc.stringList('depends_on')]) {
    const id = qualify(ref, namespace);
    if (!requires.includes(id)) requires.push(id);
  }

  return {
    autoStart: lc.boolean('auto_start', d.autoStart),
    requires,
    startup: lc.oneOf('startup', d.startup, ['required', 'optional'] as const),
    startTimeoutMs: lc.durationMs('start_timeout', d.startTimeoutMs),
    stopTimeoutMs: lc.durationMs('stop_timeout', d.stopTimeoutMs),
    stableThresholdMs: lc.durationMs('stable_threshold', d.stableThresholdMs),
    restart: parseRestart(lc.sub('restart')),
    ...(lc.has('security') ? { security: parseSecurity(lc.sub('security'), namespace) } : {}),
  };
}

const SECURITY_KEYS = new Set(['actor', 'policies', 'groups']);

function parseSecurity(s: Fields, namespace: string): LifecycleSecurity {
  warnUnknown(s, SECURITY_KEYS);
  const actor = s.sub('actor');
  const meta = actor.has('meta') ? actor.data.meta : {};
  if (!isMapping(meta)) actor.typeError('meta', 'a mapping');
  return {
    actor: { id: actor.has('id') ? actor.requiredString('id') : '', meta: meta as Record<string, unknown> },
    policies: s.stringList('policies').map((id) => qualify(id, namespace)),
    groups: s.stringList('groups').map((id) => qualify(id, namespace)),
  };
}

/** The delay before retry `failures` (1-based): initial·factor^(n-1), capped, ±jitter. */
export function backoffDelay(policy: RestartPolicy, failures: number, random = Math.random): number {
  const base = Math.min(policy.initialDelayMs * policy.backoffFactor ** (failures - 1), policy.maxDelayMs);
  return Math.max(0, base * (1 + policy.jitter * (2 * random() - 1)));
}

function parseRestart(r: Fields): RestartPolicy {
  warnUnknown(r, RESTART_KEYS);
  const d = LIFECYCLE_DEFAULTS.restart;
  return {
    initialDelayMs: r.durationMs('initial_delay', d.initialDelayMs),
    maxDelayMs: r.durationMs('max_delay', d.maxDelayMs),
    backoffFactor: r.number('backoff_factor', d.backoffFactor, (n) => n > 0, 'a number > 0'),
    jitter: r.number('jitter', d.jitter, (n) => n >= 0 && n <= 1, 'a number between 0 and 1'),
    maxAttempts: r.integer('max_attempts', d.maxAttempts, 0),
  };
}

/** A misspelt lifecycle key (say `auto_strat`) would otherwise silently keep a service down. */
function warnUnknown(f: Fields, known: Set<string>): void {
  for (const key of f.keys()) {
    if (!known.has(key)) f.site.warn(`unknown field "${f.path(key)}" ignored`);
  }
}
