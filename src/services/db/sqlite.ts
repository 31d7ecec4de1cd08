/**
 * SQLite, the embedded default: better-sqlite3 on a worker thread (./sqlite-worker.ts), one connection per
 * database as Wippy has it (MaxOpenConns 1: every user of a ":memory:" database sees the same one). Commands
 * queued while a batch runs go in the next batch: one round trip serves many processes. A ":memory:" database
 * lives in a private file of its own, deleted when closed, so that point reads can be answered on the runtime's
 * thread by a read-only connection to it (./point-read.ts) while the worker's connection is idle.
 */
import { Worker } from 'worker_threads';
import { join, resolve } from 'path';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import type { ErrorKind } from '../../kernel/value';
import type { ErrorValue } from '../../kernel/value';
import type { SqlExecResult, SqlParam, SqlRows } from '../../api/sql';
import { sqlError, type Command, type Driver, type DriverConnection, type Outcome } from './driver';
import { OP, OUT, sqliteWorker, type SqliteWorkerData } from './sqlite-worker';
import { PointReader } from './point-read';

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

/** Statement numbers handed out per connection before both sides forget them all and start again. */
const MAX_STATEMENTS = 4096;

class SqliteConnection implements DriverConnection {
  /** The worker runs its messages in order: a second batch goes while the first runs. */
  readonly pipeline = 2;
  /** Batches sent, oldest first, each waiting for its array of outcomes. */
  private readonly inflight: ((outcomes: unknown[][]) => void)[] = [];
  private gone: ErrorValue | null = null;
  /**
   * The worker's connection was left inside a transaction that is not the pool's (a BEGIN run as a statement):
   * other processes' reads go there and see its writes, as on one connection they always did.
   */
  private inTransaction = false;
  /** SQL texts the worker knows, by their number, and the column names of their rows once seen. */
  private readonly ids = new Map<string, number>();
  private readonly names = new Map<number, readonly string[]>();

  constructor(
    private readonly worker: Worker,
    private readonly reader: PointReader | null,
    private readonly scratch: string | null,
    lost: (error: ErrorValue) => void,
  ) {
    worker.on('message', (outcomes: unknown[][]) => {
      this.inTransaction = outcomes[outcomes.length - 1] === (true as unknown);
      this.inflight.shift()?.(outcomes);
    });
    const die = (reason: string): void => {
      if (this.gone !== null) return;
      this.gone = sqlError(`SQLite connection lost: ${reason}`, 'Unavailable', true);
      for (const waiting of this.inflight.splice(0)) waiting([]);
      lost(this.gone);
    };
    worker.on('error', (e) => die(e.message));
    worker.on('exit', (code) => die(`its thread exited (${code})`));
  }

  readNow(sql: string, params: readonly SqlParam[]): SqlRows | undefined {
    return this.gone === null && this.reader !== null && !this.inTransaction ? this.reader.read(sql, params) : undefined;
  }

  run(commands: readonly Command[]): Promise<Outcome[]> {
    if (this.gone !== null) return Promise.resolve(commands.map(() => this.gone as ErrorValue));
    // What the worker does from now on must be seen by the next point read.
    this.reader?.release();
    const out: unknown[][] = [];
    if (this.ids.size + commands.length > MAX_STATEMENTS) {
      this.ids.clear();
      this.names.clear();
      out.push([OP.FORGET]);
    }
    const skip = out.length;
    const numbers = commands.map((c) => this.encode(c, out));
    return new Promise((resolve) => {
      this.inflight.push((outcomes) =>
        resolve(commands.map((_, i) => {
          const o = outcomes[i + skip];
          return o === undefined ? (this.gone as ErrorValue) : this.decode(o, numbers[i]);
        })),
      );
      this.worker.postMessage(out);
    });
  }

  /** Appends the command's tuple; returns its statement's number (0 for none). */
  private encode(c: Command, out: unknown[][]): number {
    if (c.op === 'query' || c.op === 'execute' || c.op === 'prepare') {
      this.reader?.sent(c.sql);
      let id = this.ids.get(c.sql);
      const known = id !== undefined;
      if (id === undefined) this.ids.set(c.sql, (id = this.ids.size + 1));
      const tuple: unknown[] = c.op === 'prepare' ? [OP.PREPARE, id] : [c.op === 'query' ? OP.QUERY : OP.EXECUTE, id, c.params];
      if (!known) tuple.push(c.sql);
      out.push(tuple);
      return id;
    }
    // SQLite has one isolation level and no read-only transactions: both options are accepted, as Go's driver does.
    out.push([c.op === 'begin' ? OP.BEGIN : c.op === 'commit' ? OP.COMMIT : OP.ROLLBACK]);
    return 0;
  }

  private decode(out: readonly unknown[], id: number): Outcome {
    switch (out[0]) {
      case OUT.ROWS: {
        if (out.length > 2) this.names.set(id, out[2] as string[]);
        return { columns: this.names.get(id) ?? [], rows: out[1] } as SqlRows;
      }
      case OUT.EXEC:
        return { lastInsertId: out[1], rowsAffected: out[2] } as SqlExecResult;
      case OUT.DONE:
        return null;
      default:
        return failure(out);
    }
  }

  async close(): Promise<void> {
    this.reader?.close();
    if (this.gone === null) {
      await new Promise<void>((resolve) => {
        this.inflight.push(() => resolve());
        this.worker.postMessage([[OP.CLOSE]]);
      });
      this.gone = sqlError('SQLite connection closed', 'Unavailable', true);
    }
    await this.worker.terminate();
    if (this.scratch !== null) removeScratch(this.scratch);
  }
}

/** Directories of ":memory:" databases still open, removed at exit if not closed before. */
const scratchDirs = new Set<string>();

let cleanupAtExit = false;

function makeScratch(): string {
  if (!cleanupAtExit) {
    cleanupAtExit = true;
    process.once('exit', () => scratchDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  }
  const dir = mkdtempSync(join(tmpdir(), 'wisp-sqlite-memory-'));
  scratchDirs.add(dir);
  return dir;
}

function removeScratch(dir: string): void {
  scratchDirs.delete(dir);
  rmSync(dir, { recursive: true, force: true });
}

/** The runtime thread's read-only connection to the worker's private file, or null when it cannot open one. */
function pointReader(file: string): PointReader | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Driver = require('better-sqlite3') as typeof import('better-sqlite3');
    return new PointReader(new Driver(file, { readonly: true, fileMustExist: true, timeout: 0 }), { maxResultBytes: MAX_RESULT_BYTES });
  } catch {
    return null;
  }
}

export function sqliteDriver(options: SqliteOptions): Driver {
  const memory = options.file === ':memory:';
  return {
    type: 'sqlite',
    connect: (lost) =>
      new Promise((resolveConnection, reject) => {
        const scratch = memory ? makeScratch() : null;
        const file = scratch !== null ? join(scratch, 'memory.db') : resolve(options.file);
        const workerData: SqliteWorkerData = {
          driver: require.resolve('better-sqlite3'),
          file,
          scratch: scratch !== null,
          busyTimeoutMs: options.busyTimeoutMs,
          maxResultBytes: MAX_RESULT_BYTES,
        };
        const worker = new Worker(WORKER_SOURCE, { eval: true, workerData });
        worker.once('message', (first: unknown[][]) => {
          const out = first[0];
          if (out[0] === OUT.READY) {
            // Only the private file gets point reads: a file of the user's may be written by other programs (a
            // read transaction each time costs the runtime's thread more than the worker's round trip), and
            // its pages may have to come from the disk.
            resolveConnection(new SqliteConnection(worker, scratch !== null ? pointReader(file) : null, scratch, lost));
            return;
          }
          if (scratch !== null) removeScratch(scratch);
          void worker.terminate();
          const e = failure(out);
          reject(sqlError(`cannot open SQLite database ${options.file}: ${e.message}`, e.kind, e.retryable === true));
        });
        worker.once('error', (e) => {
          if (scratch !== null) removeScratch(scratch);
          reject(sqlError(`cannot open SQLite database ${options.file}: ${e.message}`, 'Internal', false));
        });
      }),
  };
}
