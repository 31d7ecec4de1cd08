/**
 * Binding helpers: how host functions, constants and userdata types become Lua tables in a VM's state.
 * Modules build their Lua surface with these; the VM (vm.ts) supplies the state, its interned keys and the
 * prelude's read-only view maker.
 */
import { lua, encode, pushNumber, pushString, type LuaState } from './lua';
import { popSlot, pushSlot, tableAtTop, type LuaTable, type Slot } from './slots';
import type { JSFunction } from 'fengari';
import { LuaFloat } from '../kernel/value';

/** What the binding helpers need of a VM. */
export interface Binder {
  readonly L: LuaState;
  /** An interned Lua string for a table key. */
  key(name: string): Slot;
  /** The prelude's read-only view maker `readonly(table, name)`. */
  readonly readonlyFn: Slot;
}

/** A module constant: numbers become integers when they fit, LuaFloat forces a float. */
export type Constant = string | number | boolean | LuaFloat;

/** Sets `t[name] = value` where t is at `tableIdx` of L (negative indices are taken before the pushes); `name` is
 *  one the code chose, interned for good (a key from data: setDataField). */
export function setField(vm: Binder, L: LuaState, tableIdx: number, name: string, push: () => void): void {
  const idx = lua.lua_absindex(L, tableIdx);
  pushSlot(L, vm.key(name));
  push();
  lua.lua_rawset(L, idx);
}

/**
 * Sets `t[name] = value` for a key that comes from data (a query parameter, a header, a form field): the key is
 * not interned, since the VM keeps every interned key for its lifetime and data may bring any number of them.
 */
export function setDataField(L: LuaState, tableIdx: number, name: string, push: () => void): void {
  const idx = lua.lua_absindex(L, tableIdx);
  pushString(L, name);
  push();
  lua.lua_rawset(L, idx);
}

/** Builds a table of host functions and constants (numbers as Lua would hold them) as a slot. */
export function functionTable(vm: Binder, fns: Record<string, JSFunction>, constants: Record<string, Constant> = {}): Slot {
  const L = vm.L;
  lua.lua_createtable(L, 0, Object.keys(fns).length + Object.keys(constants).length);
  for (const [name, fn] of Object.entries(fns)) setField(vm, L, -1, name, () => lua.lua_pushcclosure(L, fn, 0));
  for (const [name, value] of Object.entries(constants)) setField(vm, L, -1, name, () => pushConstant(L, value));
  return popSlot(L);
}

/** A metatable for a userdata type: methods under __index, plus extra metamethods. */
export function metatable(vm: Binder, typeName: string, methods: Record<string, JSFunction>, meta: Record<string, JSFunction> = {}): LuaTable {
  const L = vm.L;
  lua.lua_createtable(L, 0, 4);
  pushSlot(L, functionTable(vm, methods));
  lua.lua_setfield(L, -2, '__index');
  for (const [name, fn] of Object.entries(meta)) setField(vm, L, -1, name, () => lua.lua_pushcclosure(L, fn, 0));
  lua.lua_pushstring(L, encode(typeName));
  lua.lua_setfield(L, -2, '__name');
  lua.lua_pushboolean(L, false);
  lua.lua_setfield(L, -2, '__metatable');
  const mt = tableAtTop(L);
  lua.lua_settop(L, -2);
  return mt;
}

/** A read-only view of a table (writes raise, rawset refuses it, pairs iterates the table). */
export function readonlyView(vm: Binder, table: Slot, name: string): Slot {
  const L = vm.L;
  pushSlot(L, vm.readonlyFn);
  pushSlot(L, table);
  lua.lua_pushstring(L, encode(name));
  lua.lua_call(L, 2, 1);
  return popSlot(L);
}

/** Sets `parent[name]` to a read-only view of `child` (nested module tables such as process.registry). */
export function nestTable(vm: Binder, parent: Slot, name: string, child: Slot, qualifiedName: string): void {
  const view = readonlyView(vm, child, qualifiedName);
  pushSlot(vm.L, parent);
  setField(vm, vm.L, -1, name, () => pushSlot(vm.L, view));
  lua.lua_settop(vm.L, -2);
}

function pushConstant(L: LuaState, value: Constant): void {
  if (typeof value === 'string') lua.lua_pushstring(L, encode(value));
  else if (typeof value === 'boolean') lua.lua_pushboolean(L, value);
  else if (value instanceof LuaFloat) lua.lua_pushnumber(L, value.value);
  else pushNumber(L, value);
}

/** A field of a record for pushRecord: a string, number or boolean, a function that pushes the value, or
 *  null/undefined for a field left out. */
export type RecordField = string | number | boolean | null | undefined | (() => void);

/** Pushes a new table with the fields, in order (numbers as Lua would hold them; absent fields are left out). */
export function pushRecord(T: LuaState, fields: Readonly<Record<string, RecordField>>): void {
  lua.lua_createtable(T, 0, Object.keys(fields).length);
  for (const [name, value] of Object.entries(fields)) {
    if (value === null || value === undefined) continue;
    if (typeof value === 'function') value();
    else if (typeof value === 'string') pushString(T, value);
    else if (typeof value === 'number') pushNumber(T, value);
    else lua.lua_pushboolean(T, value);
    lua.lua_setfield(T, -2, name);
  }
}
