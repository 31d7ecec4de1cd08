/**
 * What crosses between JavaScript and Lua through the embedding API: plain data. Tables become arrays (a
 * sequence 1..n) or objects, Lua strings become strings (or bytes when they are not UTF-8), error values become
 * LuaError. Integers and floats are both JS numbers on this side (Lua's 4.0 arrives as 4).
 */
import { ErrorValue, fromPlain, Table, toPlain, LuaFloat, type Value } from '../kernel/value';

/** A value JavaScript sends to Lua or receives from it. */
export type LuaData = null | boolean | number | string | Uint8Array | LuaError | readonly LuaData[] | { readonly [key: string]: LuaData };

/** A Lua error value (Wippy's error objects: a message and a kind such as "NotFound" or "Invalid"). */
export class LuaError extends Error {
  constructor(
    message: string,
    /** Wippy's error kind ("" when unknown). */
    readonly kind: string = '',
    readonly retryable: boolean | null = null,
    /** The Lua traceback, when Lua code raised it. */
    readonly traceback: string | null = null,
  ) {
    super(message);
    this.name = 'LuaError';
  }
}

/** The kernel's value for data from JavaScript (undefined fields are left out, as nil would be). */
export function toValue(data: unknown): Value {
  if (data instanceof LuaError) return new ErrorValue(data.message, data.kind, data.retryable);
  if (data instanceof Error) return new ErrorValue(data.message);
  if (data instanceof Uint8Array) return data;
  if (typeof data === 'bigint') return Number(data);
  if (Array.isArray(data)) return Table.from({}, data.map(toValue));
  if (data instanceof Map) {
    const t = new Table();
    for (const [k, v] of data) if (v !== undefined && v !== null) t.map.set(toValue(k), toValue(v));
    return t;
  }
  if (data !== null && typeof data === 'object' && !(data instanceof Date)) {
    const t = new Table();
    for (const [k, v] of Object.entries(data)) if (v !== undefined && v !== null) t.map.set(k, toValue(v));
    return t;
  }
  return fromPlain(data);
}

/** Plain data for a kernel value; a table reached twice is converted twice, a cycle becomes '<cycle>'. */
export function fromValue(value: Value): LuaData {
  return toPlain(value, Infinity, scalarData) as LuaData;
}

export function toLuaError(e: ErrorValue): LuaError {
  return new LuaError(e.message, e.kind, e.retryable, e.stack);
}

function scalarData(v: Exclude<Value, Table>): LuaData {
  if (v instanceof LuaFloat) return v.value;
  if (v instanceof ErrorValue) return toLuaError(v);
  return v;
}
