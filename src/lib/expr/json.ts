/** `toJSON` and `fromJSON`: Go's json.MarshalIndent(v, "", "  ") and json.Unmarshal into interface{}. */
import { formatTime } from '../timefmt';
import type { Budget } from './runtime';
import { compareStrings } from './format';
import { AnyMap, Bytes, Callable, checkDepth, Duration, fail, Float, float, goType, Time, Zone, type Value } from './values';

const ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

/** A JSON string as Go's encoder writes it (HTML-safe, like json.Marshal). */
export function jsonString(s: string): string {
  return (
    '"' +
    s.replace(/["\\\n\r\t<>&\u2028\u2029\u0000-\u001f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, (c) => {
      const known = ESCAPES[c];
      if (known !== undefined) return known;
      if (c.charCodeAt(0) >= 0xd800) return '\\ufffd';
      return '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0');
    }) +
    '"'
  );
}

function jsonNumber(x: number): string {
  if (!Number.isFinite(x)) return fail(`json: unsupported value: ${Number.isNaN(x) ? 'NaN' : x > 0 ? '+Inf' : '-Inf'}`);
  return String(x);
}

/** How a value is marshalled: Go's json.Marshal (no indent) or MarshalIndent(v, "", indent). */
export interface MarshalOptions {
  readonly indent: string | null;
  /** Told of every value written (a run's step budget). */
  readonly charge?: () => void;
  /** Refuses output longer than this. */
  readonly maxLength: number;
}

/** Go's json.Marshal / MarshalIndent of a value. */
export function marshalJSON(v: Value, options: MarshalOptions): string {
  const out: string[] = [];
  let size = 0;
  const put = (s: string): void => {
    size += s.length;
    if (size > options.maxLength) fail(`string too long (more than ${options.maxLength} characters)`);
    out.push(s);
  };
  const indenting = options.indent !== null;
  const step = options.indent ?? '';
  const write = (x: Value, indent: string, depth: number): void => {
    checkDepth(depth);
    options.charge?.();
    if (x === null) return put('null');
    if (typeof x === 'boolean') return put(x ? 'true' : 'false');
    if (typeof x === 'number') return put(jsonNumber(x));
    if (x instanceof Float) return put(jsonNumber(x.value));
    if (typeof x === 'string') return put(jsonString(x));
    if (x instanceof Duration) return put(String(x.ns));
    if (x instanceof Time) return put(jsonString(formatTime(x.at, '2006-01-02T15:04:05.999999999Z07:00')));
    if (x instanceof Zone) return put('{}');
    if (x instanceof Bytes) return put(jsonString(Buffer.from(x.data).toString('base64')));
    if (x instanceof AnyMap || x instanceof Callable) return fail(`json: unsupported type: ${goType(x)}`);
    const inner = indent + step;
    const open = (i: number): string => (indenting ? (i === 0 ? '\n' : ',\n') + inner : i === 0 ? '' : ',');
    const close = indenting ? '\n' + indent : '';
    if (Array.isArray(x)) {
      if (x.length === 0) return put('[]');
      put('[');
      x.forEach((item, i) => {
        put(open(i));
        write(item, inner, depth + 1);
      });
      return put(close + ']');
    }
    if (x.size === 0) return put('{}');
    put('{');
    [...x.keys()].sort(compareStrings).forEach((k, i) => {
      put(open(i) + jsonString(k) + (indenting ? ': ' : ':'));
      write(x.get(k) ?? null, inner, depth + 1);
    });
    put(close + '}');
  };
  write(v, '', 0);
  return out.join('');
}

/** Go's json.MarshalIndent(v, "", "  "), the `toJSON` builtin. */
export function toJSON(v: Value, budget: Budget): string {
  return marshalJSON(v, { indent: '  ', charge: () => budget.step(), maxLength: budget.limits.maxStringLength });
}

/** Go's json.Unmarshal into interface{}: numbers are float64, objects map[string]interface{}. */
export function fromJSON(text: string): Value {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return fail(jsonSyntaxError(text, e instanceof Error ? e.message : String(e)));
  }
  const convert = (x: unknown, depth: number): Value => {
    if (depth > 10_000) fail('exceeded max depth');
    checkDepth(depth);
    if (x === null || typeof x === 'boolean' || typeof x === 'string') return x;
    if (typeof x === 'number') return Number.isFinite(x) ? float(x) : fail(overflow(text));
    if (Array.isArray(x)) return x.map((item) => convert(item, depth + 1));
    const m = new Map<string, Value>();
    const o = x as Record<string, unknown>;
    for (const k in o) m.set(k, convert(o[k], depth + 1));
    return m;
  };
  return convert(parsed, 0);
}

/** Go's error for a number too large for a float64 (JSON.parse gives Infinity). */
function overflow(text: string): string {
  const literal = (text.match(/-?\d+(\.\d+)?([eE][+-]?\d+)?/g) ?? []).find((n) => !Number.isFinite(Number(n))) ?? '';
  return `json: cannot unmarshal number ${literal} into Go value of type float64`;
}

/** Go's wording for the common JSON syntax errors. */
function jsonSyntaxError(text: string, jsMessage: string): string {
  if (text.trim() === '' || /end of JSON input|Unterminated|Unexpected end/i.test(jsMessage)) return 'unexpected end of JSON input';
  const at = /position (\d+)/.exec(jsMessage);
  const token = /Unexpected token '(.)'/.exec(jsMessage);
  const pos = at !== null ? Number(at[1]) : token !== null ? text.indexOf(token[1]) : -1;
  const ch = pos >= 0 && pos < text.length ? text[pos] : null;
  if (ch === null) return 'unexpected end of JSON input';
  const shown = ch === "'" ? "'\\''" : `'${ch}'`;
  if (pos === 0 || /^\s*$/.test(text.slice(0, pos))) return `invalid character ${shown} looking for beginning of value`;
  return `invalid character ${shown} after top-level value`;
}
