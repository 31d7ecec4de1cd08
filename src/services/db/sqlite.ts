/**
 * SQLite, the embedded default: better-sqlite3 on a worker thread (./sqlite-worker.ts), one connection per
 * database as Wippy has it (MaxOpenConns 1: every user of a ":memory:" database sees the same one). Commands
 * queued while a batch runs go in the next batch: one round trip serves many processes.
 */
import { Worker } from 'worker_threads';
import { resolve } from 'path';
import type { ErrorKind } from '../../kernel/value';
import type { ErrorValue } from '../../kernel/value';
import type { SqlExecResult, SqlRows } from '../../api/sql';
import { sqlError, type Command, type Driver, type DriverConnection, type Outcome } from './driver';
import { OP, OUT, sqliteWorker, type SqliteWorkerData } from './sqlite-worker';

/** The worker's source, made once (a function's text: it compiles to plain JS with the rest). */
const WORKER_SOURCE = `(${String(sqliteWorker)})()`;

/** Rows of one result, estimated, at most: 64 MiB, the size of the largest Lua string. */
export const MAX_RESULT_BYTES = 64 * 1024 * 1024;

export interface SqliteOptions {
  /** ":memory:" or a path, relative to the working directory. */
  readonly file: string;
  /** How long a statement waits for another connection's lock before "database is locked" (ms). */
  readonly busyTimeoutMs: number;
}

/** SQLite's result codes as error kinds (the extended codes start with the primary one). */
function kindOf(code: string): { kind: ErrorKind; retryable: boolean } {
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return { kind: 'Unavailable', retryable: true };
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_AUTH') || code.startsWith('SQLITE_PERM')) return { kind: 'PermissionDenied', retryable: false };
  if (code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_FULL')) return { kind: 'Unavailable', retryable: false };
  if (code.startsWith('SQLITE_CORRUPT') || code.startsWith('SQLITE_NOTADB') || code.startsWith('SQLITE_NOMEM') || code.startsWith('SQLITE_INTERNAL')) return { kind: 'Internal', retryable: false };
  return { kind: 'Invalid', retryable: false }; // syntax, missing table, constraint, mismatch, too big, misuse
}

function failure(out: readonly unknown[]): ErrorValue {
  const { kind, retryable } = kindOf(String(out[1]));
  return sqlError(String(out[2]), kind, retryable);
}

function toWorker(c: Command): unknown[] {
  switch (c.op) {
    case 'query':
      return [OP.QUERY, c.sql, [...c.params]];
    case 'execute':
      return [OP.EXECUTE, c.sql, [...c.params]];
    case 'prepare':
      return [OP.PREPARE, c.sql];
    case 'begin': // SQLite has one isolation level and no read-only transactions: both options are accepted, as Go's driver does
      return [OP.BEGIN];
    case 'commit':
      return [OP.COMMIT];
    case 'rollback':
      return [OP.ROLLBACK];
  }
}

function fromWorker(out: readonly unknown[]): Outcome {
  switch (out[0]) {
    case OUT.ROWS:
      return { columns: out[1], rows: out[2] } as SqlRows;
    case OUT.EXEC:
      return { lastInsertId: out[1], rowsAffected: out[2] } as SqlExecResult;
    case OUT.DONE:
      return null;
    default:
      return failure(out);
  }
}

class SqliteConnection implements DriverConnection {
  /** Batches sent, oldest first, each waiting for its array of outcomes. */
  private readonly inflight: ((outcomes: unknown[][]) => void)[] = [];
  private gone: ErrorValue | null = null;

  constructor(
    private readonly worker: Worker,
    lost: (error: ErrorValue) => void,
  ) {
    worker.on('message', (outcomes: unknown[][]) => this.inflight.shift()?.(outcomes));
    const die = (reason: string): void => {
      if (this.gone !== null) return;
      this.gone = sqlError(`SQLite connection lost: ${reason}`, 'Unavailable', true);
      for (const waiting of this.inflight.splice(0)) waiting([]);
      lost(this.gone);
    };
    worker.on('error', (e) => die(e.message));
    worker.on('exit', (code) => die(`its thread exited (${code})`));
  }

  run(commands: readonly Command[]): Promise<Outcome[]> {
    if (this.gone !== null) return Promise.resolve(commands.map(() => this.gone as ErrorValue));
    return new Promise((resolve) => {
      this.inflight.push((outcomes) => resolve(commands.map((_, i) => (outcomes[i] === undefined ? (this.gone as ErrorValue) : fromWorker(outcomes[i])))));
      this.worker.postMessage(commands.map(toWorker));
    });
  }

  async close(): Promise<void> {
    if (this.gone === null) {
      await new Promise<void>((resolve) => {
        this.inflight.push(() => resolve());
        this.worker.postMessage([[OP.CLOSE]]);
      });
      this.gone = sqlError('SQLite connection closed', 'Unavailable', true);
    }
    await this.worker.terminate();
  }
}

export function sqliteDriver(options: SqliteOptions): Driver {
  const file = options.file === ':memory:' ? ':memory:' : resolve(options.file);
  return {
    type: 'sqlite',
    connect: (lost) =>
      new Promise((resolveConnection, reject) => {
        const workerData: SqliteWorkerData = {
          driver: require.resolve('better-sqlite3'),
          file,
          busyTimeoutMs: options.busyTimeoutMs,
          maxResultBytes: MAX_RESULT_BYTES,
        };
        const worker = new Worker(WORKER_SOURCE, { eval: true, workerData });
        worker.once('message', (first: unknown[][]) => {
          const out = first[0];
          if (out[0] === OUT.READY) {
            resolveConnection(new SqliteConnection(worker, lost));
            return;
          }
          void worker.terminate();
          const e = failure(out);
          reject(sqlError(`cannot open SQLite database ${options.file}: ${e.message}`, e.kind, e.retryable === true));
        });
        worker.once('error', (e) => reject(sqlError(`cannot open SQLite database ${options.file}: ${e.message}`, 'Internal', false)));
      }),
  };
}
