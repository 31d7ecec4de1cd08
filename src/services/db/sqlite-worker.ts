/**
 * The body of a SQLite connection's worker thread: better-sqlite3 (synchronous) runs here, so a long query never
 * stalls the runtime's thread. It is started from its source text (`String(sqliteWorker)`, eval mode), so it uses
 * nothing from outside its own body; ./sqlite.ts is the other end of the messages.
 *
 * Messages in: a batch of commands, each a tuple (the opcodes below). Out: first READY or FAILED for the open,
 * then one array of outcomes per batch, in order. Integers travel as bigint (safe integers on), reals as numbers.
 */
import type { Database as SqliteDatabase, Statement } from 'better-sqlite3';

export interface SqliteWorkerData {
  /** require() path of better-sqlite3. */
  readonly driver: string;
  readonly file: string;
  readonly busyTimeoutMs: number;
  /** A query whose rows would exceed this (estimated bytes) fails instead of being sent. */
  readonly maxResultBytes: number;
}

export const OP = { QUERY: 0, EXECUTE: 1, PREPARE: 2, BEGIN: 3, COMMIT: 4, ROLLBACK: 5, CLOSE: 6 } as const;
export const OUT = { ROWS: 0, EXEC: 1, DONE: 2, READY: 3, FAILED: 9 } as const;

export function sqliteWorker(): void {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { parentPort, workerData } = require('worker_threads') as typeof import('worker_threads');
  const data = workerData as SqliteWorkerData;
  const port = parentPort as import('worker_threads').MessagePort;
  const Driver = require(data.driver) as typeof import('better-sqlite3');
  const CACHE = 512;
  const cache = new Map<string, Statement>();
  const columns = new WeakMap<Statement, string[]>();
  let db: SqliteDatabase;

  const failure = (e: unknown): unknown[] => {
    const err = e as { code?: unknown; message?: unknown };
    return [9, typeof err.code === 'string' ? err.code : 'SQLITE_ERROR', typeof err.message === 'string' ? err.message : String(e)];
  };

  const statement = (sql: string): Statement => {
    let st = cache.get(sql);
    if (st === undefined) {
      st = db.prepare(sql);
      st.safeIntegers(true);
      if (st.reader) st.raw(true);
      if (cache.size >= CACHE) cache.delete(cache.keys().next().value as string);
      cache.set(sql, st);
    }
    return st;
  };

  const bind = (params: unknown[]): unknown[] => {
    for (let i = 0; i < params.length; i++) {
      const p = params[i];
      if (typeof p === 'boolean') params[i] = p ? 1n : 0n;
      else if (p instanceof Uint8Array && !Buffer.isBuffer(p)) params[i] = Buffer.from(p.buffer, p.byteOffset, p.byteLength);
    }
    return params;
  };

  const rows = (st: Statement, params: unknown[]): unknown[] => {
    const out: unknown[][] = [];
    let bytes = 0;
    for (const row of st.iterate(...params) as IterableIterator<unknown[]>) {
      for (const cell of row) bytes += typeof cell === 'string' ? cell.length + 16 : cell instanceof Uint8Array ? cell.length + 16 : 16;
      if (bytes > data.maxResultBytes) {
        throw Object.assign(new Error(`query result too large (more than ${data.maxResultBytes} bytes)`), { code: 'WISP_TOOBIG' });
      }
      out.push(row);
    }
    let names = columns.get(st);
    if (names === undefined) columns.set(st, (names = st.columns().map((c) => c.name)));
    return [0, names, out];
  };

  const run = (cmd: unknown[]): unknown[] => {
    try {
      switch (cmd[0]) {
        case 0: { // query: a statement that returns no rows is run and gives none
          const st = statement(cmd[1] as string);
          const params = bind(cmd[2] as unknown[]);
          if (st.reader) return rows(st, params);
          st.run(...params);
          return [0, [], []];
        }
        case 1: { // execute: a statement that returns rows is run for its effect
          const sql = cmd[1] as string;
          const params = bind(cmd[2] as unknown[]);
          let st: Statement;
          try {
            st = statement(sql);
          } catch (e) {
            // Several statements in one text: run them all (Go's driver does), without parameters.
            if (!(e instanceof RangeError) || params.length > 0) throw e;
            db.exec(sql);
            const [id, changes] = db.prepare('SELECT last_insert_rowid(), changes()').raw(true).get() as number[];
            return [1, Number(id), Number(changes)];
          }
          if (st.reader) {
            for (const _ of st.iterate(...params)) void _;
            return [1, 0, 0];
          }
          const r = st.run(...params);
          return [1, Number(r.lastInsertRowid), Number(r.changes)];
        }
        case 2:
          statement(cmd[1] as string);
          return [2];
        case 3:
          db.exec('BEGIN');
          return [2];
        case 4:
          db.exec('COMMIT');
          return [2];
        case 5:
          db.exec('ROLLBACK');
          return [2];
        case 6:
          cache.clear();
          db.close();
          return [2];
        default:
          return [9, 'SQLITE_MISUSE', `unknown command ${String(cmd[0])}`];
      }
    } catch (e) {
      return failure(e);
    }
  };

  try {
    db = new Driver(data.file, { timeout: data.busyTimeoutMs });
    try {
      if (data.file !== ':memory:') db.pragma('journal_mode = WAL');
    } catch (e) {
      // A read-only file stays readable; writes then fail with SQLITE_READONLY.
      if ((e as { code?: unknown }).code !== 'SQLITE_READONLY') throw e;
    }
  } catch (e) {
    port.postMessage([failure(e)]);
    return;
  }
  port.postMessage([[3]]);
  port.on('message', (batch: unknown[][]) => {
    const out: unknown[] = new Array(batch.length);
    for (let i = 0; i < batch.length; i++) out[i] = run(batch[i]);
    port.postMessage(out);
  });
}
