/** The limits wisp patches into Fengari (scripts/fengari-patches/06-max-string.js). */
declare module 'fengari/src/luaconf' {
  import type { LuaState } from 'fengari';
  export const wisp_limits: {
    /** The largest Lua string, in bytes. */
    max_string: number;
    /** Buffers of at least this many bytes are reported to `on_big` when allocated. */
    big: number;
    on_big: ((L: LuaState, bytes: number) => void) | null;
  };
}
