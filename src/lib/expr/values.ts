/**
 * The values an expression computes with, modelled on the Go values expr-lang sees:
 * - nil is `null`; bool, string are JS booleans and strings;
 * - int is an integral JS number, float is a non-integral JS number or a `Float` box (a float whose value
 *   happens to be integral, kept apart from the int of the same value, as Go keeps float64(2) apart from 2);
 * - arrays are JS arrays; maps with string keys (Go's map[string]any) are `Map<string, Value>`, maps with keys of
 *   any type (groupBy, fromPairs) are `AnyMap`;
 * - time.Duration, time.Time, *time.Location and []byte are boxed; `Callable` is a host function.
 */
import type { Instant, Location } from '../timefmt';

export class Float {
  constructor(readonly value: number) {}
}

export class Duration {
  constructor(readonly ns: number) {}
}

export class Time {
  constructor(readonly at: Instant) {}
}

export class Zone {
  constructor(readonly loc: Location) {}
}

export class Bytes {
  constructor(readonly data: Uint8Array) {}
}

/** A function value: a host function from the environment, or a method bound to its receiver. */
export class Callable {
  constructor(
    readonly name: string,
    readonly call: (args: Value[]) => Value,
  ) {}
}

/** Go's map[interface{}]interface{}: keys of any comparable kind (see keyOf). */
export class AnyMap {
  /** Canonical key → [original key, value]. */
  readonly entries = new Map<unknown, [Value, Value]>();

  get size(): number {
    return this.entries.size;
  }

  get(key: Value): Value {
    return this.entries.get(canonicalKey(key))?.[1] ?? null;
  }

  has(key: Value): boolean {
    return this.entries.has(canonicalKey(key));
  }

  set(key: Value, value: Value): void {
    this.entries.set(canonicalKey(key), [key, value]);
  }
}

export type StrMap = Map<string, Value>;

export type Value =
  | null
  | boolean
  | number
  | Float
  | string
  | Value[]
  | StrMap
  | AnyMap
  | Duration
  | Time
  | Zone
  | Bytes
  | Callable;

/** Key identity as Go's map uses it: ints and floats of one value differ, times compare by instant. */
function canonicalKey(key: Value): unknown {
  if (key instanceof Float) return `\u0000f${key.value}`;
  if (typeof key === 'number') return Number.isInteger(key) ? key : `\u0000f${key}`;
  if (typeof key === 'string') return key.startsWith('\u0000') ? `\u0000s${key}` : key;
  if (key instanceof Duration) return `\u0000d${key.ns}`;
  if (key instanceof Time) return `\u0000t${key.at.sec}.${key.at.nsec}`;
  return key; // null, booleans; arrays and maps are not comparable in Go and are keyed by identity
}

export const isInt = (v: Value): v is number => typeof v === 'number' && Number.isInteger(v);
export const isFloat = (v: Value): boolean => v instanceof Float || (typeof v === 'number' && !Number.isInteger(v));
export const isNumber = (v: Value): v is number | Float => typeof v === 'number' || v instanceof Float;
export const isMap = (v: Value): v is StrMap | AnyMap => v instanceof Map || v instanceof AnyMap;

/** The JS number of an int or float. */
export const numberOf = (v: number | Float): number => (typeof v === 'number' ? v : v.value);

/** A float result: boxed when its value is integral. */
export const float = (x: number): number | Float => (Number.isInteger(x) ? new Float(x) : x);

const TWO_63 = 2 ** 63;

/**
 * An int result. Go's int is 64-bit and wraps; ours is exact up to 2^53 and wraps through BigInt beyond
 * (keeping only a float's precision of the wrapped value).
 */
export function int(x: number): number {
  if (Number.isSafeInteger(x)) return x + 0; // `+ 0` turns -0 into 0
  if (!Number.isFinite(x)) return 0;
  if (x >= -TWO_63 && x < TWO_63) return Math.trunc(x) + 0;
  return Number(BigInt.asIntN(64, BigInt(Math.trunc(x))));
}

/** Go's int64(f) conversion of a float (truncation; out of range gives the minimum int, as on amd64). */
export function truncToInt(f: number): number {
  if (!Number.isFinite(f) || f >= TWO_63 || f < -TWO_63) return -TWO_63;
  return Math.trunc(f) + 0;
}

/** The Go type name of a value, as `%T` prints it. */
export function goType(v: Value): string {
  if (v === null) return '<nil>';
  switch (typeof v) {
    case 'boolean':
      return 'bool';
    case 'number':
      return Number.isInteger(v) ? 'int' : 'float64';
    case 'string':
      return 'string';
  }
  if (v instanceof Float) return 'float64';
  if (Array.isArray(v)) return '[]interface {}';
  if (v instanceof Map) return 'map[string]interface {}';
  if (v instanceof AnyMap) return 'map[interface {}]interface {}';
  if (v instanceof Duration) return 'time.Duration';
  if (v instanceof Time) return 'time.Time';
  if (v instanceof Zone) return '*time.Location';
  if (v instanceof Bytes) return '[]uint8';
  return 'func(...interface {}) interface {}';
}

/** Go's reflect.Kind name of a value (`take`, `keys` and friends name the kind in their errors). */
export function goKind(v: Value): string {
  if (v === null) return 'invalid';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'string';
  if (isInt(v) || v instanceof Duration) return 'int';
  if (isNumber(v)) return 'float64';
  if (Array.isArray(v) || v instanceof Bytes) return 'slice';
  if (isMap(v)) return 'map';
  if (v instanceof Time) return 'struct';
  if (v instanceof Zone) return 'ptr';
  return 'func';
}

/** An error raised while evaluating; the message is Go's panic or error text. */
export class EvalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EvalError';
  }
}

export function fail(message: string): never {
  throw new EvalError(message);
}

/** Go's failed type assertion `v.(T)` on an interface{}. */
export function conversionError(v: Value, want: string): never {
  return fail(`interface conversion: interface {} is ${v === null ? 'nil' : goType(v)}, not ${want}`);
}

export function asString(v: Value): string {
  return typeof v === 'string' ? v : conversionError(v, 'string');
}

export function asBool(v: Value): boolean {
  return typeof v === 'boolean' ? v : conversionError(v, 'bool');
}

export function asInt(v: Value): number {
  return isInt(v) ? v : conversionError(v, 'int');
}

/** Go's runtime.ToInt: any number, truncated. */
export function toInt(v: Value, name = 'int'): number {
  if (isInt(v)) return v;
  if (isNumber(v)) return truncToInt(numberOf(v));
  return fail(`invalid operation: ${name}(${goType(v)})`);
}

/** Go's runtime.ToFloat64. */
export function toFloat(v: Value): number {
  if (isNumber(v)) return numberOf(v);
  return fail(`invalid operation: float(${goType(v)})`);
}

/** How deep values may nest for the operations that walk them (equality, printing, JSON, flatten). */
export const MAX_DEPTH = 1000;

export function checkDepth(depth: number): void {
  if (depth > MAX_DEPTH) fail('recursion depth exceeded');
}
