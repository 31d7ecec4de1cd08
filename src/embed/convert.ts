/** The conversions between the embedding API's plain data (values.ts) and the kernel's portable values. */
import { ErrorValue, Table, LuaFloat, type Value } from '../kernel/value';
import { LuaError, type LuaData } from './values';
import { MAX_PLAIN_DEPTH, plainToValue, valueToPlain } from '../engine/plain';

/**
 * The kernel's value for data from JavaScript (undefined fields are left out, as nil would be); throws a
 * LuaError (Invalid) for data that contains itself or nests too deep.
 */
export function toValue(data: unknown): Value {
  return convert(data, new Set());
}

function convert(data: unknown, path: Set<object>): Value {
  if (data instanceof LuaError) return new ErrorValue(data.message, data.kind, data.retryable);
  if (data instanceof Error) return new ErrorValue(data.message);
  if (data instanceof Uint8Array) return data;
  if (typeof data === 'bigint') return Number(data);
  if (data === null || typeof data !== 'object' || data instanceof Date) return plainToValue(data);
  if (path.has(data)) throw new LuaError('cannot pass a value that contains itself to Lua', 'Invalid', false);
  if (path.size >= MAX_PLAIN_DEPTH) throw new LuaError(`value nested deeper than ${MAX_PLAIN_DEPTH} levels`, 'Invalid', false);
  path.add(data);
  try {
    const t = new Table();
    // An array's holes (undefined, null) are nils, as in a Lua sequence with gaps; nil and NaN keys cannot exist.
    const entries: Iterable<[unknown, unknown]> = Array.isArray(data) ? data.map((v, i) => [i + 1, v]) : data instanceof Map ? data : Object.entries(data);
    for (const [k, v] of entries) {
      if (v === undefined || v === null) continue;
      const key = convert(k, path);
      if (key === null || Number.isNaN(key)) continue;
      t.map.set(key, convert(v, path));
    }
    return t;
  } finally {
    path.delete(data);
  }
}

/** Plain data for a kernel value; a table reached twice is converted twice, a cycle becomes '<cycle>'. */
export function fromValue(value: Value): LuaData {
  return valueToPlain(value, { scalar: scalarData }) as LuaData;
}

export function toLuaError(e: ErrorValue): LuaError {
  return new LuaError(e.message, e.kind, e.retryable, e.stack);
}

function scalarData(v: Exclude<Value, Table>): LuaData {
  if (v instanceof LuaFloat) return v.value;
  if (v instanceof ErrorValue) return toLuaError(v);
  return v;
}
