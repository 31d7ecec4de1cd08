/**
 * `ratelimit`: a token bucket per key (golang.org/x/time/rate as Wippy uses it): `ratelimit.requests` per
 * `ratelimit.window` (100 per 1m), `ratelimit.burst` (20), keyed by `ratelimit.key` (`ip`, `header:X`,
 * `query:x`). Over the limit: 429 with X-RateLimit-Limit and X-RateLimit-Window. Idle buckets are dropped
 * after `ratelimit.entry_ttl` (10m), at most `ratelimit.max_entries` (100000) kept (the oldest evicted).
 */
import { option, type Middleware } from './types';

/** Wippy's own duration form: an integer and one unit of s, m or h. */
function windowMs(text: string, fallback: number): number {
  const m = /^\s*(\d+)([smh])\s*$/.exec(text);
  if (m === null) return fallback;
  return Number(m[1]) * (m[2] === 's' ? 1000 : m[2] === 'm' ? 60_000 : 3_600_000);
}

function positiveInt(text: string, fallback: number): number {
  const n = Number(text);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

interface Bucket {
  tokens: number;
  at: number;
}

export const ratelimit: Middleware = {
  name: 'ratelimit',
  nodeState: true,
  make(o) {
    const requests = positiveInt(option(o, ['ratelimit.requests'], ''), 100);
    const windowText = option(o, ['ratelimit.window'], '1m');
    const window = Math.max(1000, windowMs(windowText, 60_000));
    const burst = positiveInt(option(o, ['ratelimit.burst'], ''), 20);
    const key = option(o, ['ratelimit.key'], 'ip');
    const ttl = windowMs(option(o, ['ratelimit.entry_ttl'], '10m'), 600_000);
    const maxEntries = positiveInt(option(o, ['ratelimit.max_entries'], ''), 100_000);
    const perMs = requests / window;
    const buckets = new Map<string, Bucket>();
    const [kind, name = ''] = key.split(/:(.*)/s);
    const keyOf = (x: Parameters<ReturnType<ReturnType<Middleware['make']>>>[0]): string => {
      if (kind === 'header') return name === '' ? '' : (x.request.headers.get(name) ?? x.request.headers.get(name.replace(/(^|-)([a-z])/g, (_, a: string, b: string) => a + b.toUpperCase())) ?? [''])[0];
      if (kind === 'query') return name === '' ? '' : (new URLSearchParams(x.request.rawQuery).get(name) ?? '');
      const addr = x.remoteAddr;
      const colon = addr.lastIndexOf(':');
      return colon > 0 && !addr.endsWith(']') ? addr.slice(0, colon).replace(/^\[|\]$/g, '') : addr;
    };
    return (next) => (x) => {
      const k = keyOf(x);
      if (k === '') return Promise.resolve(x.response.fail(400, 'Rate limit key extraction failed'));
      const now = Date.now();
      let b = buckets.get(k);
      if (b !== undefined && now - b.at > ttl) b = undefined;
      if (b === undefined) {
        if (buckets.size >= maxEntries) buckets.delete(buckets.keys().next().value as string);
        b = { tokens: burst, at: now };
      } else {
        b.tokens = Math.min(burst, b.tokens + (now - b.at) * perMs);
        b.at = now;
        buckets.delete(k);
      }
      buckets.set(k, b); // most recently used last: the first key is the one to evict
      if (b.tokens < 1) {
        x.response.setHeader('X-RateLimit-Limit', String(requests));
        x.response.setHeader('X-RateLimit-Window', windowText);
        return Promise.resolve(x.response.fail(429, 'Rate limit exceeded'));
      }
      b.tokens -= 1;
      return next(x);
    };
  },
};
