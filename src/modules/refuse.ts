/** `nil, err` with a non-retryable error, as Wippy's data modules (json, yaml, base64, uuid, hash) return. */
import type { LuaState } from '../engine/lua';
import type { ErrorKind } from '../kernel/value';
import { fail } from './errors';
import type { LuaVM } from '../engine/vm';

/** The one `nil, err` of the modules (`fail`), not retryable: the error carries the caller's Lua frames. */
export function refuse(T: LuaState, vm: LuaVM, message: string, kind: ErrorKind): number {
  return fail(T, vm, message, kind, { retryable: false });
}
