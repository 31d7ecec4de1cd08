/**
 * Error values (spec §3.0): userdata wrapping an ErrorValue. `tostring` and `..` give the message; methods
 * `kind`, `message`, `retryable`, `details`, `stack`; the `errors` global makes, wraps and tests them.
 */
import { lua, lauxlib, pushString, toJsString, tostringAt, type LuaState } from '../engine/lua';
import { objectAt, pushObject } from '../engine/slots';
import { exportValue, pushValue } from '../engine/values';
import { ErrorValue, type ErrorKind } from '../kernel/value';
import type { LuaVM } from '../engine/vm';
import { checkStringSize } from '../engine/limits';

const KINDS: Record<string, ErrorKind> = {
  NOT_FOUND: 'NotFound',
  ALREADY_EXISTS: 'AlreadyExists',
  INVALID: 'Invalid',
  PERMISSION_DENIED: 'PermissionDenied',
  UNAVAILABLE: 'Unavailable',
  INTERNAL: 'Internal',
  CANCELED: 'Canceled',
  CONFLICT: 'Conflict',
  TIMEOUT: 'Timeout',
  RATE_LIMITED: 'RateLimited',
  UNKNOWN: 'Unknown',
};
const KIND_NAMES = new Set<string>(Object.values(KINDS));

export function pushError(T: LuaState, vm: LuaVM, e: ErrorValue): void {
  pushObject(T, e, vm.errorMeta);
}

/** The `nil, err` convention: pushes both and returns 2. */
export function fail(T: LuaState, vm: LuaVM, message: string, kind: ErrorKind = 'Unknown'): number {
  lua.lua_pushnil(T);
  pushError(T, vm, new ErrorValue(message, kind));
  return 2;
}

function errorAt(T: LuaState, idx: number): ErrorValue | null {
  const e = objectAt(T, idx);
  return e instanceof ErrorValue ? e : null;
}


export function installErrors(vm: LuaVM): void {
  const check = (T: LuaState): ErrorValue => errorAt(T, 1) ?? lauxlib.luaL_argerror(T, 1, 'error expected');
  vm.errorMeta = vm.metatable(
    'error',
    {
      kind: (T) => (pushString(T, check(T).kind), 1),
      message: (T) => (pushString(T, check(T).message), 1),
      retryable: (T) => {
        const r = check(T).retryable;
        if (r === null) lua.lua_pushnil(T);
        else lua.lua_pushboolean(T, r);
        return 1;
      },
      details: (T) => (pushValue(T, check(T).details, vm), 1),
      stack: (T) => {
        const s = check(T).stack;
        if (s === null) lua.lua_pushnil(T);
        else pushString(T, s);
        return 1;
      },
    },
    {
      __tostring: (T) => (pushString(T, check(T).message), 1),
      __concat: (T) => {
        // As Lua's own `..` (bounded by the string limit): the two sides as strings, then lua_concat.
        lauxlib.luaL_tolstring(T, 1);
        lauxlib.luaL_tolstring(T, 2);
        lua.lua_concat(T, 2);
        return 1;
      },
      __eq: (T) => {
        const a = errorAt(T, 1);
        const b = errorAt(T, 2);
        lua.lua_pushboolean(T, a !== null && a === b);
        return 1;
      },
    },
  );

  const kindArg = (T: LuaState, idx: number): ErrorKind => {
    const k = toJsString(T, idx);
    return KIND_NAMES.has(k) ? (k as ErrorKind) : 'Unknown';
  };

  const api = vm.functionTable({
    new: (T) => {
      if (lua.lua_type(T, 1) === lua.LUA_TTABLE) {
        const get = (name: string): number => lua.lua_getfield(T, 1, name);
        get('message');
        const message = tostringAt(T, -1);
        get('kind');
        const kind = lua.lua_isnil(T, -1) ? 'Unknown' : kindArg(T, -1);
        get('retryable');
        const retryable = lua.lua_isnil(T, -1) ? null : lua.lua_toboolean(T, -1);
        get('details');
        const details = exportValue(T, -1);
        pushError(T, vm, new ErrorValue(message, kind, retryable, details));
        return 1;
      }
      pushError(T, vm, new ErrorValue(tostringAt(T, 1)));
      return 1;
    },
    wrap: (T) => {
      const inner = errorAt(T, 1);
      const message = `${tostringAt(T, 2)}: ${inner?.message ?? tostringAt(T, 1)}`;
      checkStringSize(T, message);
      pushError(T, vm, new ErrorValue(message, inner?.kind ?? 'Unknown', inner?.retryable ?? null, inner?.details ?? null));
      return 1;
    },
    is: (T) => {
      const e = errorAt(T, 1);
      lua.lua_pushboolean(T, e !== null && e.kind === kindArg(T, 2));
      return 1;
    },
  }, KINDS);
  vm.defineModule('errors', api, true);
}

