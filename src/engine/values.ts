/**
 * Lua stack ⇄ portable values (kernel/value.ts). Export is the deep copy `process.send` makes: tables are
 * copied with cycles and shared parts preserved, integers stay integers, functions, threads and userdata other
 * than error objects become nil.
 */
import { lua, decodeStrict, encode, pushNumber, type LuaState } from './lua';
import { identityAt, objectAt, pushObject, pushSlot, slotAt, type LuaTable, type Slot } from './slots';
import { ErrorValue, LuaFloat, Table, type Value } from '../kernel/value';

/** Where error objects get their metatable when pushed. */
export interface ValueContext {
  readonly errorMeta: LuaTable;
}

export function exportValue(L: LuaState, idx: number, seen?: Map<unknown, Table>): Value {
  switch (lua.lua_type(L, idx)) {
    case lua.LUA_TBOOLEAN:
      return lua.lua_toboolean(L, idx);
    case lua.LUA_TNUMBER: {
      if (lua.lua_isinteger(L, idx)) return lua.lua_tointeger(L, idx);
      const n = lua.lua_tonumber(L, idx);
      return Number.isInteger(n) ? new LuaFloat(n) : n;
    }
    case lua.LUA_TSTRING: {
      const bytes = lua.lua_tolstring(L, idx) as Uint8Array;
      return decodeStrict(bytes) ?? bytes;
    }
    case lua.LUA_TTABLE:
      return exportTable(L, lua.lua_absindex(L, idx), seen ?? new Map<unknown, Table>());
    case lua.LUA_TUSERDATA: {
      const obj = objectAt(L, idx);
      return obj instanceof ErrorValue ? obj : null;
    }
    default:
      return null;
  }
}

function exportTable(L: LuaState, idx: number, seen: Map<unknown, Table>): Table {
  const id = identityAt(L, idx);
  const known = seen.get(id);
  if (known !== undefined) return known;
  const t = new Table();
  seen.set(id, t);
  lua.lua_checkstack(L, 4);
  lua.lua_pushnil(L);
  while (lua.lua_next(L, idx)) {
    const value = exportValue(L, -1, seen);
    if (value !== null) t.map.set(exportValue(L, -2, seen), value);
    lua.lua_settop(L, -2);
  }
  return t;
}

/** Exports values idx..top (spawn arguments, multiple payloads). */
export function exportRange(L: LuaState, from: number): Value[] {
  const top = lua.lua_gettop(L);
  if (top < from) return [];
  if (top === from) return [exportValue(L, from)];
  const seen = new Map<unknown, Table>();
  const out: Value[] = [];
  for (let i = from; i <= top; i++) out.push(exportValue(L, i, seen));
  return out;
}

export function pushValue(L: LuaState, v: Value, ctx: ValueContext, made = new Map<Table, Slot>()): void {
  if (v === null) lua.lua_pushnil(L);
  else if (typeof v === 'boolean') lua.lua_pushboolean(L, v);
  else if (typeof v === 'number') pushNumber(L, v);
  else if (typeof v === 'string') lua.lua_pushstring(L, encode(v));
  else if (v instanceof Uint8Array) lua.lua_pushstring(L, v);
  else if (v instanceof LuaFloat) lua.lua_pushnumber(L, v.value);
  else if (v instanceof Table) pushTable(L, v, ctx, made);
  else pushObject(L, v, ctx.errorMeta);
}

function pushTable(L: LuaState, t: Table, ctx: ValueContext, made: Map<Table, Slot>): void {
  const known = made.get(t);
  if (known !== undefined) {
    pushSlot(L, known); // the same Lua table again: shared parts and cycles survive the copy
    return;
  }
  lua.lua_checkstack(L, 4);
  lua.lua_createtable(L, 0, t.map.size);
  made.set(t, slotAt(L, -1));
  for (const [k, v] of t.map) {
    pushValue(L, k, ctx, made);
    pushValue(L, v, ctx, made);
    lua.lua_rawset(L, -3);
  }
}
