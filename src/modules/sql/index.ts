/**
 * The `sql` module (Wippy's runtime/lua/modules/sql; contract in ./spec.md): `sql.get(id)` gives a DB for a
 * `db.sql.*` entry's `sql` facet (src/api/sql.ts); DB, Transaction and Statement methods block the calling task
 * (never the runtime) until the database answers. What a process holds is released when it ends: its DB holds,
 * its statements, and its open transactions, which are rolled back.
 */
import { lua, lauxlib, checkJsString, pushString, raise, type LuaState } from '../../engine/lua';
import { objectArg, objectAt, popSlot, pushObject, pushSlot, type LuaTable, type Slot } from '../../engine/slots';
import { ErrorValue } from '../../kernel/value';
import { fail } from '../errors';
import { luaModule } from '../module';
import { denied, securityGuard, type Guard } from '../guard';
import { formatDuration } from '../../lib/duration';
import type { LuaVM } from '../../engine/vm';
import type { LuaProcess, Resource } from '../../engine/process';
import type { Task } from '../../engine/scheduler';
import type { Resources } from '../../api/resources';
import type { SqlDatabase, SqlExecResult, SqlHold, SqlIsolation, SqlParam, SqlRows, SqlStatement, SqlTransaction, SqlTxOptions } from '../../api/sql';
import { paramsAt, pushExecResult, pushRows, RowBuilder, SQL_NULL, Typed, paramAt } from './values';
import { installBuilder, type Runner } from './builder';
import { functionTable, metatable, nestTable, setField } from '../../engine/binding';

/** A result with more cells than this is built into Lua tables a slice at a time, between other work. */
const SLICE_CELLS = 20_000;

const ISOLATIONS: readonly SqlIsolation[] = ['default', 'read_uncommitted', 'read_committed', 'write_committed', 'repeatable_read', 'serializable'];
const TYPES = { POSTGRES: 'postgres', MYSQL: 'mysql', SQLITE: 'sqlite', MSSQL: 'mssql', ORACLE: 'oracle', UNKNOWN: 'unknown' };
const ISOLATION_CONSTANTS = Object.fromEntries(ISOLATIONS.map((i) => [i.toUpperCase(), i]));

/** A process's hold on a database (`sql.get`): released by `db:release()` or when the process ends. */
class DbHandle implements Resource {
  constructor(
    readonly db: SqlDatabase,
    private hold: SqlHold | null,
  ) {}
  release(): void {
    this.hold?.release();
    this.hold = null;
  }
  dispose(): void {
    this.release();
  }
}

class TxHandle implements Resource {
  constructor(
    readonly tx: SqlTransaction,
    readonly db: SqlDatabase,
  ) {}
  dispose(): void {
    this.tx.abandon();
  }
}

class StmtHandle implements Resource {
  constructor(readonly stmt: SqlStatement) {}
  dispose(): void {
    if (!this.stmt.closed) void this.stmt.close().catch(() => undefined);
  }
}

const SAVEPOINT_NAME = /^[A-Za-z0-9_]*$/;

function installSql(vm: LuaVM, resources: Resources | undefined, guard: Guard): void {
  const sched = vm.sched;
  let dbMeta: LuaTable;
  let txMeta: LuaTable;
  let stmtMeta: LuaTable;

  /** The failure of a database call, as `nil, err` with the operation as its context (Wippy's wrap). */
  const failWith = (R: LuaState, e: unknown, context: string): number => {
    if (e instanceof ErrorValue) return fail(R, vm, e.message, e.kind, { retryable: e.retryable ?? undefined, context });
    return fail(R, vm, e instanceof Error ? e.message : String(e), 'Internal', { context });
  };

  /**
   * Blocks the calling task until `work` settles, then returns what `push` pushes (or nil, err). `adopt` takes
   * ownership of a result for the process (a transaction, a statement) before the task is woken; when the
   * process has ended meanwhile it gets `false` and must let the result go.
   */
  const waitFor = <R>(T: LuaState, work: Promise<R>, context: string, push: (R: LuaState, r: R) => number, adopt?: (r: R, alive: boolean) => void): number => {
    const task = sched.current ?? raise(T, 'sql called outside a process');
    const proc = vm.currentProcess(T);
    work.then(
      (r) => {
        adopt?.(r, proc.alive);
        if (proc.alive) sched.wake(task, (R) => push(R, r));
      },
      (e: unknown) => sched.wake(task, (R) => failWith(R, e, context)),
    );
    return sched.block(T);
  };

  const pushTrue = (R: LuaState): number => (lua.lua_pushboolean(R, true), lua.lua_pushnil(R), 2);
  const pushExec = (R: LuaState, r: SqlExecResult): number => (pushExecResult(R, vm, r), lua.lua_pushnil(R), 2);

  /** Rows for a blocked task: small results are built when it resumes, large ones first, a slice per turn. */
  const waitForRows = (T: LuaState, work: Promise<SqlRows>, context: string): number => {
    const task = sched.current ?? raise(T, 'sql called outside a process');
    work.then(
      (rows) => deliverRows(task, rows),
      (e: unknown) => sched.wake(task, (R) => failWith(R, e, context)),
    );
    return sched.block(T);
  };

  /**
   * Column names as Lua strings, made once per names array (a driver hands out one per statement). Not vm.key:
   * its table keeps every name forever, and column names come from user SQL.
   */
  const keyCache = new WeakMap<readonly string[], Slot[]>();
  let lastColumns: readonly string[] | null = null;
  let lastKeys: Slot[] = [];
  const keysOf = (columns: readonly string[]): Slot[] => {
    if (columns === lastColumns) return lastKeys;
    lastColumns = columns;
    lastKeys = keysUncached(columns);
    return lastKeys;
  };
  const keysUncached = (columns: readonly string[]): Slot[] => {
    let keys = keyCache.get(columns);
    if (keys === undefined) {
      keys = columns.map((c) => (pushString(vm.L, c), popSlot(vm.L)));
      keyCache.set(columns, keys);
    }
    return keys;
  };

  const deliverRows = (task: Task, rows: SqlRows): void => {
    const b = new RowBuilder(keysOf(rows.columns), rows);
    if (b.size <= SLICE_CELLS) {
      sched.wake(task, (R) => (b.pushAll(R), lua.lua_pushnil(R), 2));
      return;
    }
    const L = vm.L;
    lua.lua_createtable(L, rows.rows.length, 0);
    const table: Slot = popSlot(L);
    const perSlice = Math.max(1, Math.floor(SLICE_CELLS / Math.max(1, rows.columns.length)));
    const slice = (): void => {
      if (task.state !== 'blocked') return; // its process ended meanwhile
      pushSlot(L, table);
      b.step(L, perSlice);
      lua.lua_settop(L, -2);
      if (b.done) sched.wake(task, (R) => (pushSlot(R, table), lua.lua_pushnil(R), 2));
      else setImmediate(slice);
    };
    setImmediate(slice);
  };

  const dbAt = (T: LuaState): DbHandle => objectArg(T, 1, DbHandle, 'database expected');
  const txAt = (T: LuaState): TxHandle => objectArg(T, 1, TxHandle, 'transaction expected');
  const stmtAt = (T: LuaState): StmtHandle => objectArg(T, 1, StmtHandle, 'statement expected');

  /** The params argument, or `nil, err` pushed (then the returned count is what the host function returns). */
  const params = (T: LuaState, idx: number): SqlParam[] | number => {
    const p = paramsAt(T, idx);
    return typeof p === 'string' ? fail(T, vm, p, 'Invalid', { retryable: false, context: 'check params' }) : p;
  };

  /** Rows the database gave at once (a point read, at most one row): the task goes on without blocking. */
  const pushRowsNow = (T: LuaState, rows: SqlRows, context: string): number => {
    if (rows.rows.length * rows.columns.length > SLICE_CELLS) return waitForRows(T, Promise.resolve(rows), context);
    pushRows(T, keysOf(rows.columns), rows.rows);
    lua.lua_pushnil(T);
    return 2;
  };

  const runQuery = (T: LuaState, runner: Runner, sql: string, args: SqlParam[], context: string): number => {
    const now = runner.queryNow?.(sql, args);
    return now !== undefined ? pushRowsNow(T, now, context) : waitForRows(T, runner.query(sql, args), context);
  };
  const runExec = (T: LuaState, runner: Runner, sql: string, args: SqlParam[], context: string): number => waitFor(T, runner.execute(sql, args), context, pushExec);

  const prepare = (T: LuaState, runner: Runner, context: string): number => {
    const sql = checkJsString(T, 2);
    const proc = vm.currentProcess(T);
    let handle: StmtHandle | null = null;
    return waitFor(T, runner.prepare(sql), context, (R) => (pushObject(R, handle as StmtHandle, stmtMeta), lua.lua_pushnil(R), 2), (stmt, alive) => {
      handle = new StmtHandle(stmt);
      if (alive) proc.own(handle);
      else handle.dispose();
    });
  };

  const dbType = (db: SqlDatabase): string => db.type;

  dbMeta = metatable(vm, 'sql.DB', {
    type: (T) => (pushString(T, dbType(dbAt(T).db)), lua.lua_pushnil(T), 2),
    query: (T) => {
      const h = dbAt(T);
      const sql = checkJsString(T, 2);
      const p = params(T, 3);
      return typeof p === 'number' ? p : runQuery(T, h.db, sql, p, 'query');
    },
    execute: (T) => {
      const h = dbAt(T);
      const sql = checkJsString(T, 2);
      const p = params(T, 3);
      return typeof p === 'number' ? p : runExec(T, h.db, sql, p, 'execute');
    },
    prepare: (T) => prepare(T, dbAt(T).db, 'prepare'),
    begin: (T) => {
      const h = dbAt(T);
      const options: { isolation?: SqlIsolation; readOnly?: boolean } = {};
      if (lua.lua_type(T, 2) === lua.LUA_TTABLE) {
        lua.lua_getfield(T, 2, 'read_only');
        if (lua.lua_type(T, -1) === lua.LUA_TBOOLEAN) options.readOnly = lua.lua_toboolean(T, -1);
        lua.lua_getfield(T, 2, 'isolation');
        if (lua.lua_type(T, -1) === lua.LUA_TSTRING) {
          const level = checkJsString(T, -1);
          if (!(ISOLATIONS as readonly string[]).includes(level)) return fail(T, vm, `invalid isolation level: ${level}`, 'Invalid', { retryable: false });
          options.isolation = level as SqlIsolation;
        }
        lua.lua_settop(T, 2);
      }
      return begin(T, h, options);
    },
    release: (T) => {
      const h = dbAt(T);
      h.release();
      vm.currentProcess(T).disown(h);
      return pushTrue(T);
    },
    stats: (T) => {
      const s = dbAt(T).db.stats();
      const table = (fields: Record<string, number | string>): void => {
        lua.lua_createtable(T, 0, Object.keys(fields).length);
        for (const [k, v] of Object.entries(fields)) setField(vm, T, -1, k, () => (typeof v === 'string' ? pushString(T, v) : lua.lua_pushinteger(T, v)));
      };
      table({
        max_open_connections: s.maxOpenConnections,
        open_connections: s.openConnections,
        in_use: s.inUse,
        idle: s.idle,
        wait_count: s.waitCount,
        wait_duration: formatDuration(Math.round(s.waitMs * 1e6)),
        max_idle_closed: s.maxIdleClosed,
        max_idle_time_closed: s.maxIdleTimeClosed,
        max_lifetime_closed: s.maxLifetimeClosed,
        abandoned_transactions: s.abandonedTransactions,
      });
      lua.lua_pushnil(T);
      return 2;
    },
  });

  const begin = (T: LuaState, h: DbHandle, options: SqlTxOptions): number => {
    const proc = vm.currentProcess(T);
    let handle: TxHandle | null = null;
    return waitFor(T, h.db.begin(options), 'begin', (R) => (pushObject(R, handle as TxHandle, txMeta), lua.lua_pushnil(R), 2), (tx, alive) => {
      handle = new TxHandle(tx, h.db);
      if (alive) proc.own(handle);
      else handle.dispose();
    });
  };

  /** The transaction argument when active; else raises for a wrong self, or pushes `nil, err` (count returned). */
  const activeTx = (T: LuaState): TxHandle | number => {
    const h = txAt(T);
    return h.tx.active ? h : fail(T, vm, 'transaction is not active', 'Invalid', { retryable: false });
  };

  /** commit / rollback: the transaction ends (and its process lets go of it) whatever the database says. */
  const end = (T: LuaState, op: 'commit' | 'rollback'): number => {
    const h = activeTx(T);
    if (typeof h === 'number') return h;
    const proc = vm.currentProcess(T);
    const work = op === 'commit' ? h.tx.commit() : h.tx.rollback();
    const done = (): void => proc.disown(h);
    work.then(done, done);
    return waitFor(T, work, `tx ${op}`, pushTrue);
  };

  /** savepoint / rollback_to / release: a checked name in one statement, true on success. */
  const savepoint = (T: LuaState, prefix: string): number => {
    const h = activeTx(T);
    if (typeof h === 'number') return h;
    const name = checkJsString(T, 2);
    if (name === '') return fail(T, vm, 'savepoint name is required', 'Invalid', { retryable: false });
    if (!SAVEPOINT_NAME.test(name)) return fail(T, vm, 'savepoint name can only contain alphanumeric characters and underscores', 'Invalid', { retryable: false });
    return waitFor(T, h.tx.execute(`${prefix} ${name}`), 'savepoint', pushTrue);
  };

  txMeta = metatable(vm, 'sql.Transaction', {
    db_type: (T) => {
      const h = activeTx(T);
      return typeof h === 'number' ? h : (pushString(T, dbType(h.db)), lua.lua_pushnil(T), 2);
    },
    query: (T) => {
      const h = activeTx(T);
      if (typeof h === 'number') return h;
      const sql = checkJsString(T, 2);
      const p = params(T, 3);
      return typeof p === 'number' ? p : runQuery(T, h.tx, sql, p, 'tx query');
    },
    execute: (T) => {
      const h = activeTx(T);
      if (typeof h === 'number') return h;
      const sql = checkJsString(T, 2);
      const p = params(T, 3);
      return typeof p === 'number' ? p : runExec(T, h.tx, sql, p, 'tx execute');
    },
    prepare: (T) => {
      const h = activeTx(T);
      return typeof h === 'number' ? h : prepare(T, h.tx, 'tx prepare');
    },
    commit: (T) => end(T, 'commit'),
    rollback: (T) => end(T, 'rollback'),
    savepoint: (T) => savepoint(T, 'SAVEPOINT'),
    rollback_to: (T) => savepoint(T, 'ROLLBACK TO SAVEPOINT'),
    release: (T) => savepoint(T, 'RELEASE SAVEPOINT'),
  });

  /** The open statement argument; else raises for a wrong self, or pushes `nil, err` (count returned). */
  const openStmt = (T: LuaState): StmtHandle | number => {
    const h = stmtAt(T);
    return h.stmt.closed ? fail(T, vm, 'statement is closed', 'Invalid', { retryable: false }) : h;
  };

  stmtMeta = metatable(vm, 'sql.Statement', {
    query: (T) => {
      const h = openStmt(T);
      if (typeof h === 'number') return h;
      const p = params(T, 2);
      if (typeof p === 'number') return p;
      const now = h.stmt.queryNow?.(p);
      return now !== undefined ? pushRowsNow(T, now, 'stmt query') : waitForRows(T, h.stmt.query(p), 'stmt query');
    },
    execute: (T) => {
      const h = openStmt(T);
      if (typeof h === 'number') return h;
      const p = params(T, 2);
      return typeof p === 'number' ? p : waitFor(T, h.stmt.execute(p), 'stmt execute', pushExec);
    },
    close: (T) => {
      const h = stmtAt(T);
      if (h.stmt.closed) return fail(T, vm, 'statement is already closed', 'Invalid', { retryable: false });
      vm.currentProcess(T).disown(h);
      return waitFor(T, h.stmt.close(), 'stmt close', pushTrue);
    },
  });

  const get = (T: LuaState): number => {
    const id = checkJsString(T, 1);
    if (id === '') return fail(T, vm, 'resource id is required', 'Invalid', { retryable: false });
    if (!guard(T, 'db.get', id)) return denied(T, vm, `not allowed to access database: ${id}`);
    if (resources === undefined) return fail(T, vm, 'resource registry not found', 'Internal');
    const db = resources.get(id, 'sql');
    if (db instanceof ErrorValue) return fail(T, vm, db.message, db.kind, { retryable: db.retryable ?? undefined, context: 'acquire resource' });
    const hold = db.acquire();
    if (hold instanceof ErrorValue) return fail(T, vm, hold.message, hold.kind, { retryable: hold.retryable ?? undefined, context: 'acquire resource' });
    const handle = new DbHandle(db, hold);
    vm.currentProcess(T).own(handle);
    pushObject(T, handle, dbMeta);
    lua.lua_pushnil(T);
    return 2;
  };

  // sql.NULL and the typed values carry no methods, as in Wippy (plain userdata).
  const plainMeta = metatable(vm, 'sql.Value', {});
  const nullValue = (T: LuaState): number => (pushObject(T, SQL_NULL, plainMeta), 1);
  const typed = (convert: (T: LuaState) => SqlParam) => (T: LuaState): number => (pushObject(T, new Typed(convert(T)), plainMeta), 1);
  const asText = (T: LuaState): SqlParam => {
    const t = lua.lua_type(T, 1);
    return t === lua.LUA_TSTRING ? paramAt(T, 1) : t === lua.LUA_TNUMBER ? checkJsString(T, 1) : '';
  };
  const asBinary = (T: LuaState): SqlParam => {
    if (lua.lua_type(T, 1) !== lua.LUA_TSTRING) return null;
    const bytes = lua.lua_tolstring(T, 1);
    return new Uint8Array(bytes ?? []);
  };
  const number = (T: LuaState): number => {
    const n = lua.lua_type(T, 1) === lua.LUA_TNUMBER ? lua.lua_tonumber(T, 1) : 0;
    return Number.isFinite(n) ? n : 0;
  };

  const api = functionTable(vm, { get });
  pushSlot(vm.L, api);
  setField(vm, vm.L, -1, 'NULL', () => nullValue(vm.L));
  lua.lua_settop(vm.L, -2);
  nestTable(vm, api, 'type', functionTable(vm, {}, TYPES), 'sql.type');
  nestTable(vm, api, 'isolation', functionTable(vm, {}, ISOLATION_CONSTANTS), 'sql.isolation');
  nestTable(vm, api, 'as', functionTable(vm, {
    int: typed((T) => BigInt(Math.trunc(number(T)))),
    float: typed((T) => number(T)),
    text: typed(asText),
    binary: typed(asBinary),
    null: nullValue,
  }), 'sql.as');
  nestTable(vm, api, 'builder', installBuilder(vm, {
    runnerAt: (T, idx) => {
      const h = objectAt(T, idx);
      if (h instanceof DbHandle) return { runner: h.db, type: h.db.type };
      if (h instanceof TxHandle) return { runner: h.tx, type: h.db.type };
      return null;
    },
    query: (T, runner, sql, args) => runQuery(T, runner, sql, args, 'query'),
    exec: (T, runner, sql, args) => runExec(T, runner, sql, args, 'execute'),
  }), 'sql.builder');
  vm.defineModule('sql', api);
}

export const sqlModule = luaModule({
  name: 'sql',
  description: 'SQL databases: queries, transactions, prepared statements and a query builder',
  classes: ['storage', 'io', 'nondeterministic'],
  install: (vm, ctx) => installSql(vm, ctx.services.resources, securityGuard(vm, ctx.services)),
});
