/**
 * Detached Lua values held by JS ("slots"), and JS objects as Lua userdata.
 *
 * Channel buffers, pending resume values and identity-stable userdata (a channel compared with `==`) need Lua
 * values that live outside any stack. The public API offers only registry refs, which cost a table write and
 * a read per value; Fengari's garbage collector is the JS one, so a copy of the stack cell is enough to keep a
 * value alive. Fengari's internals are touched here (detached cells, userdata payloads), in lua.ts (strings
 * pushed straight onto the stack, the type tags) and, read-only, in memory.ts (the watchdog's walk).
 */
import { TValue, Udata as UdataObject } from 'fengari/src/lobject';
import type { LuaState, LuaTable, Udata, TValue as Slot } from 'fengari';
import type { Table as LuaTableObject } from 'fengari/src/ltable';
import { luaH_new, luaH_setfrom, luaH_setint } from 'fengari/src/ltable';
import { lua, lauxlib } from './lua';

export type { Slot, LuaTable };

const NIL_TYPE = 0;
const TABLE_TYPE = 5;
const USERDATA_TYPE = 7;

/** Copies the value at the top of L's stack into a slot and pops it. */
export function popSlot(L: LuaState): Slot {
  const cell = L.stack[L.top - 1];
  const slot = new TValue(cell.type, cell.value);
  lua.lua_settop(L, -2);
  return slot;
}

/** Copies the value at idx into a slot without changing the stack. */
export function slotAt(L: LuaState, idx: number): Slot {
  lua.lua_pushvalue(L, idx);
  return popSlot(L);
}

/** Pushes a copy (the VM mutates stack cells in place, so the slot itself must never sit on a stack). */
export function pushSlot(L: LuaState, slot: Slot): void {
  L.stack[L.top] = new TValue(slot.type, slot.value);
  L.top++;
}

/** A copy of argument `n` (1-based) of the running host function; nil when absent. Hot path of channel ops. */
export function argSlot(L: LuaState, n: number): Slot {
  const i = L.ci.funcOff + n;
  if (i >= L.top) return new TValue(NIL_TYPE, null);
  const cell = L.stack[i];
  return new TValue(cell.type, cell.value);
}

/** The JS payload of argument `n` when it is a full userdata, else null. */
export function argObject(L: LuaState, n: number): unknown {
  const i = L.ci.funcOff + n;
  if (i >= L.top) return null;
  const cell = L.stack[i];
  return cell.type === USERDATA_TYPE ? (cell.value as Udata).data : null;
}

/** Argument `n` as an instance of `type` (a module's userdata object); raises Lua's "bad argument" otherwise. */
export function argInstance<C>(L: LuaState, n: number, type: { prototype: C }, expected: string): C {
  const v = argObject(L, n);
  return v instanceof (type as unknown as new () => C) ? (v as C) : lauxlib.luaL_argerror(L, n, expected);
}

/** The identity of a table/userdata/function value (for JS-side maps keyed by Lua object). */
export function identityAt(L: LuaState, idx: number): unknown {
  lua.lua_pushvalue(L, idx);
  const id = L.stack[L.top - 1].value;
  lua.lua_settop(L, -2);
  return id;
}

/** The table object at the top of the stack (for use as a userdata metatable). */
export function tableAtTop(L: LuaState): LuaTable {
  return L.stack[L.top - 1].value as LuaTable;
}

/** Pushes a new full userdata whose payload is `obj` and whose metatable is `mt`. */
export function pushObject(L: LuaState, obj: object, mt: LuaTable): void {
  lua.lua_newuserdata(L, 0);
  const u = L.stack[L.top - 1].value as Udata;
  u.data = obj;
  u.metatable = mt;
}

/** Makes a slot holding a new userdata for `obj`, without touching any stack (mailbox deliveries use it). */
export function objectSlot(L: LuaState, obj: object, mt: LuaTable): Slot {
  const u = new UdataObject(L, 0);
  u.data = obj;
  u.metatable = mt;
  return new TValue(USERDATA_TYPE, u);
}

/** The JS payload of the userdata at idx, or null for anything else. */
export function objectAt(L: LuaState, idx: number): unknown {
  return lua.lua_type(L, idx) === lua.LUA_TUSERDATA ? lua.lua_touserdata(L, idx) : null;
}

/** The JS payload of the userdata at idx when it is a `cls`; otherwise raises Lua's "bad argument" error with `expected`. */
export function objectArg<T>(L: LuaState, idx: number, cls: abstract new (...args: never[]) => T, expected: string): T {
  const v = objectAt(L, idx);
  return v instanceof cls ? v : lauxlib.luaL_argerror(L, idx, expected);
}

/**
 * Appends records to the array table at the top of L's stack: for each row in rows[from, to) a new table
 * `{[keys[j]] = cell j}` at index i + 1, each cell pushed by `push` (false: nothing pushed, the key is left out).
 * What lua_createtable and a lua_rawset per field give, without the key's and the table's trips through the
 * stack (result rows are built by the thousand). Keys are strings.
 */
export function appendRecords<C>(L: LuaState, keys: readonly Slot[], rows: readonly (readonly C[])[], from: number, to: number, push: (L: LuaState, cell: C) => boolean): void {
  const array = (L.stack[L.top - 1] as Slot).value as LuaTableObject;
  for (let i = from; i < to; i++) {
    const row = rows[i];
    const record = luaH_new(L);
    for (let j = 0; j < keys.length; j++) {
      if (!push(L, row[j])) continue;
      luaH_setfrom(L, record, keys[j], L.stack[L.top - 1] as Slot);
      (L.stack as (Slot | undefined)[])[--L.top] = undefined;
    }
    luaH_setint(array, i + 1, new TValue(TABLE_TYPE, record));
  }
}
