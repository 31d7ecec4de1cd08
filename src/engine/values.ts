/**
 * Lua stack ⇄ portable values (kernel/value.ts). Export is the deep copy `process.send` makes: tables are
 * copied with cycles and shared parts preserved, integers stay integers, functions, threads and userdata other
 * than error objects become nil (an entry whose key becomes nil is dropped).
 *
 * Both directions are loops over an explicit stack of tables, never JS recursion: how deep a value nests must
 * not depend on how much JS stack the caller has left (spec.md "Recursion"). A value nested deeper than
 * MAX_VALUE_DEPTH tables cannot be exported: ValueCopyError, which callers turn into an error for the sender
 * (`process.send` returns nil, err) or for the process (a result that cannot be copied fails it).
 */
import { lua, cellAt, pushNumber, pushString, textOf, TAG, type LuaState } from './lua';
import { identityAt, objectAt, pushObject, pushSlot, slotAt, type LuaTable, type Slot } from './slots';
import type { Udata } from 'fengari';
import type { Table as LuaTableObject } from 'fengari/src/ltable';
import type { TString } from 'fengari/src/lstring';
import { ErrorValue, LuaFloat, Table, type Value } from '../kernel/value';

/** How many tables deep a value may nest to cross a process boundary (a flat table is depth 1). */
export const MAX_VALUE_DEPTH = 10_000;

/** A Lua value that cannot become a portable value (nested too deep). */
export class ValueCopyError extends Error {
  constructor(message = `value nested too deep to copy (more than ${MAX_VALUE_DEPTH} levels of tables)`) {
    super(message);
    this.name = 'ValueCopyError';
  }
}

/** Where error objects get their metatable when pushed. */
export interface ValueContext {
  readonly errorMeta: LuaTable;
}

/** The portable value of the value at `idx` when it is not a table (what a table holds there: see rawScalar). */
function exportScalar(L: LuaState, idx: number): Value {
  const cell = cellAt(L, idx);
  if (cell !== null) return rawScalar(cell);
  lua.lua_pushvalue(L, idx); // a pseudo-index (an upvalue, the registry)
  const value = rawScalar(L.stack[L.top - 1]);
  lua.lua_settop(L, -2);
  return value;
}

export function exportValue(L: LuaState, idx: number, seen?: Map<unknown, Table>): Value {
  const type = lua.lua_type(L, idx);
  if (type !== lua.LUA_TTABLE) return exportScalar(L, idx);
  if (seen === undefined) {
    const t = identityAt(L, idx) as LuaTableObject;
    const small = exportSmall(t, [t]);
    if (small !== null) return small;
  }
  return exportTable(L, lua.lua_absindex(L, idx), seen ?? new Map<unknown, Table>());
}

/**
 * Most values that cross are small trees of tables: at most SMALL_TREE tables, none reached twice, no table
 * used as a key. Those are copied by a recursion at most SMALL_TREE deep that reads Fengari's entries directly
 * (in lua_next's order), without the general copy's frames and maps; anything else gives null and takes the
 * general copy.
 */
const SMALL_TREE = 8;

function exportSmall(t: LuaTableObject, visited: LuaTableObject[]): Table | null {
  const copy = new Table();
  for (let e = t.f; e !== undefined; e = e.n) {
    if (e.key.type === TABLE_TAG) return null;
    const key = rawScalar(e.key);
    if (key === null) continue;
    const v = e.value;
    if (v.type === TABLE_TAG) {
      const inner = v.value as LuaTableObject;
      if (visited.length >= SMALL_TREE || visited.includes(inner)) return null;
      visited.push(inner);
      const innerCopy = exportSmall(inner, visited);
      if (innerCopy === null) return null;
      copy.map.set(key, innerCopy);
    } else {
      const value = rawScalar(v);
      if (value !== null) copy.map.set(key, value);
    }
  }
  return copy;
}

const TABLE_TAG = TAG.TABLE;
const INTEGER_TAG = 19;

/** A Lua value as a host function reads it: see hostScalar. */
export type HostScalar = bigint | number | boolean | string | Uint8Array | { readonly payload: unknown } | null;

/**
 * A cell's value without any metamethod: an integer as a bigint, a float as a number, a boolean, a string as
 * text when valid UTF-8 and as its bytes otherwise, a full userdata as `{payload}`; nil and anything else null.
 */
export function hostScalar(cell: Slot): HostScalar {
  switch (cell.type) {
    case 1:
      return cell.value as boolean;
    case INTEGER_TAG:
      return BigInt(cell.value as number);
    case 3:
      return cell.value as number;
    case 4:
    case 20: {
      const ts = cell.value as TString;
      return textOf(ts) ?? ts.realstring;
    }
    case 7:
      return { payload: (cell.value as Udata).data };
    default:
      return null;
  }
}

/**
 * The values of the table at idx (a table) under its positive integer keys, each converted by `convert` and put
 * at index key - 1 (a hole gets `hole`), up to the largest such key: read raw from Fengari's entries, as
 * lua_next walks them, without its lookups. Null when that key is past `limit`.
 */
export function integerKeyed<T>(L: LuaState, idx: number, limit: number, convert: (cell: Slot) => T, hole: T): T[] | null {
  const t = (cellAt(L, idx) as Slot).value as LuaTableObject;
  let n = 0;
  for (let e = t.f; e !== undefined; e = e.n) {
    if (e.key.type === INTEGER_TAG && (e.key.value as number) > n) n = e.key.value as number;
  }
  if (n > limit) return null;
  const out = new Array<T>(n).fill(hole);
  for (let e = t.f; e !== undefined; e = e.n) {
    const k = e.key.value as number;
    if (e.key.type === INTEGER_TAG && k >= 1) out[k - 1] = convert(e.value);
  }
  return out;
}

/**
 * A Lua value that is not a table as a portable value (Fengari's type tags: variants in the high bits): integers
 * stay integers, integral floats are boxed, strings are text when valid UTF-8 and bytes otherwise, error objects
 * stay themselves, and functions, threads and other userdata become nil.
 */
function rawScalar(v: Slot): Value {
  switch (v.type) {
    case 1: // boolean
      return v.value as boolean;
    case 19: // integer
      return v.value as number;
    case 3: { // float
      const n = v.value as number;
      return Number.isInteger(n) ? new LuaFloat(n) : n;
    }
    case 4:
    case 20: { // short and long strings
      const ts = v.value as TString;
      return textOf(ts) ?? ts.realstring;
    }
    case 7: { // full userdata
      const obj = (v.value as Udata).data;
      return obj instanceof ErrorValue ? obj : null;
    }
    default:
      return null;
  }
}

const ROOT = 0;
const KEY = 1;
const VALUE = 2;

/** One table being copied. Its Lua table sits at `idx`; while it is walked, lua_next's key and value follow. */
interface ExportFrame {
  readonly table: Table;
  readonly idx: number;
  /** What the finished copy is for the frame below: the root, the key or the value of its current entry. */
  readonly role: typeof ROOT | typeof KEY | typeof VALUE;
  /** The copied key of the current entry, once known. */
  key: Value;
}

function exportTable(L: LuaState, rootIdx: number, seen: Map<unknown, Table>): Table {
  const rootId = identityAt(L, rootIdx);
  const known = seen.get(rootId);
  if (known !== undefined) return known;
  const root = new Table();
  seen.set(rootId, root);
  const base = lua.lua_gettop(L);
  const frames: ExportFrame[] = [{ table: root, idx: rootIdx, role: ROOT, key: null }];
  /** Starts copying the table on top of the stack (already pushed there) as `role` of the top frame. */
  const descend = (role: typeof KEY | typeof VALUE): void => {
    if (frames.length >= MAX_VALUE_DEPTH || !lua.lua_checkstack(L, 4)) throw new ValueCopyError();
    const table = new Table();
    seen.set(identityAt(L, -1), table);
    frames.push({ table, idx: lua.lua_gettop(L), role, key: null });
    lua.lua_pushnil(L);
  };
  /** The current entry of `f` has its key; copies the value on top of the stack (or descends into it). */
  const takeValue = (f: ExportFrame): void => {
    if (f.key !== null) {
      const type = lua.lua_type(L, -1);
      if (type === lua.LUA_TTABLE) {
        const copy = seen.get(identityAt(L, -1));
        if (copy === undefined) return descend(VALUE);
        f.table.map.set(f.key, copy);
      } else {
        const value = exportScalar(L, -1);
        if (value !== null) f.table.map.set(f.key, value);
      }
    }
    lua.lua_settop(L, -2);
  };
  try {
    lua.lua_checkstack(L, 4);
    lua.lua_pushnil(L);
    for (;;) {
      const f = frames[frames.length - 1];
      if (lua.lua_next(L, f.idx)) {
        const type = lua.lua_type(L, -2);
        if (type !== lua.LUA_TTABLE) {
          f.key = exportScalar(L, -2);
          takeValue(f);
          continue;
        }
        const copy = seen.get(identityAt(L, -2));
        if (copy !== undefined) {
          f.key = copy;
          takeValue(f);
          continue;
        }
        lua.lua_pushvalue(L, -2); // a table used as a key: copy it first, then the value
        descend(KEY);
        continue;
      }
      // `f` is complete; lua_next left its Lua table on top (a value slot, a key copy, or the root's own slot).
      frames.pop();
      if (frames.length === 0) return root;
      lua.lua_settop(L, -2);
      const parent = frames[frames.length - 1];
      if (f.role === KEY) {
        parent.key = f.table;
        takeValue(parent);
      } else {
        parent.table.map.set(parent.key, f.table); // a value is only descended into under a key
      }
    }
  } catch (e) {
    lua.lua_settop(L, base);
    throw e;
  }
}

/** Exports values idx..top (spawn arguments, multiple payloads). */
export function exportRange(L: LuaState, from: number): Value[] {
  const top = lua.lua_gettop(L);
  if (top < from) return [];
  if (top === from) return [exportValue(L, from)];
  const seen = new Map<unknown, Table>();
  const out: Value[] = [];
  for (let i = from; i <= top; i++) out.push(exportValue(L, i, seen));
  return out;
}

/** Copies of values from..top, or an Invalid error saying why they cannot be copied (for a call's result). */
export function exportArgs(L: LuaState, from: number): Value[] | ErrorValue {
  try {
    return exportRange(L, from);
  } catch (e) {
    if (e instanceof ValueCopyError) return new ErrorValue(e.message, 'Invalid');
    throw e;
  }
}

function pushScalar(L: LuaState, v: Exclude<Value, Table>, ctx: ValueContext): void {
  if (v === null) lua.lua_pushnil(L);
  else if (typeof v === 'boolean') lua.lua_pushboolean(L, v);
  else if (typeof v === 'number') pushNumber(L, v);
  else if (typeof v === 'string') pushString(L, v);
  else if (v instanceof Uint8Array) lua.lua_pushstring(L, v);
  else if (v instanceof LuaFloat) lua.lua_pushnumber(L, v.value);
  else pushObject(L, v, ctx.errorMeta);
}

export function pushValue(L: LuaState, v: Value, ctx: ValueContext, made?: Map<Table, Slot>): void {
  if (!(v instanceof Table)) pushScalar(L, v, ctx);
  else if (made === undefined && isSmallRoot(v)) {
    if (!lua.lua_checkstack(L, 3 * SMALL_TREE + 3)) throw new ValueCopyError('value nested too deep to copy (Lua stack full)');
    pushSmall(L, v, ctx);
  } else pushTable(L, v, ctx, made ?? new Map<Table, Slot>());
}

/** The tables isSmallTree has met; one list for every call (it calls out to nothing, so never re-entered). */
const visiting: Table[] = [];

function isSmallRoot(t: Table): boolean {
  visiting.push(t);
  const small = isSmallTree(t, visiting);
  while (visiting.length > 0) visiting.pop();
  return small;
}

/** A small tree (see exportSmall), so that pushSmall's recursion is at most SMALL_TREE deep. */
function isSmallTree(t: Table, visited: Table[]): boolean {
  for (const [k, v] of t.map) {
    if (k instanceof Table) return false;
    if (v instanceof Table) {
      if (visited.length >= SMALL_TREE || visited.includes(v)) return false;
      visited.push(v);
      if (!isSmallTree(v, visited)) return false;
    }
  }
  return true;
}

function pushSmall(L: LuaState, t: Table, ctx: ValueContext): void {
  lua.lua_createtable(L, 0, t.map.size);
  for (const [k, v] of t.map) {
    pushScalar(L, k as Exclude<Value, Table>, ctx);
    if (v instanceof Table) pushSmall(L, v, ctx);
    else pushScalar(L, v, ctx);
    lua.lua_rawset(L, -3);
  }
}

/** One Lua table being filled; it sits at `idx`, with the key (and value) of the current entry above it. */
interface PushFrame {
  readonly entries: IterableIterator<[Value, Value]>;
  readonly idx: number;
  readonly role: typeof ROOT | typeof KEY | typeof VALUE;
  /** The value of the current entry while its key (a table) is being built. */
  value: Value;
}

function pushTable(L: LuaState, root: Table, ctx: ValueContext, made: Map<Table, Slot>): void {
  const known = made.get(root);
  if (known !== undefined) {
    pushSlot(L, known); // the same Lua table again: shared parts and cycles survive the copy
    return;
  }
  const base = lua.lua_gettop(L);
  const frames: PushFrame[] = [];
  /** Creates the Lua table for `t` on top of the stack and makes it the one being filled. */
  const descend = (t: Table, role: typeof ROOT | typeof KEY | typeof VALUE): void => {
    if (!lua.lua_checkstack(L, 4)) throw new ValueCopyError('value nested too deep to copy (Lua stack full)');
    lua.lua_createtable(L, 0, t.map.size);
    made.set(t, slotAt(L, -1));
    frames.push({ entries: t.map.entries(), idx: lua.lua_gettop(L), role, value: null });
  };
  /** Pushes `v`, or starts building it when it is a table not made yet (true: the caller must wait for it). */
  const pushOrDescend = (v: Value, role: typeof KEY | typeof VALUE): boolean => {
    if (v instanceof Table) {
      const slot = made.get(v);
      if (slot === undefined) {
        descend(v, role);
        return true;
      }
      pushSlot(L, slot);
    } else pushScalar(L, v, ctx);
    return false;
  };
  try {
    descend(root, ROOT);
    for (;;) {
      const f = frames[frames.length - 1];
      const next = f.entries.next();
      if (!next.done) {
        const [k, v] = next.value;
        f.value = v;
        if (pushOrDescend(k, KEY) || pushOrDescend(v, VALUE)) continue;
        lua.lua_rawset(L, f.idx);
        continue;
      }
      frames.pop();
      if (frames.length === 0) return;
      const parent = frames[frames.length - 1];
      // A finished key waits for its value; a finished value completes the entry.
      if (f.role === KEY && pushOrDescend(parent.value, VALUE)) continue;
      lua.lua_rawset(L, parent.idx);
    }
  } catch (e) {
    lua.lua_settop(L, base);
    throw e;
  }
}
