/**
 * Every conversion to and from plain JS data (what JSON, YAML and the embedding API hold):
 * - `valueToPlain` / `plainToValue`: a portable value (kernel/value.ts) to plain data and back; loops, so any depth;
 * - `luaToPlain`: the Lua value on a stack straight to plain data the way Wippy's ToGoAny does (yaml encode,
 *   json.validate), recursive and so bounded by MAX_PLAIN_DEPTH.
 * (Lua stack <-> portable value, the copy `process.send` makes, is values.ts.)
 */
import { tick } from '../lib/checkpoint';
import { lua, type LuaState, decodeUtf8 } from './lua';
import { identityAt } from './slots';
import { typeName } from './vm';
import { ErrorValue, LuaFloat, Table, type Value } from '../kernel/value';
import { pushValue, type ValueContext } from './values';

/**
 * How deep data may nest for the converters and encoders that recurse (luaToPlain, json, the embedding
 * API's data): Wippy's encoders stop at the same depth. Copies between processes are loops and have their
 * own, larger bound (MAX_VALUE_DEPTH in values.ts).
 */
export const MAX_PLAIN_DEPTH = 128;

/** Data that luaToPlain refuses: a table inside itself, or nested deeper than MAX_PLAIN_DEPTH. */
export class PlainError extends Error {}

export type Plain = null | boolean | number | string | Plain[] | { [key: string]: Plain };

export interface PlainOptions {
  /** Tables deeper than this become '<too deep>' (log fields and previews keep it small). Default: no bound. */
  readonly maxDepth?: number;
  /** Converts everything that is not a table (default: floats to numbers, bytes and errors to text). */
  readonly scalar?: (v: Exclude<Value, Table>) => unknown;
}

/**
 * Converts a portable value to plain JSON-friendly JS (for logs and tests): tables become arrays or objects.
 * A table inside itself becomes '<cycle>'; tables nested deeper than `options.maxDepth` become '<too deep>' (log
 * fields use a small depth, since JSON.stringify recurses). A loop, never JS recursion, whatever the depth.
 */
export function valueToPlain(v: Value, options: PlainOptions = {}): unknown {
  const { maxDepth = Infinity, scalar = plainScalar } = options;
  if (!(v instanceof Table)) return scalar(v);
  interface Frame {
    readonly table: Table;
    readonly entries: IterableIterator<[Value, Value]>;
    readonly out: unknown[] | Record<string, unknown>;
  }
  const path = new Set<Table>();
  const frames: Frame[] = [];
  /** The plain form of `x`; a table not on the path yet gets its (still empty) array or object, filled later. */
  const enter = (x: Value): unknown => {
    if (!(x instanceof Table)) return scalar(x);
    if (path.has(x)) return '<cycle>';
    if (frames.length >= maxDepth) return '<too deep>';
    const n = x.map.size;
    let isArray = n > 0;
    for (let i = 1; i <= n && isArray; i++) if (!x.map.has(i)) isArray = false;
    const out: unknown[] | Record<string, unknown> = isArray ? new Array<unknown>(n) : {};
    path.add(x);
    frames.push({ table: x, entries: x.map.entries(), out });
    return out;
  };
  const result = enter(v);
  while (frames.length > 0) {
    const f = frames[frames.length - 1];
    const next = f.entries.next();
    if (next.done) {
      frames.pop();
      path.delete(f.table);
      continue;
    }
    const [k, x] = next.value;
    if (Array.isArray(f.out)) {
      f.out[(k as number) - 1] = enter(x);
    } else {
      const key = k instanceof Table ? '<table>' : String(plainScalar(k));
      f.out[key] = enter(x);
    }
  }
  return result;
}

function plainScalar(v: Exclude<Value, Table>): unknown {
  if (v instanceof LuaFloat) return v.value;
  if (v instanceof Uint8Array) return new TextDecoder().decode(v);
  if (v instanceof ErrorValue) return v.message;
  return v;
}

/** Converts plain JS data (YAML/JSON: service `input`, CLI values) to a portable value. */
export function plainToValue(x: unknown): Value {
  if (x === null || x === undefined) return null;
  if (typeof x === 'boolean' || typeof x === 'number' || typeof x === 'string') return x;
  if (x instanceof Uint8Array || x instanceof Table || x instanceof LuaFloat || x instanceof ErrorValue) return x;
  if (x instanceof Date) return x.toISOString();
  if (Array.isArray(x)) return Table.from({}, x.map(plainToValue));
  if (typeof x === 'object') {
    const t = new Table();
    for (const [k, v] of Object.entries(x as Record<string, unknown>)) if (v !== null && v !== undefined) t.map.set(k, plainToValue(v));
    return t;
  }
  return String(x);
}

/** The Lua value at `idx` as plain data, the way Wippy's ToGoAny does: a table with a positive length is a list of 1..n. */
export function luaToPlain(T: LuaState, idx: number): Plain {
  return luaToPlainAt(T, idx, 0, new Set());
}

function luaToPlainAt(T: LuaState, idx: number, depth: number, seen: Set<unknown>): Plain {
  tick();
  switch (lua.lua_type(T, idx)) {
    case lua.LUA_TNIL:
      return null;
    case lua.LUA_TBOOLEAN:
      return lua.lua_toboolean(T, idx);
    case lua.LUA_TNUMBER:
      return lua.lua_tonumber(T, idx);
    case lua.LUA_TSTRING:
      return decodeUtf8(lua.lua_tolstring(T, idx) as Uint8Array);
    case lua.LUA_TTABLE:
      break;
    default:
      return typeName(lua.lua_type(T, idx));
  }
  idx = lua.lua_absindex(T, idx);
  if (depth > MAX_PLAIN_DEPTH) throw new PlainError('exceeded maximum nesting depth');
  const id = identityAt(T, idx);
  if (seen.has(id)) throw new PlainError('cannot encode recursively nested tables');
  seen.add(id);
  lua.lua_checkstack(T, 4);
  let out: Plain;
  const n = lua.lua_rawlen(T, idx);
  if (n > 0) {
    const list: Plain[] = [];
    for (let i = 1; i <= n; i++) {
      lua.lua_rawgeti(T, idx, i);
      list.push(luaToPlainAt(T, -1, depth + 1, seen));
      lua.lua_settop(T, -2);
    }
    out = list;
  } else {
    const map: { [key: string]: Plain } = {};
    lua.lua_pushnil(T);
    while (lua.lua_next(T, idx)) {
      lua.lua_pushvalue(T, -2);
      const key = lua.lua_type(T, -1) === lua.LUA_TSTRING || lua.lua_type(T, -1) === lua.LUA_TNUMBER
        ? decodeUtf8(lua.lua_tolstring(T, -1) as Uint8Array)
        : String(luaToPlainAt(T, -1, depth + 1, seen));
      lua.lua_settop(T, -2);
      map[key] = luaToPlainAt(T, -1, depth + 1, seen);
      lua.lua_settop(T, -2);
    }
    out = map;
  }
  seen.delete(id);
  return out;
}


/** Pushes plain data (a service's config, a record's fields) as the Lua value plainToValue makes of it. */
export function pushPlain(T: LuaState, x: unknown, context: ValueContext): void {
  pushValue(T, plainToValue(x), context);
}
