/**
 * A database's connection pool, as Go's database/sql runs one for Wippy: at most `maxOpen` connections (0: no
 * limit), at most `maxIdle` kept idle (0: none, each use opens its own), a connection older than the lifetime
 * closed when it goes idle. A transaction holds its connection until commit or rollback; other work waits for a
 * free connection (counted in the stats). Unlike database/sql, work for a connection that is not held queues on
 * it (the connection runs it in order): SQLite's one worker connection gets a whole batch per round trip.
 *
 * What callers hold is counted too: `acquire()` (sql.get) until release. Stopping refuses new work, lets work
 * already queued finish (bounded by the grace), then closes every connection; open transactions are rolled back.
 */
import { ErrorValue } from '../../kernel/value';
import { Fifo } from '../../util/fifo';
import type {
  SqlDatabase,
  SqlDatabaseType,
  SqlExecResult,
  SqlHold,
  SqlParam,
  SqlRows,
  SqlRunner,
  SqlStatement,
  SqlStats,
  SqlTransaction,
  SqlTxOptions,
} from '../../api/sql';
import { notActive, sqlError, StaleConnection, statementClosed, type Command, type Driver, type DriverConnection } from './driver';
import type { SqlPoolConfig } from '../../registry/kinds/db';

/** At most this many commands go to a connection in one round trip. */
const BATCH = 256;

interface Pending {
  readonly command: Command;
  /** The transaction it belongs to (runs on that transaction's connection), or null. */
  readonly owner: Transaction | null;
  readonly at: number;
  /** Whether it had to wait for a connection (counted once). */
  waited: boolean;
  resolve(result: SqlRows | SqlExecResult | null): void;
  reject(error: ErrorValue): void;
}

class Connection {
  link: DriverConnection | null = null;
  /** Work that is not a transaction's: single statements and BEGINs, in order. */
  readonly queue = new Fifo<Pending>();
  /** The holding transaction's work. */
  readonly txQueue = new Fifo<Pending>();
  holder: Transaction | null = null;
  /** A BEGIN is queued or running: the connection is about to be held. */
  beginning = false;
  /** Batches sent and not answered yet (a pipelining driver takes more than one). */
  inflight = 0;
  /** A batch with BEGIN, COMMIT or ROLLBACK is out: nothing else goes until it is answered. */
  barrier = false;
  /** A run of its queue is due at the end of this turn. */
  kicked = false;
  lost: ErrorValue | null = null;
  readonly createdAt = performance.now();

  get busy(): boolean {
    return this.inflight > 0;
  }

  get hasWork(): boolean {
    return this.inflight > 0 || this.queue.length > 0 || this.txQueue.length > 0;
  }

  /** Takes no more work that is not a transaction's. */
  get taken(): boolean {
    return this.holder !== null || this.beginning || this.lost !== null || this.link === null;
  }
}

export interface PoolOptions {
  readonly driver: Driver;
  readonly config: SqlPoolConfig;
  /** The entry id, for messages. */
  readonly id: string;
}

export class SqlPool implements SqlDatabase {
  readonly type: SqlDatabaseType;
  private readonly conns = new Set<Connection>();
  /** Connections being opened (counted as open, as Go counts them). */
  private connecting = 0;
  /** Work no connection can take now (every one is held and none may be opened). */
  private readonly waiters = new Fifo<Pending>();
  private config: SqlPoolConfig;
  private closed: ErrorValue | null = null;
  private holds = 0;
  private drained: (() => void) | null = null;
  private readonly counters = { waitCount: 0, waitMs: 0, maxIdleClosed: 0, maxLifetimeClosed: 0, abandonedTransactions: 0 };

  constructor(private readonly options: PoolOptions) {
    this.type = options.driver.type;
    this.config = options.config;
  }

  /** New limits from a registry change; they apply from the next connection opened or released. */
  reconfigure(config: SqlPoolConfig): void {
    this.config = config;
    this.serveWaiters();
  }

  /** Opens one connection and checks it (Go's Ping); rejects with the reason when it cannot. */
  async ping(): Promise<void> {
    await this.submit({ op: 'query', sql: 'SELECT 1', params: [] });
  }

  acquire(): SqlHold | ErrorValue {
    if (this.closed !== null) return this.closed;
    this.holds++;
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        this.holds--;
      },
    };
  }

  query(sql: string, params: readonly SqlParam[] = []): Promise<SqlRows> {
    return this.submit({ op: 'query', sql, params }) as Promise<SqlRows>;
  }

  execute(sql: string, params: readonly SqlParam[] = []): Promise<SqlExecResult> {
    return this.submit({ op: 'execute', sql, params }) as Promise<SqlExecResult>;
  }

  /**
   * A driver's answer now (SQLite's point reads), only while its one connection has nothing queued, running or
   * held by a transaction and nothing waits: the answer is then what `query` would give at this moment.
   */
  queryNow(sql: string, params: readonly SqlParam[] = []): SqlRows | undefined {
    if (this.closed !== null || this.conns.size !== 1 || this.connecting > 0 || this.waiters.length > 0) return undefined;
    const conn = this.conns.values().next().value as Connection;
    const link = conn.link;
    if (link === null || link.readNow === undefined || conn.taken || conn.hasWork) return undefined;
    return link.readNow(sql, params);
  }

  async prepare(sql: string): Promise<SqlStatement> {
    await this.submit({ op: 'prepare', sql });
    return new Statement(sql, this);
  }

  async begin(options: SqlTxOptions = {}): Promise<SqlTransaction> {
    const tx = new Transaction(this);
    await this.submit({ op: 'begin', options }, tx);
    return tx;
  }

  stats(): SqlStats {
    let inUse = 0;
    for (const c of this.conns) if (c.hasWork || c.holder !== null) inUse++;
    const open = this.conns.size + this.connecting;
    return {
      maxOpenConnections: this.config.maxOpen,
      openConnections: open,
      inUse,
      idle: Math.max(0, open - inUse - this.connecting),
      waitCount: this.counters.waitCount,
      waitMs: this.counters.waitMs,
      maxIdleClosed: this.counters.maxIdleClosed,
      maxIdleTimeClosed: 0,
      maxLifetimeClosed: this.counters.maxLifetimeClosed,
      abandonedTransactions: this.counters.abandonedTransactions,
    };
  }

  /** Holds taken by acquire() and not yet released. */
  get held(): number {
    return this.holds;
  }

  /**
   * Refuses new work at once, waits (at most `graceMs`) for work already queued, then closes every connection:
   * a transaction still open is rolled back by the database (its owner may be a process that only ends later).
   */
  async close(graceMs: number): Promise<void> {
    if (this.closed === null) this.closed = sqlError(`database ${this.options.id} is stopped`, 'Unavailable', true);
    for (let p = this.waiters.shift(); p !== undefined; p = this.waiters.shift()) p.reject(this.closed);
    if ([...this.conns].some((c) => c.hasWork) || this.connecting > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        this.drained = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.drained = null;
    }
    const closing = [...this.conns].map((c) => this.drop(c, this.closed as ErrorValue));
    await Promise.all(closing);
  }

  /** Called by a transaction whose owner ended without commit or rollback. */
  abandoned(): void {
    this.counters.abandonedTransactions++;
  }

  /** Queues a command: a transaction's on its connection, anything else on a free connection (or waits for one). */
  submit(command: Command, owner: Transaction | null = null): Promise<SqlRows | SqlExecResult | null> {
    return new Promise((resolve, reject) => {
      const pending: Pending = { command, owner, at: performance.now(), waited: false, resolve, reject };
      if (this.closed !== null && command.op !== 'rollback') return reject(this.closed);
      if (owner !== null && command.op !== 'begin') {
        const conn = owner.connection;
        if (conn === null || conn.lost !== null) return reject(conn?.lost ?? notActive());
        conn.txQueue.push(pending);
        return this.kick(conn);
      }
      this.route(pending);
    });
  }

  private route(pending: Pending): void {
    const conn = this.pick();
    if (conn === null) {
      this.wait(pending);
      return;
    }
    if (conn.link !== null && conn.hasWork) this.wait(pending, false);
    if (pending.command.op === 'begin') conn.beginning = true;
    conn.queue.push(pending);
    this.kick(conn);
  }

  /**
   * Runs the connection's queue once the current turn has submitted all it will: every process the scheduler
   * ran in this turn has its statement in the same batch (one round trip to SQLite's worker for all of them).
   */
  private kick(conn: Connection): void {
    if (conn.kicked) return;
    conn.kicked = true;
    queueMicrotask(() => {
      conn.kicked = false;
      this.pump(conn);
    });
  }

  private wait(pending: Pending, queue = true): void {
    if (!pending.waited) {
      pending.waited = true;
      this.counters.waitCount++;
    }
    if (queue) this.waiters.push(pending);
  }

  /**
   * A connection for work that is not a transaction's: an idle one, else a new one while the limit allows,
   * else the least busy one that is not held (its queue runs in order), else none (the work waits).
   */
  private pick(): Connection | null {
    let best: Connection | null = null;
    for (const c of this.conns) {
      if (c.taken) continue;
      if (!c.hasWork) return c;
      if (best === null || c.queue.length < best.queue.length) best = c;
    }
    const max = this.config.maxOpen;
    if (max === 0 || this.conns.size + this.connecting < max) return this.open();
    return best;
  }

  /** Starts opening a connection; work queued on it meanwhile runs once it is up (or fails with the reason). */
  private open(): Connection {
    const conn = new Connection();
    this.connecting++;
    const connected = this.options.driver.connect((error) => void this.drop(conn, error));
    connected.then(
      (link) => {
        this.connecting--;
        if (this.closed !== null && !conn.hasWork) {
          void link.close().catch(() => undefined);
          this.settled();
          return;
        }
        conn.link = link;
        this.conns.add(conn);
        this.pump(conn);
      },
      (e: unknown) => {
        this.connecting--;
        const error = e instanceof ErrorValue ? e : sqlError(String(e), 'Unavailable', true);
        conn.lost = error;
        this.failAll(conn, error);
        this.serveWaiters();
        this.settled();
      },
    );
    // Counted from now on: the work routed to it sits in its queue.
    return conn;
  }

  /**
   * Sends the connection's next batch when it may: when nothing is out, or (a pipelining driver) while fewer
   * batches than it takes are out and none of them begins or ends a transaction, whose answer decides what
   * may run next.
   */
  private pump(conn: Connection): void {
    const link = conn.link;
    if (link === null || conn.lost !== null) return;
    if (conn.inflight > 0 && (conn.barrier || conn.inflight >= link.pipeline)) return;
    const batch: Pending[] = [];
    const from = conn.holder !== null ? conn.txQueue : conn.queue;
    while (batch.length < BATCH) {
      const p = from.shift();
      if (p === undefined) break;
      batch.push(p);
      if (p.command.op === 'begin' || p.command.op === 'commit' || p.command.op === 'rollback') break;
    }
    if (batch.length === 0) {
      if (conn.inflight === 0) this.idle(conn);
      return;
    }
    const last = batch[batch.length - 1].command.op;
    const barrier = last === 'begin' || last === 'commit' || last === 'rollback';
    conn.inflight++;
    if (barrier) conn.barrier = true;
    const now = performance.now();
    for (const p of batch) if (p.waited) this.counters.waitMs += now - p.at;
    link.run(batch.map((p) => p.command)).then(
      (outcomes) => {
        conn.inflight--;
        if (barrier) conn.barrier = false;
        batch.forEach((p, i) => this.settle(conn, p, i < outcomes.length ? outcomes[i] : sqlError('no result from the database driver', 'Internal', false)));
        if (conn.lost === null) this.pump(conn);
      },
      (e: unknown) => {
        conn.inflight--;
        if (barrier) conn.barrier = false;
        if (e instanceof StaleConnection) {
          // Nothing reached the server: the work goes to another connection, a transaction's fails with it.
          void this.drop(conn, e.reason);
          for (const p of batch) {
            if (p.owner !== null && p.command.op !== 'begin') this.settle(conn, p, e.reason);
            else if (this.closed !== null) p.reject(this.closed);
            else this.route(p);
          }
          return;
        }
        const error = e instanceof ErrorValue ? e : sqlError(String(e), 'Unavailable', true);
        batch.forEach((p) => this.settle(conn, p, error));
        void this.drop(conn, error);
      },
    );
  }

  private settle(conn: Connection, p: Pending, outcome: SqlRows | SqlExecResult | null | ErrorValue): void {
    const op = p.command.op;
    if (op === 'begin') {
      conn.beginning = false;
      if (!(outcome instanceof ErrorValue) && p.owner !== null) {
        conn.holder = p.owner;
        p.owner.connection = conn;
      }
    } else if ((op === 'commit' || op === 'rollback') && conn.holder === p.owner) {
      // Ended either way (Go marks the transaction done even when COMMIT fails).
      conn.holder = null;
      for (let q = conn.txQueue.shift(); q !== undefined; q = conn.txQueue.shift()) q.reject(notActive());
    }
    if (outcome instanceof ErrorValue) p.reject(outcome);
    else p.resolve(outcome);
  }

  /** A connection with nothing to do: it serves waiting work first, then is kept or closed by the idle rules. */
  private idle(conn: Connection): void {
    if (conn.holder !== null) return;
    this.serveWaiters();
    if (conn.hasWork || conn.taken) return;
    if (this.closed !== null) {
      this.settled();
      return;
    }
    const lifetime = this.config.maxLifetimeMs;
    if (this.options.driver.type !== 'sqlite' && performance.now() - conn.createdAt >= lifetime) {
      this.counters.maxLifetimeClosed++;
      void this.drop(conn, sqlError('connection closed after its max_lifetime', 'Unavailable', true));
      return;
    }
    let idle = 0;
    for (const c of this.conns) if (!c.hasWork && c.holder === null) idle++;
    if (idle > this.config.maxIdle) {
      this.counters.maxIdleClosed++;
      void this.drop(conn, sqlError('idle connection closed', 'Unavailable', true));
    }
  }

  private serveWaiters(): void {
    while (this.waiters.length > 0) {
      const conn = this.pick();
      if (conn === null) return;
      const pending = this.waiters.shift() as Pending;
      if (pending.command.op === 'begin') conn.beginning = true;
      conn.queue.push(pending);
      this.kick(conn);
    }
  }

  /** Removes a connection (lost, idle or closing): its waiting work fails with `error`, then it is closed. */
  private async drop(conn: Connection, error: ErrorValue): Promise<void> {
    if (!this.conns.has(conn)) return;
    this.conns.delete(conn);
    if (conn.lost === null) conn.lost = error;
    this.failAll(conn, error);
    const link = conn.link;
    conn.link = null;
    this.serveWaiters();
    this.settled();
    if (link !== null) await link.close().catch(() => undefined);
  }

  private failAll(conn: Connection, error: ErrorValue): void {
    for (const q of [conn.queue, conn.txQueue]) for (let p = q.shift(); p !== undefined; p = q.shift()) p.reject(error);
    conn.beginning = false;
  }

  /** Tells a waiting close() that no connection has work left. */
  private settled(): void {
    if (this.drained === null || this.connecting > 0) return;
    for (const c of this.conns) if (c.hasWork) return;
    this.drained();
  }
}

/** A transaction: its statements run on the connection it holds, in order, until commit or rollback. */
export class Transaction implements SqlTransaction {
  /** Set once BEGIN has run on it. */
  connection: Connection | null = null;
  private ended = false;

  constructor(private readonly pool: SqlPool) {}

  get active(): boolean {
    return !this.ended && this.connection !== null;
  }

  query(sql: string, params: readonly SqlParam[] = []): Promise<SqlRows> {
    return this.run({ op: 'query', sql, params }) as Promise<SqlRows>;
  }

  execute(sql: string, params: readonly SqlParam[] = []): Promise<SqlExecResult> {
    return this.run({ op: 'execute', sql, params }) as Promise<SqlExecResult>;
  }

  async prepare(sql: string): Promise<SqlStatement> {
    await this.run({ op: 'prepare', sql });
    return new Statement(sql, this);
  }

  async commit(): Promise<void> {
    await this.end('commit');
  }

  async rollback(): Promise<void> {
    await this.end('rollback');
  }

  /** Its owner ended without commit or rollback: it is rolled back (and counted). */
  abandon(): void {
    if (!this.active) return;
    this.pool.abandoned();
    void this.end('rollback').catch(() => undefined);
  }

  private end(op: 'commit' | 'rollback'): Promise<unknown> {
    if (!this.active) return Promise.reject(notActive());
    this.ended = true;
    return this.pool.submit({ op }, this);
  }

  private run(command: Command): Promise<unknown> {
    if (!this.active) return Promise.reject(notActive());
    return this.pool.submit(command, this);
  }
}

/** A statement checked once and run many times, on the database or on a transaction. */
export class Statement implements SqlStatement {
  closed = false;

  constructor(
    readonly sql: string,
    private readonly runner: Pick<SqlRunner, 'query' | 'execute' | 'queryNow'>,
  ) {}

  query(params: readonly SqlParam[] = []): Promise<SqlRows> {
    return this.closed ? Promise.reject(statementClosed()) : this.runner.query(this.sql, params);
  }

  queryNow(params: readonly SqlParam[] = []): SqlRows | undefined {
    return this.closed ? undefined : this.runner.queryNow?.(this.sql, params);
  }

  execute(params: readonly SqlParam[] = []): Promise<SqlExecResult> {
    return this.closed ? Promise.reject(statementClosed()) : this.runner.execute(this.sql, params);
  }

  async close(): Promise<void> {
    if (this.closed) throw sqlError('statement is already closed', 'Invalid', false);
    this.closed = true;
  }
}
