/**
 * expr-lang's builtin functions other than the predicate ones (builtin/builtin.go, lib.go): what the checker
 * accepts (`types` overloads or a `validate` function, with Go's messages) and what they compute (with Go's
 * panic and error texts).
 */
import { parseDuration } from '../duration';
import { mapCase, replace as goReplace, splitN, trimRunes, trimSpace } from '../gostrings';
import { loadLocation, LocationError, now, parseTime, TimeParseError, LAYOUTS, inLocation, type Location } from '../timefmt';
import { formatValue } from './format';
import { fromJSON, toJSON } from './json';
import { bindMethod } from './methods';
import {
  ANY,
  ANY_MAP,
  arrayOf,
  DURATION,
  FLOAT,
  INT,
  isUnknown,
  LOCATION,
  STRING,
  STRINGS,
  TIME,
  type Nature,
} from './natures';
import {
  byteLength,
  Budget,
  equal,
  fetch,
  length,
  less,
  mapIndex,
  more,
  runeCount,
  utf8,
} from './runtime';
import {
  AnyMap,
  asString,
  Bytes,
  Callable,
  checkDepth,
  conversionError,
  Duration,
  EvalError,
  fail,
  Float,
  float,
  goKind,
  goType,
  int,
  isInt,
  isMap,
  isNumber,
  numberOf,
  Time,
  toInt,
  truncToInt,
  Zone,
  type Value,
} from './values';

export interface Signature {
  /** Go type names of the parameters (see natures.PARAM). */
  readonly params: readonly string[];
  readonly variadic?: boolean;
  readonly out: Nature;
}

export interface Builtin {
  readonly types?: readonly Signature[];
  /** Go's Validate: the result nature, or the error message. */
  readonly validate?: (args: Nature[]) => Nature | string;
  readonly run: (args: Value[], budget: Budget) => Value;
}

const sig = (params: string[], out: Nature, variadic = false): Signature => ({ params, out, variadic });

const count = (args: unknown[], n: number): string | null =>
  args.length !== n ? `invalid number of arguments (expected ${n}, got ${args.length})` : null;

function oneArg(check: (n: Nature) => Nature | string): (args: Nature[]) => Nature | string {
  return (args) => count(args, 1) ?? check(args[0]);
}

const isArrayNature = (n: Nature): boolean => n.kind === 'array' || n.kind === 'bytes';
const isNumericNature = (n: Nature): boolean => n.kind === 'int' || n.kind === 'float';

function validateRound(name: string): (args: Nature[]) => Nature | string {
  return oneArg((a) => (isNumericNature(a) || isUnknown(a) ? FLOAT : `invalid argument for ${name} (type ${a.name})`));
}

function validateAggregate(name: string): (args: Nature[]) => Nature | string {
  return (args) => {
    if (args.length === 0) return `not enough arguments to call ${name}`;
    for (const a of args) {
      if (isUnknown(a) || isArrayNature(a)) return ANY;
      if (!isNumericNature(a)) return `invalid argument for ${name} (type ${a.name})`;
    }
    return args[0];
  };
}

const isArrayValue = (v: Value): v is Value[] => Array.isArray(v);

/** The elements of an array-like value (arrays; []byte as ints). */
function elementsOf(v: Value): Value[] | null {
  if (Array.isArray(v)) return v;
  if (v instanceof Bytes) return [...v.data];
  return null;
}

// ---------------------------------------------------------------------------------------------------- strings

/** A UTF-16 index into s as Go's byte offset. */
const byteIndex = (s: string, at: number): number => (at < 0 ? -1 : byteLength(s.slice(0, at)));

/** Go's strconv.Atoi. */
function atoi(s: string): number | null {
  if (!/^[+-]?[0-9]+$/.test(s)) return null;
  const big = BigInt(s);
  if (big > (1n << 63n) - 1n || big < -(1n << 63n)) return null;
  return Number(big);
}

/** Go's strconv.ParseFloat(s, 64) (decimal, hex, inf and nan forms). */
function parseFloat64(s: string): number | null {
  const t = s.replace(/_/g, '');
  if (/^[+-]?(inf|infinity)$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(s)) return NaN;
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) {
    const f = Number(s);
    return Number.isFinite(f) ? f : null;
  }
  if (/^[+-]?0[xX]([0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)[pP][+-]?\d+$/.test(t)) {
    const m = /^([+-]?)0[xX]([0-9a-fA-F]*)\.?([0-9a-fA-F]*)[pP]([+-]?\d+)$/.exec(t);
    if (m === null) return null;
    const mant = parseInt(m[2] + m[3] || '0', 16) / Math.pow(16, m[3].length);
    const f = mant * Math.pow(2, Number(m[4]));
    return m[1] === '-' ? -f : f;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------- numbers

/** Go's minMax: numbers and (nested) arrays of numbers; nil when there are none. */
function minMax(name: string, better: (a: Value, b: Value) => boolean, args: Value[], budget: Budget, depth = 0): Value {
  checkDepth(depth);
  let val: Value = null;
  const consider = (x: Value): void => {
    if (val === null || better(val, x)) val = x;
  };
  for (const arg of args) {
    budget.step();
    const items = elementsOf(arg);
    if (items !== null) {
      for (const item of items) {
        budget.step();
        if (isNumber(item)) consider(item);
        else if (elementsOf(item) !== null) {
          const nested = minMax(name, better, [item], budget, depth + 1);
          if (nested !== null) consider(nested);
        } else fail(`invalid argument for ${name} (type ${goType(item)})`);
      }
    } else if (isNumber(arg)) {
      consider(arg);
    } else {
      if (args.length === 1) return arg;
      fail(`invalid argument for ${name} (type ${goType(arg)})`);
    }
  }
  return val;
}

/** The numbers of mean/median's arguments, flattened. */
function numbersOf(name: string, args: Value[], budget: Budget, out: number[] = [], depth = 0): number[] {
  checkDepth(depth);
  for (const arg of args) {
    budget.step();
    const items = elementsOf(arg);
    if (items !== null) numbersOf(name, items, budget, out, depth + 1);
    else if (isNumber(arg)) out.push(numberOf(arg));
    else fail(`invalid argument for ${name} (type ${goType(arg)})`);
  }
  return out;
}

function roundTo(name: string, f: (x: number) => number): (args: Value[]) => Value {
  return ([x]) => {
    if (isInt(x)) return new Float(x);
    if (isNumber(x)) return float(f(numberOf(x)));
    return fail(`invalid argument for ${name} (type ${goType(x)})`);
  };
}

const goRound = (x: number): number => (x < 0 ? -Math.round(-x) : Math.round(x));

// ---------------------------------------------------------------------------------------------------- bits

function bitArg(v: Value, name: string): bigint {
  if (!isInt(v)) fail(`cannot use ${goType(v)} as argument (type int) to call ${name}`);
  return BigInt(v);
}

function bitFunc(name: string, f: (x: bigint, y: bigint) => bigint): Builtin {
  return {
    types: [sig(['int', 'int'], INT)],
    run: (args) => {
      if (args.length !== 2) fail(`invalid number of arguments for ${name} (expected 2, got ${args.length})`);
      const x = bitArg(args[0], name);
      const y = bitArg(args[1], name);
      return Number(BigInt.asIntN(64, f(x, y)));
    },
  };
}

function shift(name: string, f: (x: bigint, y: bigint) => bigint): Builtin {
  return bitFunc(name, (x, y) => {
    if (y < 0n) fail(`invalid operation: negative shift count ${y} (type int)`);
    return f(x, y > 64n ? 64n : y);
  });
}

// ---------------------------------------------------------------------------------------------------- time

const DATE_LAYOUTS = ['2006-01-02', '15:04:05', '2006-01-02 15:04:05', LAYOUTS.RFC3339, LAYOUTS.RFC822, LAYOUTS.RFC850, LAYOUTS.RFC1123];

function timeError(e: unknown): never {
  if (e instanceof TimeParseError || e instanceof LocationError || (e instanceof Error && e.name === 'DurationError')) fail(e.message);
  throw e;
}

function location(name: string): Location {
  try {
    return loadLocation(name);
  } catch (e) {
    return timeError(e);
  }
}

function date(args: Value[]): Value {
  let tz: Location | null = null;
  if (args[0] instanceof Zone) {
    tz = args[0].loc;
    args = args.slice(1);
  }
  const text = asString(args[0]);
  try {
    if (args.length === 2) return new Time(parseTime(asString(args[1]), text, tz ?? undefined));
    if (args.length === 3) return new Time(parseTime(asString(args[1]), text, location(asString(args[2]))));
  } catch (e) {
    return timeError(e);
  }
  for (const layout of DATE_LAYOUTS) {
    try {
      return new Time(parseTime(layout, text, tz ?? undefined));
    } catch (e) {
      if (!(e instanceof TimeParseError)) throw e;
    }
  }
  return fail(`invalid date ${text}`);
}

// ---------------------------------------------------------------------------------------------------- arrays and maps

function flatten(v: Value[], budget: Budget, depth: number, out: Value[]): Value[] {
  if (depth > 10_000) fail('recursion depth exceeded');
  checkDepth(depth);
  for (const item of v) {
    budget.step();
    const nested = elementsOf(item);
    if (nested !== null) flatten(nested, budget, depth + 1, out);
    else out.push(item);
  }
  return out;
}

function mapOnly(what: string, f: (m: Map<string, Value> | AnyMap) => Value): (args: Value[]) => Value {
  return (args) => {
    const err = count(args, 1);
    if (err !== null) fail(err);
    const m = args[0];
    if (!isMap(m)) fail(`${what} ${goKind(m)}`);
    return f(m);
  };
}

function mapEntries(m: Map<string, Value> | AnyMap): [Value, Value][] {
  return m instanceof AnyMap ? [...m.entries.values()] : [...m.entries()];
}

function validateMapArg(what: string, out: Nature): (args: Nature[]) => Nature | string {
  return oneArg((a) => (isUnknown(a) || a.kind === 'map' ? out : `${what} ${a.name}`));
}

function validateArrayArg(what: string, out: (a: Nature) => Nature): (args: Nature[]) => Nature | string {
  return oneArg((a) => (isUnknown(a) || isArrayNature(a) ? out(a) : `${what} ${a.name}`));
}

function firstOrLast(index: number): Builtin {
  return {
    validate: oneArg((a) => {
      if (isUnknown(a)) return ANY;
      if (isArrayNature(a)) return a.elem ?? ANY;
      return `cannot get ${index === 0 ? 'first' : 'last'} element from ${a.name}`;
    }),
    run: ([v]) => {
      try {
        return fetch(v, index, undefined);
      } catch (e) {
        if (e instanceof EvalError) return null;
        throw e;
      }
    },
  };
}

/** Go's builtin `get`: like indexing, but nil instead of a panic for what is missing. */
function get(args: Value[]): Value {
  if (args.length < 2) fail(`invalid number of arguments (expected 2, got ${args.length})`);
  const [from, i] = args;
  if (from === null) return null;
  if (typeof i === 'string') {
    const method = bindMethod(from, i);
    if (method !== null) return method;
  }
  const items = typeof from === 'string' ? [...utf8(from)] : elementsOf(from);
  if (items !== null) {
    let index = toInt(i);
    if (index < 0) index += items.length;
    return index >= 0 && index < items.length ? items[index] : null;
  }
  if (isMap(from)) return mapIndex(from, i).value;
  return null;
}

function sortValues(args: Value[], budget: Budget): Value {
  if (args.length !== 1 && args.length !== 2) fail(`invalid number of arguments (expected 1 or 2, got ${args.length})`);
  let desc = false;
  if (args.length === 2) {
    const order = args[1];
    if (typeof order !== 'string') fail(`sort order argument must be a string (got ${goType(order)})`);
    if (order === 'desc') desc = true;
    else if (order !== 'asc') fail(`invalid order ${order}, expected asc or desc`);
  }
  if (!Array.isArray(args[0])) return null;
  const array = [...args[0]];
  budget.step(array.length * Math.max(1, Math.ceil(Math.log2(array.length + 1))));
  const lt = (a: Value, b: Value): boolean => less(a, b, budget);
  array.sort((a, b) => (desc ? (lt(b, a) ? -1 : lt(a, b) ? 1 : 0) : lt(a, b) ? -1 : lt(b, a) ? 1 : 0));
  budget.grow(array.length);
  return array;
}

// ---------------------------------------------------------------------------------------------------- the table

const TYPE_NAMES: Record<string, string> = {
  boolean: 'bool',
  string: 'string',
};

function typeName(v: Value): string {
  if (v === null) return 'nil';
  if (typeof v === 'boolean' || typeof v === 'string') return TYPE_NAMES[typeof v];
  if (isInt(v)) return 'int';
  if (isNumber(v)) return 'float';
  if (Array.isArray(v) || v instanceof Bytes) return 'array';
  if (isMap(v)) return 'map';
  if (v instanceof Time) return 'time.Time';
  if (v instanceof Duration) return 'time.Duration';
  if (v instanceof Callable) return 'func';
  return 'unknown';
}

export const BUILTINS: Record<string, Builtin> = {
  len: {
    validate: oneArg((a) =>
      isUnknown(a) || isArrayNature(a) || a.kind === 'map' || a.kind === 'string' ? INT : `invalid argument for len (type ${a.name})`,
    ),
    run: ([v]) => (typeof v === 'string' ? runeCount(v) : Array.isArray(v) || v instanceof Bytes || isMap(v) ? length(v) : fail(`invalid argument for len (type ${goType(v)})`)),
  },
  type: { types: [sig(['interface {}'], STRING)], run: ([v]) => typeName(v) },
  abs: {
    validate: oneArg((a) => (isUnknown(a) || isNumericNature(a) ? a : `invalid argument for abs (type ${a.name})`)),
    run: ([v]) => {
      if (isInt(v)) return int(Math.abs(v));
      if (typeof v === 'number') return Math.abs(v);
      if (v instanceof Float) return new Float(Math.abs(v.value));
      return fail(`invalid argument for abs (type ${goType(v)})`);
    },
  },
  ceil: { validate: validateRound('ceil'), run: roundTo('ceil', Math.ceil) },
  floor: { validate: validateRound('floor'), run: roundTo('floor', Math.floor) },
  round: { validate: validateRound('round'), run: roundTo('round', goRound) },
  int: {
    validate: oneArg((a) => (isUnknown(a) || isNumericNature(a) || a.kind === 'string' || a.kind === 'duration' ? INT : `invalid argument for int (type ${a.name})`)),
    run: ([v]) => {
      if (isInt(v)) return v;
      if (isNumber(v)) return truncToInt(numberOf(v));
      if (typeof v === 'string') return atoi(v) ?? fail(`invalid operation: int(${v})`);
      if (v instanceof Duration) return v.ns;
      return fail(`invalid operation: int(${goType(v)})`);
    },
  },
  float: {
    validate: oneArg((a) => (isUnknown(a) || isNumericNature(a) || a.kind === 'string' ? FLOAT : `invalid argument for float (type ${a.name})`)),
    run: ([v]) => {
      if (isNumber(v)) return float(numberOf(v));
      if (typeof v === 'string') {
        const f = parseFloat64(v);
        return f === null ? fail(`invalid operation: float(${v})`) : float(f);
      }
      return fail(`invalid operation: float(${goType(v)})`);
    },
  },
  string: { types: [sig(['interface {}'], STRING)], run: ([v], budget) => budget.string(formatValue(v, 0, () => budget.step())) },
  trim: {
    types: [sig(['string'], STRING), sig(['string', 'string'], STRING)],
    run: (args) => {
      if (args.length === 1) return trimSpace(asString(args[0]));
      if (args.length === 2) return trimRunes(asString(args[0]), asString(args[1]));
      return fail(`invalid number of arguments for trim (expected 1 or 2, got ${args.length})`);
    },
  },
  trimPrefix: {
    types: [sig(['string', 'string'], STRING), sig(['string'], STRING)],
    run: (args) => {
      const s = asString(args[0]);
      const prefix = args.length === 2 ? asString(args[1]) : ' ';
      return s.startsWith(prefix) ? s.slice(prefix.length) : s;
    },
  },
  trimSuffix: {
    types: [sig(['string', 'string'], STRING), sig(['string'], STRING)],
    run: (args) => {
      const s = asString(args[0]);
      const suffix = args.length === 2 ? asString(args[1]) : ' ';
      return suffix !== '' && s.endsWith(suffix) ? s.slice(0, s.length - suffix.length) : s;
    },
  },
  upper: { types: [sig(['string'], STRING)], run: ([v]) => mapCase(asString(v), true) },
  lower: { types: [sig(['string'], STRING)], run: ([v]) => mapCase(asString(v), false) },
  split: {
    types: [sig(['string', 'string'], STRINGS), sig(['string', 'string', 'int'], STRINGS)],
    run: (args, budget) => {
      if (args.length !== 2 && args.length !== 3) fail(`invalid number of arguments for split (expected 2 or 3, got ${args.length})`);
      const parts = splitN(asString(args[0]), asString(args[1]), args.length === 3 ? toInt(args[2]) : -1, false);
      budget.step(parts.length);
      return parts;
    },
  },
  splitAfter: {
    types: [sig(['string', 'string'], STRINGS), sig(['string', 'string', 'int'], STRINGS)],
    run: (args, budget) => {
      if (args.length !== 2 && args.length !== 3) fail(`invalid number of arguments for splitAfter (expected 2 or 3, got ${args.length})`);
      const parts = splitN(asString(args[0]), asString(args[1]), args.length === 3 ? toInt(args[2]) : -1, true);
      budget.step(parts.length);
      return parts;
    },
  },
  replace: {
    types: [sig(['string', 'string', 'string', 'int'], STRING), sig(['string', 'string', 'string'], STRING)],
    run: (args, budget) => {
      if (args.length === 4) return goReplace(asString(args[0]), asString(args[1]), asString(args[2]), toInt(args[3]), (n) => budget.length(n));
      if (args.length === 3) return goReplace(asString(args[0]), asString(args[1]), asString(args[2]), -1, (n) => budget.length(n));
      return fail(`invalid number of arguments for replace (expected 3 or 4, got ${args.length})`);
    },
  },
  repeat: {
    types: [sig(['string', 'int'], STRING)],
    run: ([s, times], budget) => {
      const str = asString(s);
      const n = toInt(times);
      if (n < 0) fail(`invalid argument for repeat (expected positive integer, got ${n})`);
      if (n > 1e6) fail('memory budget exceeded');
      budget.length(str.length * n);
      budget.grow(byteLength(str) * n);
      return str.repeat(n);
    },
  },
  join: {
    types: [
      sig(['[]string', 'string'], STRING),
      sig(['[]interface {}', 'string'], STRING),
      sig(['[]interface {}'], STRING),
      sig(['[]string', 'string'], STRING),
      sig(['[]string'], STRING),
    ],
    run: (args, budget) => {
      const glue = args.length === 2 ? asString(args[1]) : '';
      const items = args[0];
      if (!Array.isArray(items)) return fail(`invalid argument for join (type ${goType(items)})`);
      let size = 0;
      const parts = items.map((x) => {
        const s = asString(x);
        size += s.length + glue.length;
        budget.length(size);
        return s;
      });
      budget.step(parts.length);
      return parts.join(glue);
    },
  },
  indexOf: { types: [sig(['string', 'string'], INT)], run: ([s, sub]) => byteIndex(asString(s), asString(s).indexOf(asString(sub))) },
  lastIndexOf: { types: [sig(['string', 'string'], INT)], run: ([s, sub]) => byteIndex(asString(s), asString(s).lastIndexOf(asString(sub))) },
  hasPrefix: { types: [sig(['string', 'string'], { kind: 'bool', name: 'bool' })], run: ([s, p]) => asString(s).startsWith(asString(p)) },
  hasSuffix: { types: [sig(['string', 'string'], { kind: 'bool', name: 'bool' })], run: ([s, p]) => asString(s).endsWith(asString(p)) },
  max: { validate: validateAggregate('max'), run: (args, budget) => minMax('max', (a, b) => less(a, b, budget), args, budget) },
  min: { validate: validateAggregate('min'), run: (args, budget) => minMax('min', (a, b) => more(a, b, budget), args, budget) },
  mean: {
    validate: validateAggregate('mean'),
    run: (args, budget) => {
      const values = numbersOf('mean', args, budget);
      return values.length === 0 ? new Float(0) : float(values.reduce((a, b) => a + b, 0) / values.length);
    },
  },
  median: {
    validate: validateAggregate('median'),
    run: (args, budget) => {
      const values = numbersOf('median', args, budget).sort((a, b) => a - b);
      const n = values.length;
      if (n === 0) return new Float(0);
      return float(n % 2 === 1 ? values[(n - 1) / 2] : (values[n / 2 - 1] + values[n / 2]) / 2);
    },
  },
  toJSON: { types: [sig(['interface {}'], STRING)], run: ([v], budget) => toJSON(v, budget) },
  fromJSON: { types: [sig(['string'], ANY)], run: ([v]) => fromJSON(asString(v)) },
  toBase64: { types: [sig(['string'], STRING)], run: ([v], budget) => budget.string(Buffer.from(asString(v), 'utf8').toString('base64')) },
  fromBase64: {
    types: [sig(['string'], STRING)],
    run: ([v]) => {
      const s = asString(v);
      const bad = /[^A-Za-z0-9+/=]/.exec(s);
      if (bad !== null) fail(`illegal base64 data at input byte ${bad.index}`);
      if (s.length % 4 !== 0 || /=[^=]/.test(s)) fail(`illegal base64 data at input byte ${Math.max(0, s.length - (s.length % 4 || 4))}`);
      return Buffer.from(s, 'base64').toString('utf8');
    },
  },
  now: {
    validate: (args) => {
      if (args.length === 0) return TIME;
      if (args.length === 1 && (args[0].kind === 'location' || isUnknown(args[0]))) return TIME;
      return `invalid number of arguments (expected 0, got ${args.length})`;
    },
    run: (args) => {
      if (args.length === 0) return new Time(now());
      if (args.length === 1 && args[0] instanceof Zone) return new Time(inLocation(now(), args[0].loc));
      return fail(`invalid number of arguments (expected 0, got ${args.length})`);
    },
  },
  duration: {
    types: [sig(['string'], DURATION)],
    run: ([v]) => {
      try {
        return new Duration(parseDuration(asString(v)));
      } catch (e) {
        return timeError(e);
      }
    },
  },
  date: {
    validate: (args) => {
      if (args.length < 1) return `invalid number of arguments (expected at least 1, got ${args.length})`;
      const rest = args[0].kind === 'location' ? args.slice(1) : args;
      if (rest.length > 3) return `invalid number of arguments (expected at most 3, got ${rest.length})`;
      return TIME;
    },
    run: (args) => date(args),
  },
  timezone: { types: [sig(['string'], LOCATION)], run: ([v]) => new Zone(location(asString(v))) },
  first: firstOrLast(0),
  last: firstOrLast(-1),
  get: { run: (args) => get(args) },
  take: {
    validate: (args) => {
      const err = count(args, 2);
      if (err !== null) return err;
      if (!isUnknown(args[0]) && !isArrayNature(args[0])) return `cannot take from ${args[0].name}`;
      if (!isUnknown(args[1]) && args[1].kind !== 'int') return `cannot take ${args[1].name} elements`;
      return args[0];
    },
    run: (args) => {
      const err = count(args, 2);
      if (err !== null) fail(err);
      const items = elementsOf(args[0]);
      if (items === null) return fail(`cannot take from ${goKind(args[0])}`);
      if (!isInt(args[1])) return fail(`cannot take ${goKind(args[1])} elements`);
      const n = args[1];
      if (n < 0) fail('reflect: slice index out of range');
      return items.slice(0, Math.min(n, items.length));
    },
  },
  keys: { validate: validateMapArg('cannot get keys from', arrayOf()), run: mapOnly('cannot get keys from', (m) => mapEntries(m).map(([k]) => k)) },
  values: { validate: validateMapArg('cannot get values from', arrayOf()), run: mapOnly('cannot get values from', (m) => mapEntries(m).map(([, v]) => v)) },
  toPairs: { validate: validateMapArg('cannot transform', arrayOf()), run: mapOnly('cannot transform', (m) => mapEntries(m).map(([k, v]) => [k, v])) },
  fromPairs: {
    validate: validateArrayArg('cannot transform', () => ANY_MAP),
    run: (args, budget) => {
      const err = count(args, 1);
      if (err !== null) fail(err);
      const items = elementsOf(args[0]);
      if (items === null) return fail(`cannot transform ${formatValue(args[0])} from pairs`);
      const out = new AnyMap();
      for (const pair of items) {
        budget.step();
        const kv = elementsOf(pair);
        if (kv === null) fail(`invalid pair ${formatValue(pair)}`);
        if (kv.length !== 2) fail(`invalid pair length ${formatValue(pair)}`);
        out.set(kv[0], kv[1]);
      }
      return out;
    },
  },
  reverse: {
    validate: validateArrayArg('cannot reverse', () => arrayOf()),
    run: (args, budget) => {
      const err = count(args, 1);
      if (err !== null) fail(err);
      const items = elementsOf(args[0]);
      if (items === null) return fail(`cannot reverse ${goKind(args[0])}`);
      budget.grow(items.length);
      return [...items].reverse();
    },
  },
  uniq: {
    validate: validateArrayArg('cannot uniq', () => arrayOf()),
    run: (args, budget) => {
      const err = count(args, 1);
      if (err !== null) fail(err);
      const items = elementsOf(args[0]);
      if (items === null) return fail(`cannot uniq ${goKind(args[0])}`);
      const out: Value[] = [];
      for (const item of items) if (!out.some((seen) => equal(item, seen, budget))) out.push(item);
      return out;
    },
  },
  concat: {
    validate: (args) => {
      if (args.length === 0) return 'invalid number of arguments (expected at least 1, got 0)';
      for (const a of args) if (!isUnknown(a) && !isArrayNature(a)) return `cannot concat ${a.name}`;
      return arrayOf();
    },
    run: (args, budget) => {
      if (args.length === 0) fail('invalid number of arguments (expected at least 1, got 0)');
      const out: Value[] = [];
      for (const arg of args) {
        const items = elementsOf(arg);
        if (items === null) return fail(`cannot concat ${goKind(arg)}`);
        budget.grow(items.length);
        for (const item of items) out.push(item);
      }
      return out;
    },
  },
  flatten: {
    validate: validateArrayArg('cannot flatten', () => arrayOf()),
    run: (args, budget) => {
      const err = count(args, 1);
      if (err !== null) fail(err);
      const items = elementsOf(args[0]);
      if (items === null) return fail(`cannot flatten ${goKind(args[0])}`);
      const out = flatten(items, budget, 0, []);
      budget.grow(out.length);
      return out;
    },
  },
  sort: {
    types: [
      sig(['[]interface {}', 'string'], arrayOf()),
      sig(['[]int', 'string'], arrayOf()),
      sig(['[]float64', 'string'], arrayOf()),
      sig(['[]string', 'string'], arrayOf()),
      sig(['[]interface {}'], arrayOf()),
      sig(['[]float64'], arrayOf()),
      sig(['[]string'], arrayOf()),
      sig(['[]int'], arrayOf()),
    ],
    run: (args, budget) => sortValues(args, budget),
  },
  bitand: bitFunc('bitand', (x, y) => x & y),
  bitor: bitFunc('bitor', (x, y) => x | y),
  bitxor: bitFunc('bitxor', (x, y) => x ^ y),
  bitnand: bitFunc('bitnand', (x, y) => x & ~y),
  bitshl: shift('bitshl', (x, y) => x << y),
  bitshr: shift('bitshr', (x, y) => x >> y),
  bitushr: shift('bitushr', (x, y) => BigInt.asUintN(64, x) >> y),
  bitnot: {
    types: [sig(['int'], INT)],
    run: (args) => {
      if (args.length !== 1) fail(`invalid number of arguments for bitnot (expected 1, got ${args.length})`);
      return Number(BigInt.asIntN(64, ~bitArg(args[0], 'bitnot')));
    },
  },
};

export { isArrayValue, conversionError, STRING as STRING_NATURE };
