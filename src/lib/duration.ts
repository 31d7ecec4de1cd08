/**
 * Go `time.Duration` semantics on plain JS numbers of nanoseconds.
 *
 * Go durations are int64; ours are float64, exact up to 2^53 ns (~104 days).
 * Parsing is done in BigInt so that overflow detection and rounding match Go
 * bit-for-bit; only the final result is converted (and may round) to a number.
 */
import { goQuote } from './goquote';

export const NANOSECOND = 1;
export const MICROSECOND = 1e3;
export const MILLISECOND = 1e6;
export const SECOND = 1e9;
export const MINUTE = 6e10;
export const HOUR = 3.6e12;

/** Error thrown by {@link parseDuration}; `message` matches Go's text. */
export class DurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DurationError';
  }
}

const UNITS: ReadonlyMap<string, bigint> = new Map([
  ['ns', 1n],
  ['us', 1_000n],
  ['\u00b5s', 1_000n], // micro sign
  ['\u03bcs', 1_000n], // Greek mu
  ['ms', 1_000_000n],
  ['s', 1_000_000_000n],
  ['m', 60_000_000_000n],
  ['h', 3_600_000_000_000n],
]);

const LIMIT = 1n << 63n; // |int64 min|; the magnitude Go accumulates in a uint64

const isDigitAt = (s: string, i: number): boolean => i < s.length && s[i] >= '0' && s[i] <= '9';

/** Go's leadingInt: digits as a BigInt, or null on overflow past 2^63. */
function leadingInt(s: string, start: number): { x: bigint; end: number } | null {
  let x = 0n;
  let i = start;
  for (; isDigitAt(s, i); i++) {
    if (x > LIMIT / 10n) return null;
    x = x * 10n + BigInt(s.charCodeAt(i) - 48);
    if (x > LIMIT) return null;
  }
  return { x, end: i };
}

/** Go's leadingFraction: stops accumulating (without error) once precision overflows. */
function leadingFraction(s: string, start: number): { f: bigint; scale: number; end: number } {
  let f = 0n;
  let scale = 1;
  let overflow = false;
  let i = start;
  for (; isDigitAt(s, i); i++) {
    if (overflow) continue;
    if (f > (LIMIT - 1n) / 10n) {
      overflow = true;
      continue;
    }
    const y = f * 10n + BigInt(s.charCodeAt(i) - 48);
    if (y > LIMIT) {
      overflow = true;
      continue;
    }
    f = y;
    scale *= 10;
  }
  return { f, scale, end: i };
}

/** Exactly Go's `time.ParseDuration` (e.g. "300ms", "-1.5h", "2h45m"). Throws {@link DurationError}. */
export function parseDuration(s: string): number {
  const invalid = (): DurationError => new DurationError(`time: invalid duration ${goQuote(s)}`);
  let i = 0;
  let neg = false;
  if (s[0] === '-' || s[0] === '+') {
    neg = s[0] === '-';
    i = 1;
  }
  if (s.slice(i) === '0') return 0;
  if (i === s.length) throw invalid();

  let d = 0n;
  while (i < s.length) {
    if (!(s[i] === '.' || isDigitAt(s, i))) throw invalid();
    const int = leadingInt(s, i);
    if (int === null) throw invalid();
    const pre = int.end !== i;
    i = int.end;

    let frac = { f: 0n, scale: 1, end: i };
    let post = false;
    if (s[i] === '.') {
      frac = leadingFraction(s, i + 1);
      post = frac.end !== i + 1;
      i = frac.end;
    }
    if (!pre && !post) throw invalid(); // e.g. ".s"

    let j = i;
    while (j < s.length && s[j] !== '.' && !isDigitAt(s, j)) j++;
    if (j === i) throw new DurationError(`time: missing unit in duration ${goQuote(s)}`);
    const u = s.slice(i, j);
    i = j;
    const unit = UNITS.get(u);
    if (unit === undefined) {
      throw new DurationError(`time: unknown unit ${goQuote(u)} in duration ${goQuote(s)}`);
    }

    if (int.x > LIMIT / unit) throw invalid();
    let v = int.x * unit;
    if (frac.f > 0n) {
      // Go computes the fractional part in float64 (see time.ParseDuration); mirror it exactly.
      v += BigInt(Math.trunc(Number(frac.f) * (Number(unit) / frac.scale)));
      if (v > LIMIT) throw invalid();
    }
    d += v;
    if (d > LIMIT) throw invalid();
  }
  if (neg) return d === 0n ? 0 : -Number(d);
  if (d > LIMIT - 1n) throw invalid();
  return Number(d);
}

/** Digits of v / 10^prec after the point, trailing zeros (and the point) dropped. */
function fracDigits(v: number, prec: number): string {
  if (v === 0) return '';
  return '.' + String(v).padStart(prec, '0').replace(/0+$/, '');
}

/**
 * Exactly Go's `Duration.String()` for every value a float64 holds exactly.
 * Values beyond int64 are printed as their true magnitude rather than wrapped.
 */
export function formatDuration(ns: number): string {
  if (!Number.isFinite(ns)) throw new RangeError(`formatDuration: not a finite duration: ${ns}`);
  const neg = ns < 0;
  const u = Math.trunc(Math.abs(ns));
  let out: string;
  if (u < SECOND) {
    if (u === 0) return '0s';
    if (u < MICROSECOND) out = `${u}ns`;
    else if (u < MILLISECOND) out = `${Math.floor(u / 1e3)}${fracDigits(u % 1e3, 3)}\u00b5s`;
    else out = `${Math.floor(u / 1e6)}${fracDigits(u % 1e6, 6)}ms`;
  } else {
    let sub: number;
    let secs: number;
    if (u <= Number.MAX_SAFE_INTEGER) {
      sub = u % 1e9;
      secs = (u - sub) / 1e9;
    } else {
      const big = BigInt(u); // exact: u is an integer-valued float
      sub = Number(big % 1_000_000_000n);
      secs = Number(big / 1_000_000_000n);
    }
    out = `${secs % 60}${fracDigits(sub, 9)}s`;
    const mins = Math.floor(secs / 60);
    if (mins > 0) {
      out = `${mins % 60}m` + out;
      const hours = Math.floor(mins / 60);
      if (hours > 0) out = `${hours}h` + out; // Go stops at hours: days vary in length
    }
  }
  return neg ? '-' + out : out;
}

/**
 * A duration argument as Wippy's time module accepts it: a Go duration string,
 * or a number of nanoseconds (fractions of a nanosecond are truncated, as an
 * int64 conversion would).
 */
export function durationFrom(value: string | number): number {
  if (typeof value === 'string') return parseDuration(value);
  if (!Number.isFinite(value)) throw new DurationError(`time: invalid duration ${value}`);
  return Math.trunc(value) + 0; // `+ 0` turns -0 into 0
}

// Go's float accessors split off the whole units first so that the integer part
// is exact even where d itself would not be as a float64.
export function durationHours(ns: number): number {
  const h = Math.trunc(ns / HOUR);
  return h + (ns - h * HOUR) / HOUR;
}

export function durationMinutes(ns: number): number {
  const m = Math.trunc(ns / MINUTE);
  return m + (ns - m * MINUTE) / MINUTE;
}

export function durationSeconds(ns: number): number {
  const s = Math.trunc(ns / SECOND);
  return s + (ns - s * SECOND) / SECOND;
}

/** Whole milliseconds, truncated toward zero like Go's `Duration.Milliseconds()`. */
export function durationMilliseconds(ns: number): number {
  return Math.trunc(ns / MILLISECOND) + 0;
}

/** Whole microseconds, truncated toward zero like Go's `Duration.Microseconds()`. */
export function durationMicroseconds(ns: number): number {
  return Math.trunc(ns / MICROSECOND) + 0;
}
