/** The conversions between the embedding API's plain data (values.ts) and the kernel's portable values. */
import { ErrorValue, fromPlain, Table, toPlain, LuaFloat, type Value } from '../kernel/value';
import { LuaError, type LuaData } from './values';

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
