/**
 * `store.sql`: each key a row of a table the application made (key, JSON payload, expiry as RFC 3339 text in
 * UTC or NULL), in the `db.sql.*` database the entry names, reached through its `sql` facet at every call (so
 * a database restart is followed). Expired rows read as absent and are deleted every cleanup interval.
 */
import { ErrorValue, type Value } from '../../kernel/value';
import { every, type Timer } from '../../util/timer';
import type { KeyValueStore, StoreHold } from '../../api/store';
import type { Resources } from '../../api/resources';
import type { SqlCell, SqlDatabase } from '../../api/sql';
import type { SqlStoreEntry } from '../../registry/kinds/store';
import { KEY_NOT_FOUND, STORE_CLOSED } from './memory';
import { valueToPlain, plainToValue } from '../../engine/plain';

const timestamp = (ms: number): string => new Date(ms).toISOString();

function decodePayload(cell: SqlCell): Value {
  const text = cell instanceof Uint8Array ? new TextDecoder().decode(cell) : String(cell);
  try {
    return plainToValue(JSON.parse(text));
  } catch {
    throw new ErrorValue('stored value is not valid JSON', 'Internal', false);
  }
}

export class SqlStore implements KeyValueStore {
  private closed = false;
  private holds = 0;
  private readonly sweeper: Timer | null;
  private readonly sql: {
    readonly get: string;
    readonly update: string;
    readonly insert: string;
    readonly delete: string;
    readonly purge: string;
  };

  constructor(
    private readonly entry: SqlStoreEntry,
    private readonly resources: Resources,
    onSweepError: (e: unknown) => void,
  ) {
    const { table, idColumn: id, payloadColumn: value, expireColumn: expires } = entry;
    const live = `(${expires} IS NULL OR ${expires} > ?)`;
    this.sql = {
      get: `SELECT ${value} FROM ${table} WHERE ${id} = ? AND ${live}`,
      update: `UPDATE ${table} SET ${value} = ?, ${expires} = ? WHERE ${id} = ?`,
      insert: `INSERT INTO ${table} (${id}, ${value}, ${expires}) VALUES (?, ?, ?)`,
      delete: `DELETE FROM ${table} WHERE ${id} = ? AND ${live}`,
      purge: `DELETE FROM ${table} WHERE ${expires} IS NOT NULL AND ${expires} < ?`,
    };
    this.sweeper = entry.cleanupIntervalMs > 0 ? every(entry.cleanupIntervalMs, () => void this.purge().catch(onSweepError)) : null;
  }

  async get(key: string): Promise<Value> {
    const rows = await this.db().query(this.sql.get, [key, timestamp(Date.now())]);
    if (rows.rows.length === 0) throw KEY_NOT_FOUND();
    return decodePayload(rows.rows[0][0]);
  }

  async set(key: string, value: Value, ttlMs: number): Promise<void> {
    const db = this.db();
    const payload = JSON.stringify(valueToPlain(value));
    const expires = ttlMs > 0 ? timestamp(Date.now() + ttlMs) : null;
    const updated = await db.execute(this.sql.update, [payload, expires, key]);
    if (updated.rowsAffected === 0) await db.execute(this.sql.insert, [key, payload, expires]);
  }

  async has(key: string): Promise<boolean> {
    const rows = await this.db().query(this.sql.get, [key, timestamp(Date.now())]);
    return rows.rows.length > 0;
  }

  async delete(key: string): Promise<boolean> {
    const r = await this.db().execute(this.sql.delete, [key, timestamp(Date.now())]);
    return r.rowsAffected > 0;
  }

  acquire(): StoreHold | ErrorValue {
    if (this.closed) return STORE_CLOSED();
    this.holds++;
    let held = true;
    return {
      release: () => {
        if (held) this.holds--;
        held = false;
      },
    };
  }

  close(): void {
    this.closed = true;
    this.sweeper?.cancel();
  }

  /** Deletes the rows whose time has passed. */
  async purge(): Promise<number> {
    const r = await this.db().execute(this.sql.purge, [timestamp(Date.now())]);
    return r.rowsAffected;
  }

  private db(): SqlDatabase {
    if (this.closed) throw STORE_CLOSED();
    const db = this.resources.get(this.entry.database, 'sql');
    if (db instanceof ErrorValue) throw new ErrorValue(`store ${this.entry.id}: database ${this.entry.database}: ${db.message}`, db.kind, db.retryable);
    return db;
  }
}
