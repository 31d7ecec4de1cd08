/**
 * expr-lang's vm/runtime: operators, indexing, slicing and membership on values, with Go's semantics and its
 * panic texts. Work proportional to the size of the values (comparing arrays, searching them) is charged to the
 * budget; strings that grow are checked against its size limit.
 */
import { addDuration, subInstants, type Instant } from '../timefmt';
import { compareStrings, formatValue } from './format';
import { bindMethod } from './methods';
import {
  AnyMap,
  Bytes,
  checkDepth,
  Duration,
  fail,
  Float,
  float,
  goType,
  int,
  isInt,
  isNumber,
  numberOf,
  Time,
  toFloat,
  toInt,
  type Value,
} from './values';

export interface Limits {
  /** Evaluation steps (nodes evaluated, elements visited) one run may take. */
  readonly maxSteps: number;
  /** Go's MemoryBudget: elements of arrays and maps one run may create. */
  readonly memoryBudget: number;
  /** The longest string (in UTF-16 code units) a run may build. */
  readonly maxStringLength: number;
}

export const DEFAULT_LIMITS: Limits = Object.freeze({
  maxSteps: 10_000_000,
  memoryBudget: 1_000_000,
  maxStringLength: 4 * 1024 * 1024,
});

/** What one run has used. */
export class Budget {
  steps = 0;
  memory = 0;

  constructor(readonly limits: Limits) {}

  /** Charges `n` steps. */
  step(n = 1): void {
    this.steps += n;
    if (this.steps > this.limits.maxSteps) fail(`step budget exceeded (more than ${this.limits.maxSteps} steps)`);
  }

  /** Charges for scanning `n` characters or elements. */
  scan(n: number): void {
    this.step(1 + (n >>> 6));
  }

  /** Go's memGrow. */
  grow(n: number): void {
    this.memory += n;
    if (this.memory >= this.limits.memoryBudget) fail('memory budget exceeded');
  }

  /** Refuses a string of `n` characters when that is more than the limit. */
  length(n: number): void {
    if (n > this.limits.maxStringLength) fail(`string too long (more than ${this.limits.maxStringLength} characters)`);
  }

  /** A string result, refused when it is longer than the limit. */
  string(s: string): string {
    this.length(s.length);
    return s;
  }
}

const ASCII = /^[\x00-\x7f]*$/;

/** The UTF-8 bytes of a string Go would index (ASCII strings are their own bytes). */
export function utf8(s: string): Uint8Array {
  return Buffer.from(s, 'utf8');
}

/** Go's len(s) in bytes. */
export function byteLength(s: string): number {
  return ASCII.test(s) ? s.length : Buffer.byteLength(s, 'utf8');
}

/** Go's utf8.RuneCountInString. */
export function runeCount(s: string): number {
  if (ASCII.test(s)) return s.length;
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Go's s[a:b] on a string (byte offsets). */
export function byteSlice(s: string, a: number, b: number): string {
  if (ASCII.test(s)) return s.slice(a, b);
  return Buffer.from(utf8(s).subarray(a, b)).toString('utf8');
}

export function isNil(v: Value): boolean {
  return v === null;
}

function bothNumbers(a: Value, b: Value): boolean {
  return isNumber(a) && isNumber(b);
}

/** Go's runtime.Equal. */
export function equal(a: Value, b: Value, budget: Budget, depth = 0): boolean {
  checkDepth(depth);
  budget.step();
  if (isNumber(a)) return isNumber(b) && numberOf(a) === numberOf(b);
  if (Array.isArray(a)) {
    if (!Array.isArray(b)) return false;
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!equal(a[i], b[i], budget, depth + 1)) return false;
    return true;
  }
  if (typeof a === 'string') {
    if (typeof b !== 'string') return false;
    budget.scan(Math.min(a.length, b.length));
    return a === b;
  }
  if (typeof a === 'boolean' || a === null) return a === b;
  if (a instanceof Time) return b instanceof Time && a.at.sec === b.at.sec && a.at.nsec === b.at.nsec;
  if (a instanceof Duration) return b instanceof Duration && a.ns === b.ns;
  return deepEqual(a, b, budget, depth);
}

/** Go's reflect.DeepEqual (types must match exactly: 1 and 1.0 differ). */
function deepEqual(a: Value, b: Value, budget: Budget, depth: number): boolean {
  checkDepth(depth);
  budget.step();
  if (a === b) return true;
  if (a === null || b === null) return false;
  if (typeof a === 'number' || a instanceof Float) {
    return goType(a) === goType(b) && numberOf(a) === numberOf(b as number | Float);
  }
  if (typeof a !== 'object' || typeof b !== 'object') return a === b;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i], budget, depth + 1)) return false;
    return true;
  }
  if (a instanceof Map) {
    if (!(b instanceof Map) || a.size !== b.size) return false;
    for (const [k, v] of a) {
      if (!b.has(k) || !deepEqual(v, b.get(k) ?? null, budget, depth + 1)) return false;
    }
    return true;
  }
  if (a instanceof AnyMap) {
    if (!(b instanceof AnyMap) || a.size !== b.size) return false;
    for (const [k, v] of a.entries.values()) {
      if (!b.has(k) || !deepEqual(v, b.get(k), budget, depth + 1)) return false;
    }
    return true;
  }
  if (a instanceof Bytes) {
    return b instanceof Bytes && a.data.length === b.data.length && a.data.every((x, i) => x === b.data[i]);
  }
  if (a instanceof Time) return b instanceof Time && a.at.sec === b.at.sec && a.at.nsec === b.at.nsec && a.at.loc === b.at.loc;
  if (a instanceof Duration) return b instanceof Duration && a.ns === b.ns;
  return false;
}

type Order = (c: number) => boolean;

function compare(a: Value, b: Value, op: string, order: Order, budget: Budget): boolean {
  if (bothNumbers(a, b)) return order(numberOf(a as number) - numberOf(b as number));
  if (typeof a === 'string' && typeof b === 'string') {
    budget.scan(Math.min(a.length, b.length));
    return order(compareStrings(a, b));
  }
  if (a instanceof Time && b instanceof Time) return order(subInstants(a.at, b.at));
  if (a instanceof Duration && b instanceof Duration) return order(a.ns - b.ns);
  return fail(`invalid operation: ${goType(a)} ${op} ${goType(b)}`);
}

export const less = (a: Value, b: Value, budget: Budget): boolean => compare(a, b, '<', (c) => c < 0, budget);
export const more = (a: Value, b: Value, budget: Budget): boolean => compare(a, b, '>', (c) => c > 0, budget);
export const lessOrEqual = (a: Value, b: Value, budget: Budget): boolean => compare(a, b, '<=', (c) => c <= 0, budget);
export const moreOrEqual = (a: Value, b: Value, budget: Budget): boolean => compare(a, b, '>=', (c) => c >= 0, budget);

function intResult(exact: number, a: number, b: number, big: (x: bigint, y: bigint) => bigint): number {
  if (Number.isSafeInteger(exact)) return exact + 0;
  return Number(BigInt.asIntN(64, big(BigInt(a), BigInt(b))));
}

function arithmetic(a: Value, b: Value, op: string, f: (x: number, y: number) => number, big: (x: bigint, y: bigint) => bigint): Value {
  if (isInt(a) && isInt(b)) return intResult(f(a, b), a, b, big);
  return float(f(numberOf(a as number), numberOf(b as number)));
}

const bigAdd = (x: bigint, y: bigint): bigint => x + y;
const bigSub = (x: bigint, y: bigint): bigint => x - y;
const bigMul = (x: bigint, y: bigint): bigint => x * y;

export function add(a: Value, b: Value, budget: Budget): Value {
  if (bothNumbers(a, b)) return arithmetic(a, b, '+', (x, y) => x + y, bigAdd);
  if (typeof a === 'string' && typeof b === 'string') {
    budget.scan(a.length + b.length);
    return budget.string(a + b);
  }
  if (a instanceof Time && b instanceof Duration) return new Time(addDuration(a.at, b.ns));
  if (a instanceof Duration) {
    if (b instanceof Time) return new Time(addDuration(b.at, a.ns));
    if (b instanceof Duration) return new Duration(int(a.ns + b.ns));
  }
  return fail(`invalid operation: ${goType(a)} + ${goType(b)}`);
}

export function subtract(a: Value, b: Value): Value {
  if (bothNumbers(a, b)) return arithmetic(a, b, '-', (x, y) => x - y, bigSub);
  if (a instanceof Time) {
    if (b instanceof Time) return new Duration(int(subInstants(a.at, b.at)));
    if (b instanceof Duration) return new Time(addDuration(a.at, -b.ns));
  }
  if (a instanceof Duration && b instanceof Duration) return new Duration(int(a.ns - b.ns));
  return fail(`invalid operation: ${goType(a)} - ${goType(b)}`);
}

export function multiply(a: Value, b: Value): Value {
  if (bothNumbers(a, b)) return arithmetic(a, b, '*', (x, y) => x * y, bigMul);
  const aDur = a instanceof Duration;
  const bDur = b instanceof Duration;
  if ((aDur || isNumber(a)) && (bDur || isNumber(b))) {
    const x = aDur ? (a as Duration).ns : numberOf(a as number);
    const y = bDur ? (b as Duration).ns : numberOf(b as number);
    if ((!aDur && !isInt(a)) || (!bDur && !isInt(b))) return float(x * y);
    return new Duration(intResult(x * y, x, y, bigMul));
  }
  return fail(`invalid operation: ${goType(a)} * ${goType(b)}`);
}

export function divide(a: Value, b: Value): Value {
  if (bothNumbers(a, b)) return float(numberOf(a as number) / numberOf(b as number));
  return fail(`invalid operation: ${goType(a)} / ${goType(b)}`);
}

export function modulo(a: Value, b: Value): Value {
  if (isInt(a) && isInt(b)) {
    if (b === 0) fail('runtime error: integer divide by zero');
    return (a % b) + 0;
  }
  return fail(`invalid operation: ${goType(a)} % ${goType(b)}`);
}

export function exponent(a: Value, b: Value): Value {
  return float(Math.pow(toFloat(a), toFloat(b)));
}

export function negate(v: Value): Value {
  if (isInt(v)) return int(-v);
  if (typeof v === 'number') return -v;
  if (v instanceof Float) return new Float(-v.value);
  return fail(`invalid operation: - ${goType(v)}`);
}

/** Go's runtime.Len (bytes of a string); the `len` builtin counts runes instead. */
export function length(v: Value): number {
  if (Array.isArray(v)) return v.length;
  if (typeof v === 'string') return byteLength(v);
  if (v instanceof Map || v instanceof AnyMap) return v.size;
  if (v instanceof Bytes) return v.data.length;
  return fail(`invalid argument for len (type ${goType(v)})`);
}

/** Looks `key` up in a map the way Go's reflect MapIndex does. */
export function mapIndex(m: Map<string, Value> | AnyMap, key: Value): { found: boolean; value: Value } {
  if (m instanceof AnyMap) return { found: m.has(key), value: m.get(key) };
  if (key === null) key = '';
  if (typeof key !== 'string') fail(`reflect.Value.MapIndex: value of type ${goType(key)} is not assignable to type string`);
  const value = m.get(key);
  return { found: value !== undefined, value: value ?? null };
}

function indexInto(len: number, key: Value): number {
  let index = toInt(key);
  if (index < 0) index += len;
  if (index < 0 || index >= len) fail(`index out of range: ${index} (array length is ${len})`);
  return index;
}

/** Go's runtime.Fetch: `from[key]` and `from.key`. */
export function fetch(from: Value, key: Value, budget?: Budget): Value {
  if (from === null) return fail(`cannot fetch ${formatValue(key)} from <nil>`);
  if (typeof key === 'string') {
    const method = bindMethod(from, key);
    if (method !== null) return method;
  }
  if (Array.isArray(from)) return from[indexInto(from.length, key)];
  if (typeof from === 'string') {
    budget?.scan(from.length);
    const bytes = ASCII.test(from) ? null : utf8(from);
    const index = indexInto(bytes === null ? from.length : bytes.length, key);
    return bytes === null ? from.charCodeAt(index) : bytes[index];
  }
  if (from instanceof Bytes) return from.data[indexInto(from.data.length, key)];
  if (from instanceof Map || from instanceof AnyMap) return mapIndex(from, key).value;
  return fail(`cannot fetch ${formatValue(key)} from ${goType(from)}`);
}

/** Go's runtime.Slice: `v[from:to]`, clamped. */
export function slice(v: Value, from: Value, to: Value, budget?: Budget): Value {
  if (Array.isArray(v) || typeof v === 'string' || v instanceof Bytes) {
    budget?.scan(typeof v === 'string' ? v.length : 0);
    const len = length(v);
    let a = toInt(from);
    let b = toInt(to);
    if (a < 0) a += len;
    if (a < 0) a = 0;
    if (b < 0) b += len;
    if (b < 0) b = 0;
    if (b > len) b = len;
    if (a > b) a = b;
    if (Array.isArray(v)) return v.slice(a, b);
    if (v instanceof Bytes) return new Bytes(v.data.slice(a, b));
    return byteSlice(v, a, b);
  }
  return fail(`cannot slice ${formatValue(from)}`);
}

/** Go's runtime.In: `needle in haystack`. */
export function within(needle: Value, haystack: Value, budget: Budget): boolean {
  if (haystack === null) return false;
  if (Array.isArray(haystack)) {
    for (const item of haystack) if (equal(item, needle, budget)) return true;
    return false;
  }
  if (haystack instanceof Map || haystack instanceof AnyMap) return mapIndex(haystack, needle).found;
  return fail(`operator "in" not defined on ${goType(haystack)}`);
}

/** Go's runtime.MakeRange, charged to the memory budget. */
export function range(a: Value, b: Value, budget: Budget): Value {
  const min = toInt(a);
  const max = toInt(b);
  const size = Math.max(max - min + 1, 0);
  budget.grow(size);
  const out = new Array<Value>(size);
  for (let i = 0; i < size; i++) out[i] = min + i;
  return out;
}

export type { Instant };
