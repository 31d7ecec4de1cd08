/** Go's `%v` printing of expression values (the `string` builtin and error messages use it). */
import { formatDuration } from '../duration';
import { formatTime } from '../timefmt';
import { AnyMap, Bytes, Callable, checkDepth, Duration, Float, Time, Zone, type Value } from './values';

/** Go's `%v` of a float64 (strconv 'g', shortest): the shortest digits, in exponent form below 1e-4 and from 1e6. */
export function formatFloat(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const [mantissa, expText] = x.toExponential().split('e');
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) {
    const e = Math.abs(exp);
    return `${mantissa}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
  }
  return fixedOf(x);
}

/** The shortest digits of x written without an exponent. */
export function fixedOf(x: number): string {
  const plain = String(x); // JS writes an exponent only below 1e-6 and from 1e21
  if (!plain.includes('e')) return plain;
  const neg = x < 0;
  const [mantissa, expText] = Math.abs(x).toExponential().split('e');
  const exp = Number(expText);
  const digits = mantissa.replace('.', '');
  let out: string;
  if (exp < 0) out = '0.' + '0'.repeat(-exp - 1) + digits;
  else if (digits.length <= exp + 1) out = digits + '0'.repeat(exp + 1 - digits.length);
  else out = digits.slice(0, exp + 1) + '.' + digits.slice(exp + 1);
  return neg ? '-' + out : out;
}

/** Go's Time.String(). */
export function formatGoTime(t: Time): string {
  return formatTime(t.at, '2006-01-02 15:04:05.999999999 -0700 MST');
}

/** Go's fmt `%v` of a value; `charge` is told of every value printed (a run's budget). */
export function formatValue(v: Value, depth = 0, charge?: () => void): string {
  checkDepth(depth);
  charge?.();
  if (v === null) return '<nil>';
  switch (typeof v) {
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      return Number.isInteger(v) ? String(v) : formatFloat(v);
    case 'string':
      return v;
  }
  if (v instanceof Float) return formatFloat(v.value);
  if (Array.isArray(v)) return '[' + v.map((x) => formatValue(x, depth + 1, charge)).join(' ') + ']';
  if (v instanceof Map) {
    const keys = [...v.keys()].sort(compareStrings);
    return 'map[' + keys.map((k) => `${k}:${formatValue(v.get(k) ?? null, depth + 1, charge)}`).join(' ') + ']';
  }
  if (v instanceof AnyMap) {
    const pairs = [...v.entries.values()].sort(([a], [b]) => compareKeys(a, b));
    return 'map[' + pairs.map(([k, x]) => `${formatValue(k, depth + 1, charge)}:${formatValue(x, depth + 1, charge)}`).join(' ') + ']';
  }
  if (v instanceof Duration) return formatDuration(v.ns);
  if (v instanceof Time) return formatGoTime(v);
  if (v instanceof Zone) return v.loc.name;
  if (v instanceof Bytes) return '[' + [...v.data].join(' ') + ']';
  if (v instanceof Callable) return `func ${v.name}`;
  return String(v);
}

/** Byte order of Go strings (UTF-16 code unit order differs only for astral characters). */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i) ?? 0;
    const y = b.codePointAt(i) ?? 0;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

/** fmt's order of map keys: by kind, then by value. */
function compareKeys(a: Value, b: Value): number {
  const rank = (v: Value): number => (v === null ? 0 : typeof v === 'boolean' ? 1 : typeof v === 'number' || v instanceof Float ? 2 : typeof v === 'string' ? 3 : 4);
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (typeof a === 'string' && typeof b === 'string') return compareStrings(a, b);
  const na = typeof a === 'number' ? a : a instanceof Float ? a.value : a === true ? 1 : 0;
  const nb = typeof b === 'number' ? b : b instanceof Float ? b.value : b === true ? 1 : 0;
  return na - nb;
}
