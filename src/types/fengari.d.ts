/**
 * The parts of Fengari (Lua 5.3 in JS) that wisp uses. Fengari ships no types; this is the one place they live.
 * Opaque Lua objects are branded so they cannot be confused with plain JS values. A few internals (stack
 * slots, userdata payloads, table objects) are declared too: `src/engine/slots.ts` is the only user.
 */
declare module 'fengari' {
  /** Lua strings are byte arrays. */
  export type LuaString = Uint8Array;

  /** A Lua value as Fengari stores it on a stack or in a table (internal). */
  export class TValue {
    constructor(type: number, value: unknown);
    type: number;
    value: unknown;
  }

  /** A Lua thread (a `lua_State`). `stack`, `top` and `l_G` are internals. */
  export interface LuaState {
    readonly __luaStateBrand: unique symbol;
    stack: TValue[];
    top: number;
    /** The running call; `funcOff` is the stack index of the called function (its arguments follow). */
    ci: { funcOff: number };
    status: number;
    /** 0 while a hook runs (hooks cannot nest); internal. */
    allowhook: number;
    l_G: {
      mainthread: LuaState;
      l_registry: TValue;
      /** wisp's patch calls it every 16384 pattern-match steps (scripts/fengari-patches/04-match-steps.js). */
      wisp_match_hook?: (L: LuaState) => void;
    };
  }

  /** A full userdata object (internal). `data` is the payload wisp attaches. */
  export interface Udata {
    metatable: LuaTable | null;
    data: unknown;
  }

  /** A Lua table object (internal; opaque to wisp). */
  export interface LuaTable {
    readonly __luaTableBrand: unique symbol;
  }

  /** What lua_getinfo fills in (the fields wisp reads). */
  export class lua_Debug {
    constructor();
    short_src: LuaString | null;
    currentline: number;
    name: LuaString | null;
    what: LuaString | null;
  }

  export type JSFunction = (L: LuaState) => number;
  export type KFunction = (L: LuaState, status: number, ctx: unknown) => number;
  export type Hook = (L: LuaState, ar: unknown) => void;
  export type Reader = (L: LuaState, data: unknown, size: unknown) => LuaString | null;

  export const lua: {
    LUA_OK: 0; LUA_YIELD: 1; LUA_ERRRUN: 2; LUA_ERRSYNTAX: 3; LUA_ERRMEM: 4; LUA_ERRGCMM: 5; LUA_ERRERR: 6;
    LUA_TNONE: -1; LUA_TNIL: 0; LUA_TBOOLEAN: 1; LUA_TLIGHTUSERDATA: 2; LUA_TNUMBER: 3; LUA_TSTRING: 4;
    LUA_TTABLE: 5; LUA_TFUNCTION: 6; LUA_TUSERDATA: 7; LUA_TTHREAD: 8;
    LUA_MULTRET: -1;
    LUA_REGISTRYINDEX: number;
    LUA_RIDX_GLOBALS: number;
    LUA_RIDX_MAINTHREAD: number;
    LUA_MASKCALL: number; LUA_MASKRET: number; LUA_MASKLINE: number; LUA_MASKCOUNT: number;
    LUA_MINSTACK: number;

    lua_Debug: typeof lua_Debug;
    lua_getstack(L: LuaState, level: number, ar: lua_Debug): boolean;
    lua_getinfo(L: LuaState, what: LuaString | string, ar: lua_Debug): boolean;
    lua_absindex(L: LuaState, idx: number): number;
    lua_atnativeerror(L: LuaState, f: JSFunction): JSFunction | null;
    lua_call(L: LuaState, nargs: number, nresults: number): void;
    lua_callk(L: LuaState, nargs: number, nresults: number, ctx: unknown, k: KFunction): void;
    lua_checkstack(L: LuaState, n: number): boolean;
    lua_compare(L: LuaState, a: number, b: number, op: number): boolean;
    lua_concat(L: LuaState, n: number): void;
    lua_copy(L: LuaState, from: number, to: number): void;
    lua_createtable(L: LuaState, narr: number, nrec: number): void;
    lua_error(L: LuaState): never;
    lua_getfield(L: LuaState, idx: number, k: LuaString | string): number;
    lua_getglobal(L: LuaState, name: LuaString | string): number;
    lua_geti(L: LuaState, idx: number, n: number): number;
    lua_getmetatable(L: LuaState, idx: number): boolean;
    lua_gettable(L: LuaState, idx: number): number;
    lua_gettop(L: LuaState): number;
    lua_insert(L: LuaState, idx: number): void;
    lua_isinteger(L: LuaState, idx: number): boolean;
    lua_isnil(L: LuaState, idx: number): boolean;
    lua_isnoneornil(L: LuaState, idx: number): boolean;
    lua_isnumber(L: LuaState, idx: number): boolean;
    lua_isstring(L: LuaState, idx: number): boolean;
    lua_isyieldable(L: LuaState): boolean;
    lua_load(L: LuaState, reader: Reader, data: unknown, chunkname: LuaString, mode: LuaString | null): number;
    lua_newtable(L: LuaState): void;
    lua_newthread(L: LuaState): LuaState;
    lua_newuserdata(L: LuaState, size: number): Record<string, unknown>;
    lua_next(L: LuaState, idx: number): boolean;
    lua_pcall(L: LuaState, nargs: number, nresults: number, msgh: number): number;
    lua_pop(L: LuaState, n: number): void;
    lua_pushboolean(L: LuaState, b: boolean | number): void;
    lua_pushcclosure(L: LuaState, f: JSFunction, n: number): void;
    lua_pushinteger(L: LuaState, n: number): void;
    lua_pushjsclosure(L: LuaState, f: JSFunction, n: number): void;
    lua_pushjsfunction(L: LuaState, f: JSFunction): void;
    lua_pushlightuserdata(L: LuaState, p: unknown): void;
    lua_pushliteral(L: LuaState, s: string): LuaString;
    lua_pushnil(L: LuaState): void;
    lua_pushnumber(L: LuaState, n: number): void;
    lua_pushstring(L: LuaState, s: LuaString | null): LuaString;
    lua_pushthread(L: LuaState): boolean;
    lua_pushvalue(L: LuaState, idx: number): void;
    lua_rawequal(L: LuaState, a: number, b: number): boolean;
    lua_rawget(L: LuaState, idx: number): number;
    lua_rawgeti(L: LuaState, idx: number, n: number): number;
    lua_rawgetp(L: LuaState, idx: number, p: unknown): number;
    lua_rawlen(L: LuaState, idx: number): number;
    lua_rawset(L: LuaState, idx: number): void;
    lua_rawseti(L: LuaState, idx: number, n: number): void;
    lua_rawsetp(L: LuaState, idx: number, p: unknown): void;
    lua_remove(L: LuaState, idx: number): void;
    lua_replace(L: LuaState, idx: number): void;
    lua_resume(L: LuaState, from: LuaState | null, nargs: number): number;
    lua_rotate(L: LuaState, idx: number, n: number): void;
    lua_setfield(L: LuaState, idx: number, k: LuaString | string): void;
    lua_setglobal(L: LuaState, name: LuaString | string): void;
    lua_sethook(L: LuaState, f: Hook | null, mask: number, count: number): void;
    lua_seti(L: LuaState, idx: number, n: number): void;
    lua_setmetatable(L: LuaState, idx: number): void;
    lua_settable(L: LuaState, idx: number): void;
    lua_settop(L: LuaState, idx: number): void;
    lua_setupvalue(L: LuaState, funcindex: number, n: number): LuaString | null;
    lua_status(L: LuaState): number;
    lua_toboolean(L: LuaState, idx: number): boolean;
    lua_tointeger(L: LuaState, idx: number): number;
    lua_tointegerx(L: LuaState, idx: number): number | false;
    lua_tojsstring(L: LuaState, idx: number): string;
    lua_tolstring(L: LuaState, idx: number): LuaString | null;
    lua_tonumber(L: LuaState, idx: number): number;
    lua_tonumberx(L: LuaState, idx: number): number | false;
    lua_tostring(L: LuaState, idx: number): LuaString | null;
    lua_tothread(L: LuaState, idx: number): LuaState | null;
    lua_touserdata(L: LuaState, idx: number): unknown;
    lua_type(L: LuaState, idx: number): number;
    lua_typename(L: LuaState, t: number): LuaString;
    lua_upvalueindex(i: number): number;
    lua_xmove(from: LuaState, to: LuaState, n: number): void;
    lua_yield(L: LuaState, n: number): number;
    lua_yieldk(L: LuaState, n: number, ctx: unknown, k: KFunction | null): number;
    /** lua_yieldk without a JS throw where it can (scripts/fengari-patches/09-yield-without-throw.js): return it. */
    wisp_yieldk(L: LuaState, n: number, ctx: unknown, k: KFunction | null): number;
  };

  export const lauxlib: {
    LUA_LOADED_TABLE: LuaString;
    LUA_NOREF: number;
    LUA_REFNIL: number;
    luaL_argcheck(L: LuaState, cond: boolean, arg: number, extramsg: string): void;
    luaL_argerror(L: LuaState, arg: number, extramsg: LuaString | string): never;
    luaL_checkany(L: LuaState, arg: number): void;
    luaL_checkinteger(L: LuaState, arg: number): number;
    luaL_checklstring(L: LuaState, arg: number): LuaString;
    luaL_checknumber(L: LuaState, arg: number): number;
    luaL_checkstack(L: LuaState, sz: number, msg: string | null): void;
    luaL_checkstring(L: LuaState, arg: number): LuaString;
    luaL_checktype(L: LuaState, arg: number, t: number): void;
    luaL_error(L: LuaState, fmt: LuaString | string, ...args: unknown[]): never;
    luaL_len(L: LuaState, idx: number): number;
    luaL_loadbuffer(L: LuaState, buff: LuaString, sz: number | null, name: LuaString | null): number;
    luaL_loadbufferx(L: LuaState, buff: LuaString, sz: number | null, name: LuaString | null, mode: LuaString | null): number;
    luaL_loadstring(L: LuaState, s: LuaString): number;
    luaL_newmetatable(L: LuaState, tname: LuaString | string): boolean;
    luaL_newstate(): LuaState;
    luaL_optinteger(L: LuaState, arg: number, def: number): number;
    luaL_optnumber(L: LuaState, arg: number, def: number): number;
    luaL_ref(L: LuaState, t: number): number;
    luaL_requiref(L: LuaState, modname: LuaString | string, openf: JSFunction, glb: boolean | number): void;
    luaL_setfuncs(L: LuaState, l: Record<string, JSFunction>, nup: number): void;
    luaL_setmetatable(L: LuaState, tname: LuaString | string): void;
    luaL_testudata(L: LuaState, arg: number, tname: LuaString | string): unknown;
    luaL_tolstring(L: LuaState, idx: number): LuaString;
    luaL_traceback(L: LuaState, L1: LuaState, msg: LuaString | null, level: number): void;
    luaL_typename(L: LuaState, idx: number): LuaString;
    luaL_unref(L: LuaState, t: number, ref: number): void;
    luaL_where(L: LuaState, lvl: number): void;
  };

  export const lualib: {
    luaL_openlibs(L: LuaState): void;
    luaopen_base: JSFunction;
    luaopen_coroutine: JSFunction;
    luaopen_math: JSFunction;
    luaopen_os: JSFunction;
    luaopen_string: JSFunction;
    luaopen_table: JSFunction;
    luaopen_utf8: JSFunction;
  };

  export function to_luastring(s: string, cache?: boolean): LuaString;
  export function to_jsstring(s: LuaString, from?: number, to?: number, replacement_char?: boolean): string;
  export function luastring_eq(a: LuaString, b: LuaString): boolean;
  export const FENGARI_VERSION: string;
}

declare module 'fengari/src/lobject' {
  import type { TValue as T, LuaState, Udata as U } from 'fengari';
  export const TValue: typeof T;
  export const Udata: new (L: LuaState, size: number) => U;
}
