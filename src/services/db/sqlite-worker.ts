/**
 * The body of a SQLite connection's worker thread: better-sqlite3 (synchronous) runs here, so a long query never
 * stalls the runtime's thread. It is started from its source text (`String(sqliteWorker)`, eval mode), so it uses
 * nothing from outside its own body; ./sqlite.ts is the other end of the messages.
 *
 * Messages in: a batch of commands, each a tuple (opcodes below). A statement is named by a number; its SQL text
 * comes with the first command that uses the number. Out: first READY or FAILED for the open, then one array of
 * outcomes per batch, in order, followed by whether the connection is left inside a transaction. Rows carry their column names the first time a statement's rows are sent (and
 * again after a schema change). Integers travel as bigint (safe integers on), reals as numbers.
 */
import type { Database as SqliteDatabase, Statement } from 'better-sqlite3';

export interface SqliteWorkerData {
  /** require() path of better-sqlite3. */
  readonly driver: string;
  readonly file: string;
  /** The file is the private one behind a ":memory:" database: nothing to keep across a crash. */
  readonly scratch: boolean;
  readonly busyTimeoutMs: number;
  /** A query whose rows would exceed this (estimated bytes) fails instead of being sent. */
  readonly maxResultBytes: number;
}

/** [QUERY|EXECUTE, id, params, sql?], [PREPARE, id, sql?], [BEGIN], [COMMIT], [ROLLBACK], [CLOSE], [FORGET]. */
export const OP = { QUERY: 0, EXECUTE: 1, PREPARE: 2, BEGIN: 3, COMMIT: 4, ROLLBACK: 5, CLOSE: 6, FORGET: 7 } as const;
/** [ROWS, rows, names?], [EXEC, lastInsertId, changes], [DONE], [READY], [FAILED, code, message]. */
export const OUT = { ROWS: 0, EXEC: 1, DONE: 2, READY: 3, FAILED: 9 } as const;

export function sqliteWorker(): void {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { parentPort, workerData } = require('worker_threads') as typeof import('worker_threads');
  const data = workerData as SqliteWorkerData;
  const port = parentPort as import('worker_threads').MessagePort;
  const Driver = require(data.driver) as typeof import('better-sqlite3');
  const COMPILED = 512;
  /** Statement numbers to their SQL (the main side bounds how many it hands out, then sends FORGET). */
  const texts = new Map<number, string>();
  const compiled = new Map<number, Statement>();
  /** Statements whose column names the main side has. */
  const named = new Set<number>();
  const DDL = /^\s*(create|alter|drop)\b/i;
  let db: SqliteDatabase;

  const failure = (e: unknown): unknown[] => {
    const err = e as { code?: unknown; message?: unknown };
    return [9, typeof err.code === 'string' ? err.code : 'SQLITE_ERROR', typeof err.message === 'string' ? err.message : String(e)];
  };

  const statement = (id: number): Statement => {
    let st = compiled.get(id);
    if (st === undefined) {
      st = db.prepare(texts.get(id) ?? '');
      st.safeIntegers(true);
      if (st.reader) st.raw(true);
      if (compiled.size >= COMPILED) compiled.delete(compiled.keys().next().value as number);
      compiled.set(id, st);
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

  const rows = (id: number, st: Statement, params: unknown[]): unknown[] => {
    const out: unknown[][] = [];
    let bytes = 0;
    for (const row of st.iterate(...params) as IterableIterator<unknown[]>) {
      for (const cell of row) bytes += typeof cell === 'string' ? cell.length + 16 : cell instanceof Uint8Array ? cell.length + 16 : 16;
      if (bytes > data.maxResultBytes) {
        throw Object.assign(new Error(`query result too large (more than ${data.maxResultBytes} bytes)`), { code: 'WISP_TOOBIG' });
      }
      out.push(row);
    }
    if (named.has(id)) return [0, out];
    named.add(id);
    return [0, out, st.columns().map((c) => c.name)];
  };

  /** After CREATE / ALTER / DROP a statement's columns may have changed: names are sent again. */
  const changed = (id: number): void => {
    if (DDL.test(texts.get(id) ?? '')) named.clear();
  };

  const run = (cmd: unknown[]): unknown[] => {
    try {
      switch (cmd[0]) {
        case 0: { // query: a statement that returns no rows is run and gives none
          const id = cmd[1] as number;
          if (cmd.length > 3) texts.set(id, cmd[3] as string);
          const st = statement(id);
          const params = bind(cmd[2] as unknown[]);
          if (st.reader) return rows(id, st, params);
          st.run(...params);
          changed(id);
          return [0, [], []];
        }
        case 1: { // execute: a statement that returns rows is run for its effect
          const id = cmd[1] as number;
          if (cmd.length > 3) texts.set(id, cmd[3] as string);
          const params = bind(cmd[2] as unknown[]);
          let st: Statement;
          try {
            st = statement(id);
          } catch (e) {
            // Several statements in one text: run them all (Go's driver does), without parameters.
            if (!(e instanceof RangeError) || params.length > 0) throw e;
            db.exec(texts.get(id) ?? '');
            named.clear();
            const [last, changes] = db.prepare('SELECT last_insert_rowid(), changes()').raw(true).get() as number[];
            return [1, Number(last), Number(changes)];
          }
          if (st.reader) {
            for (const _ of st.iterate(...params)) void _;
            return [1, 0, 0];
          }
          const r = st.run(...params);
          changed(id);
          return [1, Number(r.lastInsertRowid), Number(r.changes)];
        }
        case 2:
          if (cmd.length > 2) texts.set(cmd[1] as number, cmd[2] as string);
          statement(cmd[1] as number);
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
          compiled.clear();
          db.close();
          return [2];
        case 7:
          texts.clear();
          compiled.clear();
          named.clear();
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
      if (data.scratch) db.pragma('synchronous = OFF');
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
    const out: unknown[] = new Array(batch.length + 1);
    for (let i = 0; i < batch.length; i++) out[i] = run(batch[i]);
    // Whether a transaction is left open (a BEGIN sent as a plain statement, not through the pool's own).
    out[batch.length] = db.open && db.inTransaction;
    port.postMessage(out);
  });
}
