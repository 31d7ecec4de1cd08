/** Lua value → plain JS data (Wippy's ToGoAny), shared by yaml encode and json.validate. */
import { tick } from '../lib/checkpoint';
import { lua, type LuaState, decodeUtf8 } from '../engine/lua';
import { identityAt } from '../engine/slots';
import { typeName } from '../engine/vm';

export const MAX_DEPTH = 128;
export class PlainError extends Error {}

export type Plain = null | boolean | number | string | Plain[] | { [key: string]: Plain };


/** Lua → plain JS the way Wippy's ToGoAny does: a table with a positive length is a list of 1..n. */
export function toPlain(T: LuaState, idx: number, depth: number, seen: Set<unknown>): Plain {
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
  if (depth > MAX_DEPTH) throw new PlainError('exceeded maximum nesting depth');
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
      list.push(toPlain(T, -1, depth + 1, seen));
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
        : String(toPlain(T, -1, depth + 1, seen));
      lua.lua_settop(T, -2);
      map[key] = toPlain(T, -1, depth + 1, seen);
      lua.lua_settop(T, -2);
    }
    out = map;
  }
  seen.delete(id);
  return out;
}

