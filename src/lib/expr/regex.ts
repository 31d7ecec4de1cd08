/**
 * The regular expressions of `matches`: the runtime's one matcher (src/lib/regex.ts: RE2 syntax and
 * linear-time matching, as Go's regexp package; a backtracking engine would let a hostile pattern freeze the
 * runtime).
 */
import { cachedRegex, RegexError, type Regex } from '../regex';

export type { Regex };

/** The compiled pattern, or Go's error text when it does not compile. */
export function compileRegex(pattern: string): Regex | string {
  const re = cachedRegex(pattern);
  return re instanceof RegexError ? re.message : re;
}
