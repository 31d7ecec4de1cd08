/**
 * `sql.builder`: the Lua face of src/lib/sql-builder.ts (Wippy's squirrel wrapper). Builders are immutable
 * userdata, each method returning a new one; `to_sql()` gives the SQL and its argument list; `run_with(db|tx)`
 * gives an executor whose `query()` / `exec()` run it (with `$n` placeholders on PostgreSQL).
 */
import { lua, lauxlib, checkJsString, pushString, tostringAt, type LuaState } from '../../engine/lua';
import { objectArg, objectAt, objectSlot, pushObject, pushSlot, type LuaTable, type Slot } from '../../engine/slots';
import { fail } from '../errors';
import { typeName, type LuaVM } from '../../engine/vm';
import type { JSFunction } from 'fengari';
import type { SqlDatabaseType, SqlParam, SqlRunner } from '../../api/sql';
import {
  BuilderError, Compare, DeleteBuilder, Eq, Expr, InsertBuilder, isSqlizer, Junction, Like, SelectBuilder, UpdateBuilder,
  type Condition, type CondValue, type PlaceholderFormat, type Rendered, type Sqlizer,
} from '../../lib/sql-builder';
import { formatArg, paramAt, pushParam, SqlNull, Typed } from './values';
import { functionTable, metatable, setField } from '../../engine/binding';

export type Runner = SqlRunner;

/** What the module gives the builder: databases and transactions, and how to run a statement on one. */
export interface BuilderHost {
  runnerAt(T: LuaState, idx: number): { readonly runner: Runner; readonly type: SqlDatabaseType } | null;
  query(T: LuaState, runner: Runner, sql: string, args: SqlParam[]): number;
  exec(T: LuaState, runner: Runner, sql: string, args: SqlParam[]): number;
}

class Placeholder {
  constructor(readonly format: PlaceholderFormat) {}
}

class Executor {
  constructor(
    readonly runner: Runner,
    readonly rendered: Rendered,
  ) {}
}

type Builder = SelectBuilder | InsertBuilder | UpdateBuilder | DeleteBuilder;
type Arg = SqlParam | Sqlizer;

/** A builder argument: a value, or a condition/expression (expanded in place of its `?`). */
function argAt(T: LuaState, idx: number): Arg {
  const v = lua.lua_type(T, idx) === lua.LUA_TUSERDATA ? objectAt(T, idx) : null;
  if (v !== null && isSqlizer(v)) return v;
  return paramAt(T, idx);
}

function argsFrom(T: LuaState, from: number): Arg[] {
  const out: Arg[] = [];
  for (let i = from; i <= lua.lua_gettop(T); i++) out.push(argAt(T, i));
  return out;
}

/** A condition value: a plain value, or a sequence table as a list (`IN (...)`); other tables are NULL. */
function condValueAt(T: LuaState, idx: number): CondValue {
  if (lua.lua_type(T, idx) !== lua.LUA_TTABLE) return paramAt(T, idx);
  const n = lua.lua_rawlen(T, idx);
  const list: SqlParam[] = [];
  for (let i = 1; i <= n; i++) {
    lua.lua_rawgeti(T, idx, i);
    list.push(paramAt(T, -1));
    lua.lua_settop(T, -2);
  }
  let keys = 0;
  lua.lua_pushnil(T);
  while (lua.lua_next(T, idx)) {
    keys++;
    lua.lua_settop(T, -2);
  }
  return n > 0 && keys === n ? list : null;
}

/** A `{column = value}` table; keys that are not strings are skipped, as Wippy skips them. */
function condMapAt(T: LuaState, idx: number): Map<string, CondValue> {
  const abs = lua.lua_absindex(T, idx);
  const map = new Map<string, CondValue>();
  lua.lua_pushnil(T);
  while (lua.lua_next(T, abs)) {
    if (lua.lua_type(T, -2) === lua.LUA_TSTRING) {
      const top = lua.lua_gettop(T);
      map.set(tostringAt(T, -2), condValueAt(T, top));
    }
    lua.lua_settop(T, -2);
  }
  return map;
}

/** `{column = value}` for insert / update maps (no lists: a table is NULL). */
function valueMapAt(T: LuaState, idx: number): Map<string, SqlParam> {
  const map = new Map<string, SqlParam>();
  for (const [k, v] of condMapAt(T, idx)) map.set(k, Array.isArray(v) ? null : (v as SqlParam));
  return map;
}

/** A where/having condition: SQL text with arguments, a `{column = value}` table, or a condition object. */
function conditionAt(T: LuaState, idx: number): Condition {
  switch (lua.lua_type(T, idx)) {
    case lua.LUA_TSTRING:
      return { sql: checkJsString(T, idx), args: argsFrom(T, idx + 1) };
    case lua.LUA_TTABLE:
      return new Eq(condMapAt(T, idx));
    case lua.LUA_TUSERDATA: {
      const v = objectAt(T, idx);
      if (v !== null && isSqlizer(v)) return v;
    }
  }
  return lauxlib.luaL_argerror(T, idx, 'expected string, table, or Sqlizer');
}

/** LIMIT / OFFSET: an integer (a float is truncated, a negative one is 0). */
function countAt(T: LuaState, idx: number): number {
  const n = lua.lua_type(T, idx) === lua.LUA_TNUMBER ? Math.trunc(lua.lua_tonumber(T, idx)) : lauxlib.luaL_checkinteger(T, idx);
  return Number.isFinite(n) && n > 0 ? n : 0;
}

function stringsFrom(T: LuaState, from: number): string[] {
  const out: string[] = [];
  for (let i = from; i <= lua.lua_gettop(T); i++) out.push(checkJsString(T, i));
  return out;
}

export function installBuilder(vm: LuaVM, host: BuilderHost): Slot {
  const metas = new Map<string, LuaTable>();
  const placeholderMeta = metatable(vm, 'sql.PlaceholderFormat', {});

  /** Renders or answers `nil, err` (Invalid) for a statement squirrel would refuse. */
  const render = (T: LuaState, s: Sqlizer, then: (r: Rendered) => number): number => {
    let r: Rendered;
    try {
      r = s.toSql();
    } catch (e) {
      if (e instanceof BuilderError) return fail(T, vm, e.message, 'Invalid', { retryable: false });
      throw e;
    }
    return then(r);
  };

  const pushArgs = (T: LuaState, args: readonly SqlParam[]): void => {
    lua.lua_createtable(T, args.length, 0);
    args.forEach((a, i) => {
      if (a === null) return;
      pushParam(T, a);
      lua.lua_rawseti(T, -2, i + 1);
    });
  };
  const toSql = (T: LuaState, s: Sqlizer): number => render(T, s, (r) => (pushString(T, r.sql), pushArgs(T, r.args), 2));
  const describe = (s: Sqlizer, name: string, errorName: string): string => {
    try {
      const r = s.toSql();
      return `${name}: ${r.sql} [Args: [${r.args.map(formatArg).join(' ')}]]`;
    } catch (e) {
      return `${errorName}: ${e instanceof Error ? e.message : String(e)}`;
    }
  };

  const sqlizerMeta = metatable(vm, 'sql.Sqlizer', { to_sql: (T) => toSql(T, sqlizerAt(T, 1)) }, {
    __tostring: (T) => (pushString(T, describe(sqlizerAt(T, 1), 'SQL', 'SQL Expression Error')), 1),
  });
  function sqlizerAt(T: LuaState, idx: number): Sqlizer {
    const v = objectAt(T, idx);
    return v !== null && isSqlizer(v) ? v : lauxlib.luaL_argerror(T, idx, 'expected Sqlizer');
  }
  const pushSqlizer = (T: LuaState, s: Sqlizer): number => (pushObject(T, s, sqlizerMeta), 1);

  const executorMeta = metatable(vm, 'sql.QueryExecutor', {
    query: (T) => {
      const e = executorAt(T);
      return host.query(T, e.runner, e.rendered.sql, [...e.rendered.args]);
    },
    exec: (T) => {
      const e = executorAt(T);
      return host.exec(T, e.runner, e.rendered.sql, [...e.rendered.args]);
    },
    to_sql: (T) => {
      const e = executorAt(T);
      pushString(T, e.rendered.sql);
      pushArgs(T, e.rendered.args);
      return 2;
    },
  }, {
    __tostring: (T) => {
      const e = executorAt(T);
      pushString(T, `QueryExecutor: ${e.rendered.sql} [Args: ${e.rendered.args.length}]`);
      return 1;
    },
  });
  const executorAt = (T: LuaState): Executor => objectArg(T, 1, Executor, 'expected QueryExecutor object');

  /** The methods one builder type shares with the others, and its own, under one metatable. */
  const define = <B extends Builder>(name: string, cls: abstract new (...args: never[]) => B, own: (self: (T: LuaState) => B, ret: (T: LuaState, b: B) => number) => Record<string, JSFunction>): ((T: LuaState, b: B) => number) => {
    const self = (T: LuaState): B => objectArg(T, 1, cls, `expected ${name} object`);
    const ret = (T: LuaState, b: B): number => (pushObject(T, b, metas.get(name) as LuaTable), 1);
    const common: Record<string, JSFunction> = {
      placeholder_format: (T) => ret(T, self(T).placeholderFormat(objectArg(T, 2, Placeholder, 'expected placeholder format').format) as B),
      to_sql: (T) => toSql(T, self(T)),
      run_with: (T) => {
        const b = self(T);
        const target = host.runnerAt(T, 2) ?? lauxlib.luaL_argerror(T, 2, 'database or transaction expected');
        const s = target.type === 'postgres' ? b.placeholderFormat('dollar') : b;
        return render(T, s, (r) => (pushObject(T, new Executor(target.runner, r), executorMeta), 1));
      },
    };
    metas.set(name, metatable(vm, `sql.${name}`, { ...common, ...own(self, ret) }, {
      __tostring: (T) => (pushString(T, describe(self(T), name, `${name} Error`)), 1),
    }));
    return ret;
  };

  /** Methods several builders have, by the shape of the builder. */
  type Ret<B> = (T: LuaState, b: B) => number;
  const whereMethod = <B extends { where(c: Condition): B }>(self: (T: LuaState) => B, ret: Ret<B>): JSFunction => (T) => ret(T, self(T).where(conditionAt(T, 2)));
  const orderBy = <B extends { orderBy(c: readonly string[]): B }>(self: (T: LuaState) => B, ret: Ret<B>): JSFunction => (T) => ret(T, self(T).orderBy(stringsFrom(T, 2)));
  const limit = <B extends { limit(n: number): B }>(self: (T: LuaState) => B, ret: Ret<B>): JSFunction => (T) => ret(T, self(T).limit(countAt(T, 2)));
  const offset = <B extends { offset(n: number): B }>(self: (T: LuaState) => B, ret: Ret<B>): JSFunction => (T) => ret(T, self(T).offset(countAt(T, 2)));
  const suffix = <B extends { suffix(s: string, a: readonly Arg[]): B }>(self: (T: LuaState) => B, ret: Ret<B>): JSFunction => (T) => ret(T, self(T).suffix(checkJsString(T, 2), argsFrom(T, 3)));

  const pushSelect = define('SelectBuilder', SelectBuilder, (self, ret) => {
    const join = (kind: '' | 'LEFT ' | 'RIGHT ' | 'INNER '): JSFunction => (T) => ret(T, self(T).join(kind, checkJsString(T, 2), argsFrom(T, 3)));
    return {
      from: (T) => ret(T, self(T).from(checkJsString(T, 2))),
      join: join(''),
      left_join: join('LEFT '),
      right_join: join('RIGHT '),
      inner_join: join('INNER '),
      where: whereMethod(self, ret),
      order_by: orderBy(self, ret),
      group_by: (T) => ret(T, self(T).groupBy(stringsFrom(T, 2))),
      having: (T) => ret(T, self(T).having(conditionAt(T, 2))),
      limit: limit(self, ret),
      offset: offset(self, ret),
      columns: (T) => ret(T, self(T).columns(stringsFrom(T, 2))),
      distinct: (T) => ret(T, self(T).distinct()),
      suffix: suffix(self, ret),
    };
  });

  const selectAt = (T: LuaState, idx: number): SelectBuilder => objectArg(T, idx, SelectBuilder, 'expected SelectBuilder object');

  const pushInsert = define('InsertBuilder', InsertBuilder, (self, ret) => ({
    into: (T) => ret(T, self(T).into(checkJsString(T, 2))),
    columns: (T) => ret(T, self(T).columns(stringsFrom(T, 2))),
    values: (T) => ret(T, self(T).values(argsFrom(T, 2))),
    set_map: (T) => {
      lauxlib.luaL_checktype(T, 2, lua.LUA_TTABLE);
      return ret(T, self(T).setMap(valueMapAt(T, 2)));
    },
    select: (T) => ret(T, self(T).select(selectAt(T, 2))),
    prefix: (T) => ret(T, self(T).prefix(checkJsString(T, 2), argsFrom(T, 3))),
    suffix: suffix(self, ret),
    options: (T) => ret(T, self(T).options(stringsFrom(T, 2))),
  }));

  const pushUpdate = define('UpdateBuilder', UpdateBuilder, (self, ret) => ({
    table: (T) => ret(T, self(T).table(checkJsString(T, 2))),
    set: (T) => {
      const b = self(T);
      const column = checkJsString(T, 2);
      const ud = lua.lua_type(T, 3) === lua.LUA_TUSERDATA ? objectAt(T, 3) : undefined;
      if (ud !== undefined && !isSqlizer(ud) && !(ud instanceof Typed) && !(ud instanceof SqlNull)) return lauxlib.luaL_argerror(T, 3, 'invalid userdata');
      return ret(T, b.set(column, argAt(T, 3)));
    },
    set_map: (T) => {
      lauxlib.luaL_checktype(T, 2, lua.LUA_TTABLE);
      return ret(T, self(T).setMap(valueMapAt(T, 2)));
    },
    where: whereMethod(self, ret),
    order_by: orderBy(self, ret),
    limit: limit(self, ret),
    offset: offset(self, ret),
    suffix: suffix(self, ret),
    from: (T) => ret(T, self(T).from(checkJsString(T, 2))),
    from_select: (T) => ret(T, self(T).fromSelect(selectAt(T, 2), checkJsString(T, 3))),
  }));

  const pushDelete = define('DeleteBuilder', DeleteBuilder, (self, ret) => ({
    from: (T) => ret(T, self(T).from(checkJsString(T, 2))),
    where: whereMethod(self, ret),
    order_by: orderBy(self, ret),
    limit: limit(self, ret),
    offset: offset(self, ret),
    suffix: suffix(self, ret),
  }));

  /** A condition helper over a `{column = value}` table. */
  const mapCondition = (make: (m: Map<string, CondValue>) => Sqlizer): JSFunction => (T) => {
    if (lua.lua_gettop(T) !== 1 || lua.lua_type(T, 1) !== lua.LUA_TTABLE) return lauxlib.luaL_argerror(T, 1, 'expected table');
    return pushSqlizer(T, make(condMapAt(T, 1)));
  };
  /** and_ / or_: a list of conditions, each a condition object or a `{column = value}` table. */
  const junction = (or: boolean): JSFunction => (T) => {
    if (lua.lua_gettop(T) !== 1 || lua.lua_type(T, 1) !== lua.LUA_TTABLE) return lauxlib.luaL_argerror(T, 1, 'expected table');
    const parts: Sqlizer[] = [];
    lua.lua_pushnil(T);
    while (lua.lua_next(T, 1)) {
      const type = lua.lua_type(T, -1);
      const v = type === lua.LUA_TUSERDATA ? objectAt(T, -1) : null;
      if (v !== null && isSqlizer(v)) parts.push(v);
      else if (type === lua.LUA_TTABLE) parts.push(new Eq(condMapAt(T, -1)));
      else return lauxlib.luaL_error(T, `expected Sqlizer or table in ${or ? 'OR' : 'AND'} condition, got ${typeName(type)}`);
      lua.lua_settop(T, -2);
    }
    return pushSqlizer(T, new Junction(parts, or));
  };

  const optionalTable = (T: LuaState): string => (lua.lua_gettop(T) > 0 ? checkJsString(T, 1) : '');

  const builder = functionTable(vm, {
    select: (T) => {
      const columns: string[] = [];
      for (let i = 1; i <= lua.lua_gettop(T); i++) {
        if (lua.lua_type(T, i) !== lua.LUA_TSTRING) return lauxlib.luaL_argerror(T, i, 'expected string column name');
        columns.push(checkJsString(T, i));
      }
      return pushSelect(T, SelectBuilder.create(columns));
    },
    insert: (T) => pushInsert(T, InsertBuilder.create(optionalTable(T))),
    update: (T) => pushUpdate(T, UpdateBuilder.create(optionalTable(T))),
    delete: (T) => pushDelete(T, DeleteBuilder.create(optionalTable(T))),
    expr: (T) => {
      if (lua.lua_type(T, 1) !== lua.LUA_TSTRING) return lauxlib.luaL_argerror(T, 1, 'expected string');
      return pushSqlizer(T, new Expr(checkJsString(T, 1), argsFrom(T, 2)));
    },
    eq: mapCondition((m) => new Eq(m)),
    not_eq: mapCondition((m) => new Eq(m, true)),
    lt: mapCondition((m) => new Compare(m, '<')),
    lte: mapCondition((m) => new Compare(m, '<=')),
    gt: mapCondition((m) => new Compare(m, '>')),
    gte: mapCondition((m) => new Compare(m, '>=')),
    like: mapCondition((m) => new Like(m)),
    not_like: mapCondition((m) => new Like(m, true)),
    and_: junction(false),
    or_: junction(true),
  });
  // One userdata per format (default_placeholder is question's), so they compare equal as in Wippy.
  const L = vm.L;
  const question = objectSlot(L, new Placeholder('question'), placeholderMeta);
  const formats: Record<string, Slot> = {
    question,
    dollar: objectSlot(L, new Placeholder('dollar'), placeholderMeta),
    at: objectSlot(L, new Placeholder('at'), placeholderMeta),
    colon: objectSlot(L, new Placeholder('colon'), placeholderMeta),
    default_placeholder: question,
  };
  pushSlot(L, builder);
  for (const [key, slot] of Object.entries(formats)) setField(vm, L, -1, key, () => pushSlot(L, slot));
  lua.lua_settop(L, -2);
  return builder;
}
