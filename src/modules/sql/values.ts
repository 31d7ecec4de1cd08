/**
 * Lua values to SQL parameters and rows back to Lua, as Wippy converts them: integers bind as INTEGER, floats
 * as REAL, strings as TEXT (bytes that are not UTF-8 as a BLOB), booleans as booleans, `sql.NULL` and nil as
 * NULL, the `sql.as.*` wrappers as their type; tables and functions as NULL. Rows are tables keyed by column
 * name; a NULL cell is an absent key. Integers past Fengari's 32 bits arrive as floats.
 */
import { lua, pushNumber, pushString, textOrBytesAt, type LuaState } from '../../engine/lua';
import { appendRecords, objectAt, type Slot } from '../../engine/slots';
import { typeName, type LuaVM } from '../../engine/vm';
import { hostScalar, integerKeyed } from '../../engine/values';
import type { SqlCell, SqlExecResult, SqlParam, SqlRows } from '../../api/sql';
import { setField } from '../../engine/binding';

/** `sql.NULL` and `sql.as.null()`. */
export class SqlNull {}
export const SQL_NULL = new SqlNull();

/** A value with an explicit SQL type (`sql.as.int(5)`, `sql.as.binary(s)`, ...), already converted. */
export class Typed {
  constructor(readonly value: SqlParam) {}
}

/** Most parameters one statement takes (SQLite's own limit is 32766, PostgreSQL's 65535). */
export const MAX_PARAMS = 65535;

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;

/** One Lua value as a parameter. */
export function paramAt(T: LuaState, idx: number): SqlParam {
  switch (lua.lua_type(T, idx)) {
    case lua.LUA_TBOOLEAN:
      return lua.lua_toboolean(T, idx);
    case lua.LUA_TNUMBER:
      return lua.lua_isinteger(T, idx) ? BigInt(lua.lua_tointeger(T, idx)) : lua.lua_tonumber(T, idx);
    case lua.LUA_TSTRING:
      return textOrBytesAt(T, idx);
    case lua.LUA_TUSERDATA: {
      const v = objectAt(T, idx);
      return v instanceof Typed ? v.value : null;
    }
    default:
      return null;
  }
}

/** The params argument at idx: nil (none) or an array table; a message for anything else. */
export function paramsAt(T: LuaState, idx: number): SqlParam[] | string {
  const type = lua.lua_type(T, idx);
  if (type === lua.LUA_TNIL || type === lua.LUA_TNONE) return [];
  if (type !== lua.LUA_TTABLE) return `parameters must be a table, got ${typeName(type)}`;
  // Go's MaxN: up to the largest positive integer key, holes as NULL.
  return integerKeyed(T, idx, MAX_PARAMS, paramOf, null) ?? `too many parameters (more than ${MAX_PARAMS})`;
}

/** A parameter from a table's cell, as paramAt reads one from the stack. */
function paramOf(cell: Slot): SqlParam {
  const v = hostScalar(cell);
  if (v === null || typeof v !== 'object' || v instanceof Uint8Array) return v;
  return v.payload instanceof Typed ? v.payload.value : null;
}

/** Pushes one cell (nothing is pushed for NULL: the caller leaves the key out). */
export function pushCell(T: LuaState, cell: Exclude<SqlCell, null>): void {
  switch (typeof cell) {
    case 'bigint': {
      const n = Number(cell);
      if (n >= INT_MIN && n <= INT_MAX) lua.lua_pushinteger(T, n);
      else lua.lua_pushnumber(T, n);
      return;
    }
    case 'number':
      lua.lua_pushnumber(T, cell);
      return;
    case 'string':
      pushString(T, cell);
      return;
    case 'boolean':
      lua.lua_pushboolean(T, cell);
      return;
    default:
      lua.lua_pushstring(T, cell);
  }
}

/** A cell pushed, or nothing for NULL (the key is left out). */
function pushPresentCell(T: LuaState, cell: SqlCell): boolean {
  if (cell === null || cell === undefined) return false;
  pushCell(T, cell);
  return true;
}

/** Rows of a result built per call to `step` (so a large result is built across several turns of the event loop). */
export class RowBuilder {
  private next = 0;

  constructor(
    /** The column names as Lua strings (vm.key), in the result's order. */
    private readonly keys: readonly Slot[],
    private readonly result: SqlRows,
  ) {}

  get done(): boolean {
    return this.next >= this.result.rows.length;
  }

  /** Cells in all, to decide whether to build at once. */
  get size(): number {
    return this.result.rows.length * this.keys.length;
  }

  /** Adds up to `count` rows to the array table at the top of T's stack. */
  step(T: LuaState, count: number): void {
    const rows = this.result.rows;
    const keys = this.keys;
    const end = Math.min(rows.length, this.next + count);
    appendRecords(T, keys, rows, this.next, end, pushPresentCell);
    this.next = end;
  }

  /** Pushes the whole array table. */
  pushAll(T: LuaState): void {
    pushRows(T, this.keys, this.result.rows);
    this.next = this.result.rows.length;
  }
}

/** Pushes the array table of all the rows at once. */
export function pushRows(T: LuaState, keys: readonly Slot[], rows: SqlRows['rows']): void {
  lua.lua_createtable(T, rows.length, 0);
  appendRecords(T, keys, rows, 0, rows.length, pushPresentCell);
}

export function pushExecResult(T: LuaState, vm: LuaVM, r: SqlExecResult): void {
  lua.lua_createtable(T, 0, 2);
  setField(vm, T, -1, 'last_insert_id', () => pushNumber(T, r.lastInsertId));
  setField(vm, T, -1, 'rows_affected', () => pushNumber(T, r.rowsAffected));
}

/** A bound value back in Lua (`to_sql()`'s argument list): NULL is nil. */
export function pushParam(T: LuaState, v: SqlParam): void {
  if (v === null) lua.lua_pushnil(T);
  else pushCell(T, v);
}

/** Go's `%v` of one argument, for `tostring(builder)`. */
export function formatArg(v: SqlParam): string {
  if (v === null) return '<nil>';
  if (v instanceof Uint8Array) return `[${[...v].join(' ')}]`;
  return String(v);
}
