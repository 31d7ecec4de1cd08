/**
 * What the checker knows of a value before running (expr-lang's checker/nature): its kind when the source or
 * the compile environment tells, else unknown. Names are the Go type names its error messages print.
 */
import { Bytes, Duration, Float, isInt, Time, Zone, type Value } from './values';

export type Kind =
  | 'unknown'
  | 'nil'
  | 'bool'
  | 'int'
  | 'float'
  | 'string'
  | 'array'
  | 'map'
  | 'time'
  | 'duration'
  | 'location'
  | 'bytes'
  | 'func'
  | 'predicate';

export interface Nature {
  readonly kind: Kind;
  /** The Go type name (`int`, `[]interface {}`, `unknown`). */
  readonly name: string;
  /** Array elements, map values. */
  readonly elem?: Nature;
  /** Known keys of a map (the compile environment). */
  readonly fields?: ReadonlyMap<string, Nature>;
  /** Whether a key outside `fields` is an error ("unknown name"). */
  readonly strict?: boolean;
  /** A builtin function used as a value. */
  readonly builtin?: string;
  /** A method: its parameter types and result. */
  readonly method?: { readonly params: readonly string[]; readonly result: Nature };
  /** A predicate: the nature of its body. */
  readonly out?: Nature;
}

export const UNKNOWN: Nature = { kind: 'unknown', name: 'unknown' };
/** An interface{} element: unknown to the checker, but named. */
export const ANY: Nature = { kind: 'unknown', name: 'interface {}' };
export const NIL: Nature = { kind: 'nil', name: 'nil' };
export const BOOL: Nature = { kind: 'bool', name: 'bool' };
export const INT: Nature = { kind: 'int', name: 'int' };
export const FLOAT: Nature = { kind: 'float', name: 'float64' };
export const STRING: Nature = { kind: 'string', name: 'string' };
export const TIME: Nature = { kind: 'time', name: 'time.Time' };
export const DURATION: Nature = { kind: 'duration', name: 'time.Duration' };
export const LOCATION: Nature = { kind: 'location', name: '*time.Location' };
export const BYTES: Nature = { kind: 'bytes', name: '[]uint8', elem: INT };
export const MAP: Nature = { kind: 'map', name: 'map[string]interface {}', elem: ANY };
export const ANY_MAP: Nature = { kind: 'map', name: 'map[interface {}]interface {}', elem: ANY };

export const arrayOf = (elem: Nature = ANY): Nature => ({ kind: 'array', name: '[]interface {}', elem });
export const STRINGS: Nature = { kind: 'array', name: '[]string', elem: STRING };

export const isUnknown = (n: Nature): boolean => n.kind === 'unknown';
export const isNumber = (n: Nature): boolean => n.kind === 'int' || n.kind === 'float';

/** The nature of a value given at compile time (Go's NatureOf). */
export function natureOf(v: Value, depth = 0): Nature {
  if (v === null) return NIL;
  if (typeof v === 'boolean') return BOOL;
  if (typeof v === 'string') return STRING;
  if (isInt(v)) return INT;
  if (typeof v === 'number' || v instanceof Float) return FLOAT;
  if (Array.isArray(v)) return arrayOf();
  if (v instanceof Map) return MAP;
  if (v instanceof Time) return TIME;
  if (v instanceof Duration) return DURATION;
  if (v instanceof Zone) return LOCATION;
  if (v instanceof Bytes) return BYTES;
  return depth === 0 ? ANY_MAP : ANY;
}

/** The nature of a compile environment: a strict map whose keys are the known names (Go's EnvWithCache). */
export function envNature(env: ReadonlyMap<string, Value> | null): Nature {
  const fields = new Map<string, Nature>();
  if (env !== null) for (const [k, v] of env) fields.set(k, natureOf(v));
  return { ...MAP, fields, strict: true };
}

/** Go's AssignableTo between natures (with interface{} accepting everything). */
export function assignable(from: Nature, to: Nature): boolean {
  if (to.name === 'interface {}') return true;
  if (from.kind === 'unknown' || to.kind === 'unknown') return false;
  return from.name === to.name;
}

/** Natures of builtin parameter types, by Go type name. */
export const PARAM: Record<string, Nature> = {
  string: STRING,
  int: INT,
  float64: FLOAT,
  bool: BOOL,
  'interface {}': ANY,
  '[]interface {}': arrayOf(),
  '[]string': STRINGS,
  '[]int': { kind: 'array', name: '[]int', elem: INT },
  '[]float64': { kind: 'array', name: '[]float64', elem: FLOAT },
  'time.Time': TIME,
  'time.Duration': DURATION,
  '*time.Location': LOCATION,
};

const RESULTS: Record<string, Nature> = { int: INT, float: FLOAT, string: STRING, bool: BOOL, time: TIME, duration: DURATION, location: LOCATION };

/** The nature of a method's result kind. */
export function resultNature(kind: string): Nature {
  return RESULTS[kind] ?? UNKNOWN;
}
