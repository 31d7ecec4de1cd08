/**
 * The `sql` facet: what a `db.sql.*` entry's running service offers (`resources.get(id, 'sql')`). The `sql`
 * Lua module uses it, and so may other services (a `store.sql` keeps its rows through it).
 *
 * Every operation is asynchronous and never blocks the runtime's thread (SQLite runs in a worker thread).
 * Failed promises reject with an ErrorValue whose kind says what went wrong: Invalid (bad SQL, a constraint,
 * a closed statement or transaction), Unavailable (the server or file cannot be reached, the database is locked,
 * the pool is closed; retryable), PermissionDenied (a read-only file or transaction), Internal (anything else).
 */
import type { ErrorValue } from '../kernel/value';
import type { SqlValue } from '../lib/sql-builder';

/** What `db:type()` answers (Wippy's `sql.type.*`). */
export type SqlDatabaseType = 'sqlite' | 'postgres' | 'mysql';

/**
 * A value bound to a placeholder: a bigint binds as an INTEGER, a number as a REAL (a float), a string as
 * TEXT, a Uint8Array as a BLOB (bytea), a boolean as the database's boolean (1/0 in SQLite), null as NULL.
 */
export type SqlParam = SqlValue;

/**
 * A value read from a row, by the same rule: INTEGER columns give a bigint, REAL ones a number, TEXT a string,
 * BLOB (bytea) a Uint8Array, booleans a boolean, NULL null. PostgreSQL types without a JS counterpart arrive as
 * their text (numeric, json, arrays, uuid); timestamps and dates as RFC 3339 text in UTC, as Wippy gives them.
 */
export type SqlCell = SqlValue;

/** A query's result: column names in order, and each row's cells in that order. */
export interface SqlRows {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly SqlCell[])[];
}

/** What a statement that changes rows reports (Wippy's `{last_insert_id, rows_affected}`). */
export interface SqlExecResult {
  /** SQLite's last inserted rowid (0 on PostgreSQL, which has none: use RETURNING). */
  readonly lastInsertId: number;
  readonly rowsAffected: number;
}

/** Wippy's `sql.isolation.*` values. */
export type SqlIsolation = 'default' | 'read_uncommitted' | 'read_committed' | 'write_committed' | 'repeatable_read' | 'serializable';

export interface SqlTxOptions {
  readonly isolation?: SqlIsolation;
  readonly readOnly?: boolean;
}

/** The pool's counters, as Go's `sql.DBStats` (what `db:stats()` shows). */
export interface SqlStats {
  readonly maxOpenConnections: number;
  readonly openConnections: number;
  readonly inUse: number;
  readonly idle: number;
  /** How many operations had to wait for a connection, and for how long in all (ms). */
  readonly waitCount: number;
  readonly waitMs: number;
  readonly maxIdleClosed: number;
  readonly maxIdleTimeClosed: number;
  readonly maxLifetimeClosed: number;
  /** Transactions rolled back because their owner ended without commit or rollback (wisp's addition). */
  readonly abandonedTransactions: number;
}

/**
 * Something statements run on: the database (each call on a pooled connection) or a transaction (its own
 * connection). Placeholders are `?`; on PostgreSQL `$1, $2, ...` work too (a `?` text is rewritten when it
 * has parameters and no `$n`).
 */
export interface SqlRunner {
  query(sql: string, params?: readonly SqlParam[]): Promise<SqlRows>;
  execute(sql: string, params?: readonly SqlParam[]): Promise<SqlExecResult>;
  /** Checks the statement now (a syntax error rejects here) and runs it later as often as wanted. */
  prepare(sql: string): Promise<SqlStatement>;
  /**
   * The rows `query` would give, now, when the database can answer without making the caller wait (a SQLite
   * point read: a lookup by key, at most one row); undefined otherwise, and then `query` is the way.
   */
  queryNow?(sql: string, params?: readonly SqlParam[]): SqlRows | undefined;
}

export interface SqlStatement {
  query(params?: readonly SqlParam[]): Promise<SqlRows>;
  /** As SqlRunner.queryNow. */
  queryNow?(params?: readonly SqlParam[]): SqlRows | undefined;
  execute(params?: readonly SqlParam[]): Promise<SqlExecResult>;
  /** Rejects (Invalid) when already closed. */
  close(): Promise<void>;
  readonly closed: boolean;
}

export interface SqlTransaction extends SqlRunner {
  /** False once committed or rolled back; every call then rejects (Invalid, "transaction is not active"). */
  readonly active: boolean;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  /** Its owner ended (a process died) without commit or rollback: rolled back, counted in the stats. */
  abandon(): void;
}

export interface SqlDatabase extends SqlRunner {
  readonly type: SqlDatabaseType;
  begin(options?: SqlTxOptions): Promise<SqlTransaction>;
  stats(): SqlStats;
  /**
   * A counted hold on the database (what `sql.get` takes, Wippy's resource acquire): the service waits for
   * holds to be released when it stops. An ErrorValue (Unavailable) once the pool is closed.
   */
  acquire(): SqlHold | ErrorValue;
}

export interface SqlHold {
  /** Idempotent. */
  release(): void;
}

declare module './resources' {
  interface Facets {
    sql: SqlDatabase;
  }
}
