/**
 * SQLite point reads on the runtime's thread: a read-only connection of its own to the private file behind a
 * ":memory:" database (./sqlite.ts), which only the worker writes to, answers, at once and without a round trip, the SELECTs that are provably bounded; everything
 * else goes to the worker. A statement qualifies when SQLite compiles it to a program without loops or function
 * calls: each instruction runs at most once, so it costs a few B-tree seeks and the reading of at most one row
 * (O(log n)), whatever the data. It is decided once per SQL text from the program itself (`EXPLAIN`), checked
 * against the query plan (`EXPLAIN QUERY PLAN`: only SEARCH steps), and forgotten when the schema changes.
 *
 * Anything unexpected (a binding error, a lock, a result past the size limit, any failure) answers "not here":
 * the worker then runs the statement as before and gives the canonical result or error.
 */
import type { Database as SqliteDatabase, Statement } from 'better-sqlite3';
import { BoundedMap } from '../../util/bounded-map';
import type { SqlParam, SqlRows } from '../../api/sql';

/** Instructions a point read is made of: none loops, calls a function, sorts, or opens a temporary table. */
const BOUNDED_OPCODES = new Set([
  'Init', 'Goto', 'Halt', 'Transaction', 'OpenRead', 'Noop', 'Variable', 'Integer', 'Int64', 'Real', 'String8',
  'Null', 'SeekRowid', 'NotExists', 'MustBeInt', 'Rowid', 'Column', 'RealAffinity', 'Affinity', 'ResultRow',
  'IsNull', 'NotNull', 'SeekGE', 'SeekLE', 'SeekGT', 'SeekLT', 'IdxGT', 'IdxGE', 'IdxLT', 'IdxLE', 'DeferredSeek',
  'IdxRowid', 'Copy', 'SCopy', 'IfNullRow', 'Eq', 'Ne', 'Lt', 'Le', 'Gt', 'Ge', 'If', 'IfNot', 'DecrJumpZero',
  'Add', 'Subtract', 'Multiply', 'Divide', 'Remainder', 'BitAnd', 'BitOr', 'ShiftLeft', 'ShiftRight', 'BitNot',
  'Not', 'Cast', 'ZeroOrNull', 'And', 'Or', 'IsTrue',
]);

/** Of those, the ones whose p2 is a jump target (0: none, for MustBeInt). */
const JUMPS = new Set([
  'Init', 'Goto', 'SeekRowid', 'NotExists', 'MustBeInt', 'IsNull', 'NotNull', 'SeekGE', 'SeekLE', 'SeekGT', 'SeekLT',
  'IdxGT', 'IdxGE', 'IdxLT', 'IdxLE', 'IfNullRow', 'Eq', 'Ne', 'Lt', 'Le', 'Gt', 'Ge', 'If', 'IfNot', 'DecrJumpZero',
]);

interface Instruction {
  readonly addr: number;
  readonly opcode: string;
  readonly p2: number;
}

/**
 * Whether the program runs each instruction at most once: SQLite's layout is a body (1 .. the Init's target - 1)
 * that must only jump forward within itself, then a preamble (transaction, constants) that runs straight to one
 * Goto back to the body's start.
 */
export function boundedProgram(program: readonly Instruction[]): boolean {
  if (program.length === 0 || program[0].opcode !== 'Init') return false;
  const bodyEnd = program[0].p2;
  if (bodyEnd <= 0 || bodyEnd >= program.length) return false;
  for (const ins of program) {
    if (!BOUNDED_OPCODES.has(ins.opcode)) return false;
    if (ins.addr === 0) continue;
    if (ins.addr < bodyEnd) {
      if (ins.opcode === 'Init') return false;
      if (JUMPS.has(ins.opcode) && !(ins.p2 > ins.addr && ins.p2 < bodyEnd) && !(ins.opcode === 'MustBeInt' && ins.p2 === 0)) return false;
    } else if (ins.opcode === 'Goto') {
      if (ins.p2 !== 1 || ins.addr !== program.length - 1) return false;
    } else if (JUMPS.has(ins.opcode)) {
      return false;
    }
  }
  return program[program.length - 1].opcode === 'Goto';
}

/** Whether every step of the plan is a lookup by key (no scan, sort, subquery, co-routine or temporary b-tree). */
export function searchOnlyPlan(details: readonly string[]): boolean {
  return details.length > 0 && details.every((d) => /^SEARCH \S+ USING (INTEGER PRIMARY KEY|PRIMARY KEY|(COVERING )?INDEX \S+) \(/.test(d));
}

/**
 * Whether a text may be a point read at all, told from the text alone before anything compiles it here:
 * compiling is the one cost on the runtime's thread that a script's text could make large (a long text, a
 * many-table join, a compound or an OR list takes milliseconds to plan), so only short single-table SELECTs
 * without those words are compiled (strings and names holding them are left to the worker too).
 */
export function pointShaped(sql: string): boolean {
  if (sql.length > MAX_TEXT || !SELECT_START.test(sql) || NOT_POINT.test(sql) || TWO_SELECTS.test(sql)) return false;
  const from = sql.search(FROM);
  return from >= 0 && !sql.includes(',', from);
}

const MAX_TEXT = 512;
const SELECT_START = /^\s*select\b/i;
const NOT_POINT = /\b(union|intersect|except|join|with|in|or|like|glob|match|regexp|group|having|over|window|values)\b/i;
const TWO_SELECTS = /\bselect\b[\s\S]*\bselect\b/i;
const FROM = /\bfrom\b/i;

/** A classified SQL text: its statement and column names, or null when it is not a point read. */
type Classified = { readonly statement: Statement; readonly columns: readonly string[] } | null;

/** A pragma that may need the file to itself. */
const FILE_MODE = /\b(locking_mode|journal_mode)\b/i;

/** A statement that may create something in the connection's own temporary schema. */
const TEMPORARY = /\btemp(orary)?\b/i;

/** SQL texts remembered per connection (a script chooses them: bounded). */
const CLASSIFIED = 256;

/** SQLite values from the facet's parameters, as the worker binds them. */
function bind(params: readonly SqlParam[]): readonly unknown[] {
  let out: unknown[] | null = null;
  for (let i = 0; i < params.length; i++) {
    const p = params[i];
    if (typeof p !== 'boolean' && (typeof p !== 'object' || p === null)) continue;
    out ??= params.slice();
    out[i] = typeof p === 'boolean' ? (p ? 1n : 0n) : Buffer.isBuffer(p) ? p : Buffer.from(p.buffer, p.byteOffset, p.byteLength);
  }
  return out ?? params;
}

export interface PointReaderOptions {
  /** A result whose estimated size exceeds this goes to the worker (which refuses it with its error). */
  readonly maxResultBytes: number;
}

export class PointReader {
  private readonly known = new BoundedMap<string, Classified>(CLASSIFIED);
  /** The text read last and what it is (most reads repeat one text). */
  private lastSql: string | null = null;
  private last: Classified | undefined = undefined;
  private readonly schemaVersion: Statement;
  /** Any statement that reads the schema: running one makes the connection load a changed schema. */
  private readonly schemaReload: Statement;
  private schema = -1;
  /** A read transaction is open: kept from one read to the next until the worker is sent something. */
  private snapshot = false;
  private closed = false;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly options: PointReaderOptions,
  ) {
    this.schemaVersion = db.prepare('PRAGMA schema_version').pluck();
    this.schemaReload = db.prepare('SELECT count(*) FROM sqlite_schema').pluck();
  }

  /** The rows of a point read now, or undefined when this statement (or this moment) is the worker's. */
  read(sql: string, params: readonly SqlParam[]): SqlRows | undefined {
    if (this.closed) return undefined;
    try {
      this.begin();
      const values = bind(params);
      let c = sql === this.lastSql ? this.last : this.known.get(sql);
      if (c === undefined) {
        c = this.classify(sql, values);
        if (c === undefined) return undefined;
        this.known.set(sql, c);
      }
      this.lastSql = sql;
      this.last = c;
      if (c === null) return undefined;
      // The program has no loop: one row at most.
      const row = (values.length === 1 ? c.statement.get(values[0]) : c.statement.get(...values)) as unknown[] | undefined;
      if (row === undefined) return { columns: c.columns, rows: [] };
      return this.fits(row) ? { columns: c.columns, rows: [row as SqlRows['rows'][number]] } : undefined;
    } catch {
      this.release();
      return undefined;
    }
  }

  /**
   * Told of each statement the worker is sent (the snapshot is ended before it runs: see release). Some end
   * this connection's point reads for good: a temporary table (or view) lives in the worker's connection only
   * and may shadow a table of the same name, and a new locking or journal mode may need the file alone.
   */
  sent(sql: string): void {
    if (this.closed) return;
    // A change of the locking or journal mode needs the file to itself (an open connection keeps a lock on
    // the WAL index): this connection lets go before the worker runs it.
    if (FILE_MODE.test(sql)) {
      this.close();
      return;
    }
    if (!TEMPORARY.test(sql)) return;
    try {
      if (this.db.prepare(sql).readonly) return;
    } catch {
      // several statements, or one this connection cannot compile: assume the worst
    }
    this.close();
  }

  /** Ends the kept snapshot: called before the worker runs anything (its writes must be seen afterwards). */
  release(): void {
    if (!this.snapshot) return;
    this.snapshot = false;
    if (this.db.inTransaction) this.db.exec('COMMIT');
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.known.clear();
    this.lastSql = null;
    try {
      this.release();
    } finally {
      this.db.close();
    }
  }

  /** Opens the read transaction and learns whether the schema changed since the last one (then forgets all). */
  private begin(): void {
    if (this.snapshot) return;
    this.db.exec('BEGIN');
    this.snapshot = true;
    const version = this.schemaVersion.get() as number;
    if (version !== this.schema) {
      // EXPLAIN shows the program of the schema the connection has loaded, which may be the old one: it is
      // loaded again first (a statement that runs notices the change), and what was decided is forgotten.
      this.schemaReload.get();
      this.known.clear();
      this.lastSql = null;
      this.schema = version;
    }
  }

  /**
   * The statement when `sql` is one point read; null when it is not; undefined when it cannot be told now (the
   * parameters do not fit it: the worker reports that, and a later call may bind).
   */
  private classify(sql: string, values: readonly unknown[]): Classified | undefined {
    if (!pointShaped(sql)) return null;
    let statement: Statement;
    try {
      statement = this.db.prepare(sql);
    } catch {
      return null; // not one statement, or not valid here: the worker says why
    }
    if (!statement.reader || !statement.readonly) return null;
    let program: Instruction[];
    let plan: string[];
    try {
      program = this.db.prepare(`EXPLAIN ${sql}`).all(...values) as Instruction[];
      plan = (this.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...values) as { detail: string }[]).map((r) => r.detail);
    } catch (e) {
      return e instanceof RangeError ? undefined : null;
    }
    if (!boundedProgram(program) || !searchOnlyPlan(plan)) return null;
    statement.safeIntegers(true);
    statement.raw(true);
    return { statement, columns: statement.columns().map((col) => col.name) };
  }

  /** The worker's estimate of a result's size (here one row), under its limit. */
  private fits(row: readonly unknown[]): boolean {
    let bytes = 0;
    for (const cell of row) bytes += typeof cell === 'string' || (typeof cell === 'object' && cell !== null) ? (cell as string | Uint8Array).length + 16 : 16;
    return bytes <= this.options.maxResultBytes;
  }
}
