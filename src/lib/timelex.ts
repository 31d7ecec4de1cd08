/**
 * Low-level scanners for Go's time.Parse (getnum, atoi, skip, parseTimeZone,
 * ...), kept separate so the parser itself reads like Go's `parse`.
 */
import { isDigitAt } from './layout';

/** ASCII case-insensitive equality of equal-length strings (Go's `match`). */
function match(a: string, b: string): boolean {
  for (let i = 0; i < a.length; i++) {
    let c1 = a.charCodeAt(i);
    let c2 = b.charCodeAt(i);
    if (c1 !== c2) {
      c1 |= 0x20;
      c2 |= 0x20;
      if (c1 !== c2 || c1 < 97 || c1 > 122) return false;
    }
  }
  return true;
}

/** Index of the table entry that prefixes `val` (case-insensitively), or -1. */
export function lookup(table: readonly string[], val: string): [number, string] {
  for (let i = 0; i < table.length; i++) {
    const v = table[i];
    if (val.length >= v.length && match(val.slice(0, v.length), v)) return [i, val.slice(v.length)];
  }
  return [-1, val];
}

/** One or two digits (exactly two when fixed); NaN on failure. */
export function getnum(s: string, fixed: boolean): [number, string] {
  if (!isDigitAt(s, 0)) return [NaN, s];
  if (!isDigitAt(s, 1)) return fixed ? [NaN, s] : [s.charCodeAt(0) - 48, s.slice(1)];
  return [(s.charCodeAt(0) - 48) * 10 + (s.charCodeAt(1) - 48), s.slice(2)];
}

/** One to three digits (exactly three when fixed); NaN on failure. */
export function getnum3(s: string, fixed: boolean): [number, string] {
  let n = 0;
  let i = 0;
  for (; i < 3 && isDigitAt(s, i); i++) n = n * 10 + (s.charCodeAt(i) - 48);
  if (i === 0 || (fixed && i !== 3)) return [NaN, s];
  return [n, s.slice(i)];
}

const OVERFLOW = 2 ** 63;

/** Leading decimal digits; NaN once the value passes 2^63, like Go's leadingInt. */
function leadingInt(s: string): [number, string] {
  let x = 0;
  let i = 0;
  for (; isDigitAt(s, i); i++) {
    if (x > OVERFLOW / 10) return [NaN, s];
    x = x * 10 + (s.charCodeAt(i) - 48);
    if (x > OVERFLOW) return [NaN, s];
  }
  return [x, s.slice(i)];
}

/** Optionally signed integer filling all of s; NaN otherwise. */
export function atoi(s: string): number {
  let neg = false;
  if (s[0] === '-' || s[0] === '+') {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  const [x, rest] = leadingInt(s);
  if (Number.isNaN(x) || rest.length > 0) return NaN;
  return neg ? -x : x;
}

/** Removes `prefix` from `value`, a run of spaces matching any run; on mismatch `rest` is where it stopped. */
export function skip(value: string, prefix: string): { rest: string; ok: boolean } {
  while (prefix.length > 0) {
    if (prefix[0] === ' ') {
      if (value.length > 0 && value[0] !== ' ') return { rest: value, ok: false };
      prefix = prefix.replace(/^ +/, '');
      value = value.replace(/^ +/, '');
      continue;
    }
    if (value.length === 0 || value[0] !== prefix[0]) return { rest: value, ok: false };
    prefix = prefix.slice(1);
    value = value.slice(1);
  }
  return { rest: value, ok: true };
}

export const commaOrPeriod = (c: string | undefined): boolean => c === '.' || c === ',';

/** value[0] is the separator; value[1:nbytes] the digits. */
export function parseNanoseconds(value: string, nbytes: number): { ns: number; rangeErr: string; ok: boolean } {
  if (!commaOrPeriod(value[0])) return { ns: 0, rangeErr: '', ok: false };
  if (nbytes > 10) nbytes = 10;
  let ns = atoi(value.slice(1, nbytes));
  if (Number.isNaN(ns)) return { ns: 0, rangeErr: '', ok: false };
  if (ns < 0) return { ns, rangeErr: 'fractional second', ok: true };
  for (let i = 0; i < 10 - nbytes; i++) ns *= 10;
  return { ns, rangeErr: '', ok: true };
}

/** Length of a signed hour offset in -23..+23 ("+03", "-4"), or 0. */
function parseSignedOffset(value: string): number {
  if (value[0] !== '-' && value[0] !== '+') return 0;
  const [x, rest] = leadingInt(value.slice(1));
  if (Number.isNaN(x) || rest.length === value.length - 1 || x > 23) return 0;
  return value.length - rest.length;
}

/**
 * Length of the zone abbreviation at the start of value, or 0 if none.
 * Go's heuristic: 3 upper-case letters, or 4-5 ending in T, plus special cases.
 */
export function parseTimeZone(value: string): number {
  if (value.length < 3) return 0;
  if (value.startsWith('ChST') || value.startsWith('MeST')) return 4;
  if (value.startsWith('GMT')) return 3 + (value.length > 3 ? parseSignedOffset(value.slice(3)) : 0);
  if (value[0] === '+' || value[0] === '-') return parseSignedOffset(value);
  let nUpper = 0;
  while (nUpper < 6 && nUpper < value.length && value[nUpper] >= 'A' && value[nUpper] <= 'Z') nUpper++;
  switch (nUpper) {
    case 3:
      return 3;
    case 4:
      return value[3] === 'T' || value.startsWith('WITA') ? 4 : 0;
    case 5:
      return value[4] === 'T' ? 5 : 0;
    default:
      return 0;
  }
}
