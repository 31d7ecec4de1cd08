/**
 * Lua values ⇄ expression values, by Wippy's rules (value.ToGoAny one way, payload.GoToLua the other): Lua
 * integers are ints and floats floats; a table with an array part is an array of its first elements, any
 * other table a map with string keys; results come back as Lua values, with times as Unix seconds.
 */
import { lua, pushNumber, pushString, type LuaState, decodeUtf8 } from '../../engine/lua';
import { exportValue } from '../../engine/values';
import { ErrorValue, LuaFloat, Table, type Value as LuaValue } from '../../kernel/value';
import { formatValue } from '../../lib/expr/format';
import { AnyMap, Bytes, Callable, Duration, EvalError, Float, Time, Zone, goType, type Value } from '../../lib/expr';

/** How deeply a table may nest to become an expression value. */
export const MAX_NESTING = 200;

/** A Lua table that cannot become an expression value (cyclic, or nested too deep). */
export class ConvertError extends Error {}

/** The length of the array part, as go-lua's MaxN sees it for tables made by Lua code (1..n present). */
function arrayLength(t: Table): number {
  let n = 0;
  while (t.map.has(n + 1)) n++;
  return n;
}

function keyText(k: LuaValue): string {
  if (typeof k === 'string') return k;
  if (k instanceof Uint8Array) return decodeUtf8(k);
  if (k instanceof LuaFloat) return String(k.value);
  if (k instanceof Table) return 'table';
  if (k instanceof ErrorValue) return k.message;
  return String(k);
}

function fromLua(v: LuaValue, path: Set<Table>): Value {
  if (v === null || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string') return v;
  if (v instanceof LuaFloat) return new Float(v.value);
  if (v instanceof Uint8Array) return decodeUtf8(v);
  if (v instanceof ErrorValue) return v.message;
  if (path.has(v)) throw new ConvertError('table is cyclic');
  if (path.size >= MAX_NESTING) throw new ConvertError(`table nested too deep (more than ${MAX_NESTING} levels)`);
  path.add(v);
  try {
    const n = arrayLength(v);
    if (n > 0) {
      const out = new Array<Value>(n);
      for (let i = 1; i <= n; i++) out[i - 1] = fromLua(v.map.get(i) ?? null, path);
      return out;
    }
    const m = new Map<string, Value>();
    for (const [k, x] of v.map) m.set(keyText(k), fromLua(x, path));
    return m;
  } finally {
    path.delete(v);
  }
}

/** The Lua value at `idx` as an expression value; throws ConvertError. */
export function valueAt(T: LuaState, idx: number): Value {
  return fromLua(exportValue(T, idx), new Set());
}

/** Pushes an expression result; throws EvalError (Wippy's "unsupported type") for what Lua cannot hold. */
export function pushResult(T: LuaState, v: Value, depth = 0): void {
  if (depth > MAX_NESTING) throw new EvalError('value nested too deep to return');
  if (!lua.lua_checkstack(T, 3)) throw new EvalError('value nested too deep to return');
  if (v === null) lua.lua_pushnil(T);
  else if (typeof v === 'boolean') lua.lua_pushboolean(T, v);
  else if (typeof v === 'number') {
    if (Number.isInteger(v)) pushNumber(T, v);
    else lua.lua_pushnumber(T, v);
  } else if (typeof v === 'string') pushString(T, v);
  else if (v instanceof Float) lua.lua_pushnumber(T, v.value);
  else if (v instanceof Time) lua.lua_pushnumber(T, v.at.sec);
  else if (v instanceof Bytes) lua.lua_pushstring(T, v.data);
  else if (Array.isArray(v)) {
    lua.lua_createtable(T, v.length, 0);
    v.forEach((x, i) => {
      pushResult(T, x, depth + 1);
      lua.lua_rawseti(T, -2, i + 1);
    });
  } else if (v instanceof Map) {
    lua.lua_createtable(T, 0, v.size);
    for (const [k, x] of v) {
      pushString(T, k);
      pushResult(T, x, depth + 1);
      lua.lua_rawset(T, -3);
    }
  } else if (v instanceof AnyMap) {
    lua.lua_createtable(T, 0, v.size);
    for (const [k, x] of v.entries.values()) {
      pushString(T, formatValue(k));
      pushResult(T, x, depth + 1);
      lua.lua_rawset(T, -3);
    }
  } else if (v instanceof Zone) lua.lua_createtable(T, 0, 0);
  else if (v instanceof Duration || v instanceof Callable) throw new EvalError(`unsupported type: ${goType(v)}`);
  else throw new EvalError(`unsupported type: ${goType(v)}`);
}
