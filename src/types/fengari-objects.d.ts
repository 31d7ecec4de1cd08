/**
 * Fengari's object model as the memory watchdog walks it (src/engine/memory.ts, read-only apart from the
 * `id` marks it sets and restores). Lua values are TValues (`type` tag, `value` object); collectable objects
 * carry a unique `id`. Value copies (src/engine/values.ts) read small tables' entries directly too.
 */
declare module 'fengari/src/ltable' {
  import type { TValue } from 'fengari';
  /** An entry of a table; the live ones are a list in insertion order, from `Table.f` through `n`. */
  export interface TableEntry {
    key: TValue;
    value: TValue;
    n: TableEntry | undefined;
  }
  export class Table {
    id: number;
    strong: Map<unknown, TableEntry>;
    f: TableEntry | undefined;
    metatable: Table | null;
    /** The value kept under the key nil (scripts/fengari-patches/17-nil-key.js); no entry of its own. */
    wisp_nil: TValue | undefined;
  }
  /** A new empty table (what lua_createtable makes). */
  export function luaH_new(L: unknown): Table;
  /** t[key] = a copy of value, raw (key must not be nil or NaN); a nil value removes the key. */
  export function luaH_setfrom(L: unknown, t: Table, key: TValue, value: TValue): void;
  /** t[key] = a copy of value, raw, for an integer key. */
  export function luaH_setint(t: Table, key: number, value: TValue): void;
}

declare module 'fengari/src/lstate' {
  import type { TValue } from 'fengari';
  export interface CallInfo {
    next: CallInfo | null;
  }
  export class lua_State {
    id: number;
    stack: (TValue | undefined)[];
    top: number;
    base_ci: CallInfo;
  }
}

declare module 'fengari/src/lfunc' {
  import type { TValue } from 'fengari';
  import type { TString } from 'fengari/src/lstring';
  export class Proto {
    id: number;
    k: TValue[];
    p: Proto[];
    code: unknown[];
    source: TString | null;
  }
}

declare module 'fengari/src/lstring' {
  import type { LuaState } from 'fengari';
  export class TString {
    realstring: Uint8Array;
    /** Its text, once decoded (scripts/fengari-patches/15-string-text.js); valid UTF-8 only. */
    wisp_js: string | null;
  }
  /** A Lua string object holding `bytes` themselves (no copy). */
  export function luaS_bless(L: LuaState, bytes: Uint8Array): TString;
}

declare module 'fengari/src/lobject' {
  import type { TValue } from 'fengari';
  import type { Table } from 'fengari/src/ltable';
  import type { Proto } from 'fengari/src/lfunc';
  export class LClosure {
    id: number;
    p: Proto | null;
    upvals: (TValue | undefined)[];
  }
  export class CClosure {
    id: number;
    upvalue: TValue[];
  }
  /** The Udata class itself (fengari.d.ts declares its constructor as `Udata`). */
  export interface UdataObject {
    id: number;
    metatable: Table | null;
    uservalue: TValue;
    data: unknown;
  }
}

declare module 'fengari/src/ldebug' {
  import type { Hook, LuaState } from 'fengari';
  export function lua_gethook(L: LuaState): Hook | null;
}
