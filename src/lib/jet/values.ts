/**
 * The values a Jet template computes with. Data values are the Go values expressions share (../expr/values:
 * nil, bool, int, float, string, []interface{}, map[string]interface{}); Jet adds function values (Go
 * functions with typed parameters, Jet's own Func, SafeWriters), rangers, renderers and the interface wrapper
 * Go's reflection leaves around the elements a range visits.
 */
import { formatValue, fixedOf } from '../expr/format';
import { Bytes, Float, goType, isInt, type Value as DataValue } from '../expr/values';
import type { Arguments } from './runtime';

export class JetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JetError';
  }
}

/** A Go function called through reflection: arguments are converted to its parameter types. */
export class GoFunc {
  constructor(
    readonly name: string,
    /** Go type names of the parameters; the last is the element type when variadic. */
    readonly params: readonly string[],
    readonly results: string,
    readonly call: (args: Value[]) => Value,
    readonly variadic = false,
  ) {}

  /** The Go type, as Jet's messages print it (`func(string, int) string`). */
  get type(): string {
    const params = this.params.map((p, i) => (this.variadic && i === this.params.length - 1 ? `...${p}` : p));
    return `func(${params.join(', ')}) ${this.results}`;
  }
}

/** Jet's Func: receives its arguments unevaluated (isset, len, map, exec, ...). */
export class NativeFunc {
  constructor(
    readonly name: string,
    readonly call: (a: Arguments) => Value,
  ) {}
}

/** Jet's SafeWriter: writes a value's text through its own escaping (raw, safeHtml, safeJs). */
export class SafeWriter {
  constructor(
    readonly name: string,
    readonly escape: (text: string) => string,
  ) {}
}

/** Jet's Ranger: what `range` iterates besides slices and maps (`ints`). */
export interface Ranger {
  readonly providesIndex: boolean;
  /** The next index and value, or null at the end. */
  next(): [Value, Value] | null;
}

export class IntsRanger implements Ranger {
  readonly providesIndex = true;
  private i = -1;
  private value: number;

  constructor(
    from: number,
    private readonly to: number,
  ) {
    this.value = from - 1;
  }

  next(): [Value, Value] | null {
    this.i++;
    this.value++;
    return this.value === this.to ? null : [this.i, this.value];
  }
}

/** A value that renders itself instead of being printed (writeJson, includeIfExists's hidden result). */
export class Renderer {
  constructor(readonly render: (write: (text: string) => void) => void) {}
}

/** An error caught by `{{ try }}...{{ catch err }}`: `err.Error()` gives its message. */
export class CaughtError {
  constructor(readonly message: string) {}
}

/** A value seen through an interface{} (a range over a slice or map makes the element `.` one of these). */
export class Iface {
  constructor(readonly value: Value) {}
}

export type Value = DataValue | GoFunc | NativeFunc | SafeWriter | IntsRanger | Renderer | CaughtError | Iface;

/** The concrete value behind interface wrappers (Go's indirectInterface). */
export function unwrap(v: Value): Value {
  return v instanceof Iface ? v.value : v;
}

export const isIntValue = (v: Value): v is number => typeof v === 'number' && Number.isInteger(v);
export const isFloatValue = (v: Value): boolean => v instanceof Float || (typeof v === 'number' && !Number.isInteger(v));
export const isNumeric = (v: Value): v is number | Float => typeof v === 'number' || v instanceof Float;
export const numeric = (v: number | Float): number => (typeof v === 'number' ? v : v.value);
export const isFunc = (v: Value): boolean => v instanceof GoFunc || v instanceof NativeFunc || v instanceof SafeWriter;

/** Go's reflect type string of a value (getTypeString), `<invalid>` for nil. */
export function typeString(v: Value): string {
  if (v === null) return '<invalid>';
  if (v instanceof Iface) return 'interface {}';
  if (v instanceof GoFunc) return v.type;
  if (v instanceof NativeFunc) return 'jet.Func';
  if (v instanceof SafeWriter) return 'jet.SafeWriter';
  if (v instanceof IntsRanger) return '*jet.intsRanger';
  if (v instanceof Renderer) return 'jet.RendererFunc';
  if (v instanceof CaughtError) return '*errors.errorString';
  return goType(v);
}

/** Go's reflect kind name of a value (`non numeric value in index expression kind string`). */
export function kindName(v: Value): string {
  if (v === null) return 'invalid';
  if (v instanceof Iface) return 'interface';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'string';
  if (isIntValue(v)) return 'int';
  if (isNumeric(v)) return 'float64';
  if (Array.isArray(v) || v instanceof Bytes) return 'slice';
  if (v instanceof Map) return 'map';
  if (v instanceof GoFunc || v instanceof NativeFunc || v instanceof SafeWriter || v instanceof Renderer) return 'func';
  return 'ptr';
}

/** How a data value prints through fmt's %v (elements of containers, values seen through an interface). */
export function formatV(v: Value): string {
  if (v instanceof Iface) return formatV(v.value);
  if (v instanceof CaughtError) return v.message;
  if (v === null) return '<nil>';
  if (v instanceof GoFunc || v instanceof NativeFunc || v instanceof SafeWriter || v instanceof IntsRanger || v instanceof Renderer) {
    return '0xc000010000';
  }
  return formatValue(v);
}

/** How an action's value prints (fastprinter.PrintValue): numbers without exponent, containers through %v. */
export function printValue(v: Value): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (isIntValue(v)) return String(v);
  if (typeof v === 'number') return Number.isFinite(v) ? fixedOf(v) : Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf';
  if (v instanceof Float) return fixedOf(v.value);
  if (v instanceof Bytes) return Buffer.from(v.data).toString('utf8');
  return formatV(v);
}

/** Go's template.HTMLEscape: the escaping every action's output gets unless a SafeWriter writes it. */
export function htmlEscape(s: string): string {
  let out = '';
  let last = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 62 || (c !== 60 && c !== 62 && c !== 38 && c !== 39 && c !== 34 && c !== 0)) continue;
    out += s.slice(last, i) + HTML_ESCAPES[s[i]];
    last = i + 1;
  }
  return last === 0 ? s : out + s.slice(last);
}

const HTML_ESCAPES: Record<string, string> = {
  '<': '&lt;',
  '>': '&gt;',
  '&': '&amp;',
  "'": '&#39;',
  '"': '&#34;',
  '\u0000': '\ufffd',
};

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

/** Go's template.JSEscape. */
export function jsEscape(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    switch (ch) {
      case '\\':
        out += '\\\\';
        continue;
      case "'":
        out += "\\'";
        continue;
      case '"':
        out += '\\"';
        continue;
      case '<':
        out += '\\u003C';
        continue;
      case '>':
        out += '\\u003E';
        continue;
      case '&':
        out += '\\u0026';
        continue;
      case '=':
        out += '\\u003D';
        continue;
    }
    if (cp < 0x20 || (cp >= 0x80 && !PRINTABLE.test(ch))) out += '\\u' + cp.toString(16).toUpperCase().padStart(4, '0');
    else out += ch;
  }
  return out;
}

/** Go's html.EscapeString (the `html` function). */
export function escapeString(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => HTML_STRING_ESCAPES[c]);
}

const HTML_STRING_ESCAPES: Record<string, string> = { '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&#39;', '"': '&#34;' };

/** Go's url.QueryEscape. */
export function queryEscape(s: string): string {
  return encodeURIComponent(s)
    .replace(/%20/g, '+')
    .replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())
    .replace(/~/g, '~');
}

export { isInt };
