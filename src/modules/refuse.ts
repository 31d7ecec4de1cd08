/** `nil, err` with a non-retryable error, as Wippy's data modules (json, yaml, base64, uuid, hash) return. */
import { lua, type LuaState } from '../engine/lua';
import { ErrorValue, type ErrorKind } from '../kernel/value';
import { pushError } from './errors';
import type { LuaVM } from '../engine/vm';

export function refuse(T: LuaState, vm: LuaVM, message: string, kind: ErrorKind): number {
  lua.lua_pushnil(T);
  pushError(T, vm, new ErrorValue(message, kind, false));
  return 2;
}
