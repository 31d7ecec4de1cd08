/**
 * The regular expressions of `matches`: RE2 syntax and linear-time matching, as Go's regexp package (a
 * backtracking engine would let a hostile pattern freeze the runtime). This is the one place that names the
 * engine, so it can be swapped for the runtime's shared matcher.
 */
import { RE2JS } from 're2js';

export interface Regex {
  /** Whether the pattern matches anywhere in `s` (Go's MatchString). */
  test(s: string): boolean;
}

const cache = new Map<string, Regex | string>();
const CACHE_LIMIT = 256;

/** The compiled pattern, or Go's error text when it does not compile. */
export function compileRegex(pattern: string): Regex | string {
  const known = cache.get(pattern);
  if (known !== undefined) return known;
  let out: Regex | string;
  try {
    const re = RE2JS.compile(pattern);
    out = { test: (s: string): boolean => re.matcher(s).find() };
  } catch (e) {
    out = e instanceof Error ? e.message : String(e);
  }
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(pattern, out);
  return out;
}
