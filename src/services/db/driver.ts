/**
 * What a database driver gives the pool (./pool.ts): connections that run commands in order. The SQLite driver
 * runs its connection in a worker thread (./sqlite.ts), the PostgreSQL one talks to the server (./postgres.ts).
 */
import { ErrorValue, type ErrorKind } from '../../kernel/value';
import type { SqlDatabaseType, SqlExecResult, SqlParam, SqlRows, SqlTxOptions } from '../../api/sql';

export type Command =
  | { readonly op: 'query' | 'execute'; readonly sql: string; readonly params: readonly SqlParam[] }
  | { readonly op: 'prepare'; readonly sql: string }
  | { readonly op: 'begin'; readonly options: SqlTxOptions }
  | { readonly op: 'commit' | 'rollback' };

/** A command's result: rows for query, a count for execute, null for the others; or the error it failed with. */
export type Outcome = SqlRows | SqlExecResult | null | ErrorValue;

/**
 * Thrown by `run` when the connection turned out to be gone before anything was sent (a server that closed an
 * idle connection): the pool runs the work again on another connection, as Go's database/sql does on ErrBadConn.
 */
export class StaleConnection extends Error {
  constructor(readonly reason: ErrorValue) {
    super(reason.message);
  }
}

export interface DriverConnection {
  /** How many batches may be out at once (they run in the order sent): 1 unless the driver queues them itself. */
  readonly pipeline: number;
  /** Runs `commands` in order; each has its own outcome (one failing does not stop the next). */
  run(commands: readonly Command[]): Promise<Outcome[]>;
  /**
   * The rows of a query answered now on the runtime's thread, when the driver can prove it cheap (SQLite's point
   * reads, ./point-read.ts), else undefined. Only called while the connection has nothing queued or running.
   */
  readNow?(sql: string, params: readonly SqlParam[]): SqlRows | undefined;
  /** Closes it (an open transaction is rolled back by the database). */
  close(): Promise<void>;
}

export interface Driver {
  readonly type: SqlDatabaseType;
  /** Opens a connection; `lost` is called once if it breaks later (server gone, worker died). */
  connect(lost: (error: ErrorValue) => void): Promise<DriverConnection>;
}

/** An error for the Lua side and other services: the driver's message, a kind, whether a retry can help. */
export function sqlError(message: string, kind: ErrorKind, retryable: boolean): ErrorValue {
  return new ErrorValue(message, kind, retryable);
}

export const notActive = (): ErrorValue => sqlError('transaction is not active', 'Invalid', false);
export const statementClosed = (): ErrorValue => sqlError('statement is closed', 'Invalid', false);
