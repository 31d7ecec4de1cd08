/**
 * Size limits on what one process can build (spec.md "Memory"). The string limit is enforced inside Fengari
 * (scripts/fengari-patches/06-max-string.js) wherever a Lua string grows; host code that builds a string out
 * of Lua strings checks it here.
 */
import { raise, type LuaState } from './lua'; // first: Fengari must be loaded before any of its internal modules
import { wisp_limits } from 'fengari/src/luaconf';

/** The largest Lua string: 64 MiB. */
export const MAX_STRING_BYTES = wisp_limits.max_string;

/** The error every string that would grow past the limit raises. */
export const STRING_TOO_LARGE = `string too large (max ${MAX_STRING_BYTES} bytes)`;

/** Raises STRING_TOO_LARGE when a JS string about to become a Lua string is certainly over the limit. */
export function checkStringSize(L: LuaState, s: string): void {
  // A UTF-16 unit is at least one UTF-8 byte, at most three.
  if (s.length > MAX_STRING_BYTES || (s.length * 3 > MAX_STRING_BYTES && Buffer.byteLength(s) > MAX_STRING_BYTES)) {
    raise(L, STRING_TOO_LARGE);
  }
}
