/**
 * Go's `strings` functions where JS differs (rune-wise case mapping, Replace with an empty old string,
 * SplitN, Trim with a cutset), shared by the expression and template interpreters.
 */

/** Go's unicode.IsSpace runes. */
export const SPACES =
  '\t\n\v\f\r \u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000';

const ASCII = /^[\x00-\x7f]*$/;

/** Go's strings.ToUpper / ToLower: rune by rune, never expanding one rune into several (JS maps ß to SS). */
export function mapCase(s: string, upper: boolean): string {
  if (ASCII.test(s)) return upper ? s.toUpperCase() : s.toLowerCase();
  let out = '';
  for (const ch of s) {
    const mapped = upper ? ch.toUpperCase() : ch.toLowerCase();
    out += Array.from(mapped).length === 1 ? mapped : ch;
  }
  return out;
}

/** Go's strings.Trim(s, cutset) (left, right, or both ends). */
export function trimRunes(s: string, cutset: string, left = true, right = true): string {
  const cut = new Set(Array.from(cutset));
  const runes = Array.from(s);
  let a = 0;
  let b = runes.length;
  if (left) while (a < b && cut.has(runes[a])) a++;
  if (right) while (b > a && cut.has(runes[b - 1])) b--;
  return runes.slice(a, b).join('');
}

/** Go's strings.TrimSpace. */
export const trimSpace = (s: string): string => trimRunes(s, SPACES);

/** Go's strings.SplitN / SplitAfterN (n < 0: all parts; n == 0: none). */
export function splitN(s: string, sep: string, n: number, after = false): string[] {
  if (n === 0) return [];
  if (sep === '') {
    const runes = Array.from(s);
    if (n < 0 || n > runes.length) n = runes.length;
    const out = runes.slice(0, n - 1);
    out.push(runes.slice(n - 1).join(''));
    return runes.length === 0 ? [] : out;
  }
  const out: string[] = [];
  let start = 0;
  while (n < 0 || out.length < n - 1) {
    const at = s.indexOf(sep, start);
    if (at < 0) break;
    out.push(s.slice(start, after ? at + sep.length : at));
    start = at + sep.length;
  }
  out.push(s.slice(start));
  return out;
}

/**
 * Go's strings.Replace(s, old, new, n) (n < 0: every occurrence). `checkLength` is told the length of the result
 * as it grows, to refuse one that is too long.
 */
export function replace(s: string, old: string, repl: string, n: number, checkLength: (length: number) => void): string {
  if (n === 0 || old === repl) return s;
  let out = '';
  let done = 0;
  if (old === '') {
    const runes = Array.from(s);
    for (let i = 0; i <= runes.length; i++) {
      if (n < 0 || done < n) {
        out += repl;
        done++;
      }
      if (i < runes.length) out += runes[i];
      checkLength(out.length);
    }
    return out;
  }
  let start = 0;
  while (n < 0 || done < n) {
    const at = s.indexOf(old, start);
    if (at < 0) break;
    out += s.slice(start, at) + repl;
    checkLength(out.length);
    start = at + old.length;
    done++;
  }
  out += s.slice(start);
  checkLength(out.length);
  return out;
}
