/**
 * The `retry` call option (Wippy's function retry interceptor): `{max_attempts, initial_delay, max_delay,
 * backoff_factor, jitter, retry_kinds, skip_kinds}`. A failed attempt is tried again, after an exponential
 * backoff, while attempts remain and the error may be retried: never when it says it is not retryable, and by
 * default never for Invalid, PermissionDenied and Internal (retry_kinds/skip_kinds change the kinds).
 */
import { backoffDelay, type RestartPolicy } from '../../registry';
import { parseDuration } from '../../lib/duration';
import { ErrorValue, LuaFloat, Table, type Value } from '../../kernel/value';

export interface RetryPolicy extends RestartPolicy {
  readonly retryKinds: readonly string[];
  readonly skipKinds: readonly string[];
}

const NOT_RETRIED_BY_DEFAULT = new Set(['Invalid', 'PermissionDenied', 'Internal']);

const numberOf = (v: Value): number | null => (v instanceof LuaFloat ? v.value : typeof v === 'number' ? v : null);

/** A number of milliseconds, or a Go duration string; 0 when it is neither. */
function durationMs(v: Value): number {
  const n = numberOf(v);
  if (n !== null) return n > 0 ? n : 0;
  if (typeof v !== 'string') return 0;
  try {
    return Math.max(0, parseDuration(v) / 1e6);
  } catch {
    return 0;
  }
}

function strings(v: Value): string[] {
  if (!(v instanceof Table)) return [];
  return [...v.map.values()].filter((s): s is string => typeof s === 'string');
}

/** The policy of an options map's `retry` table; null when there is none or it allows one attempt only. */
export function retryPolicy(options: ReadonlyMap<string, Value>): RetryPolicy | null {
  const retry = options.get('retry');
  if (!(retry instanceof Table)) return null;
  const get = (k: string): Value => retry.map.get(k) ?? null;
  const maxAttempts = Math.trunc(numberOf(get('max_attempts')) ?? 0);
  if (maxAttempts <= 1) return null;
  const factor = numberOf(get('backoff_factor'));
  const jitter = numberOf(get('jitter'));
  return {
    maxAttempts,
    initialDelayMs: durationMs(get('initial_delay')) || 100,
    maxDelayMs: durationMs(get('max_delay')) || 10_000,
    backoffFactor: factor !== null && factor > 0 ? factor : 2,
    jitter: jitter !== null ? Math.min(1, Math.max(0, jitter)) : 0.1,
    retryKinds: strings(get('retry_kinds')),
    skipKinds: strings(get('skip_kinds')),
  };
}

/** Whether `error`, the failure of attempt number `attempt` (from 1), is tried again under `policy`. */
export function retries(policy: RetryPolicy, error: ErrorValue, attempt: number): boolean {
  if (attempt >= policy.maxAttempts || error.retryable === false) return false;
  const kind = error.kind;
  if (policy.skipKinds.includes(kind)) return false;
  if (policy.retryKinds.length > 0) return policy.retryKinds.includes(kind);
  return !NOT_RETRIED_BY_DEFAULT.has(kind);
}

/** How long to wait before attempt `attempt + 1` (Wippy's backoff skips the first interval). */
export function retryDelayMs(policy: RetryPolicy, attempt: number): number {
  return backoffDelay(policy, attempt + 1);
}
