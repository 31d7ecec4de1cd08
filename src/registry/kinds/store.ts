/**
 * Key-value stores (Wippy's api/service/store): `store.memory` (`max_size` entries, `cleanup_interval`) and
 * `store.sql`, rows in a table of a `db.sql.*` database (`database`, `table_name`, the three column names,
 * `cleanup_interval`). A `lifecycle:` makes one a supervised service; without one it is made at boot.
 * `max_bytes` (memory) is wisp's addition: the most the values may hold in all.
 */
import { kindDefinition, serviceBase } from '../kind';
import type { Fields } from '../fields';
import type { ServiceEntry } from '../types';

export interface MemoryStoreEntry extends ServiceEntry {
  kind: 'store.memory';
  readonly maxSize: number;
  readonly maxBytes: number;
  readonly cleanupIntervalMs: number;
}

export interface SqlStoreEntry extends ServiceEntry {
  kind: 'store.sql';
  readonly database: string;
  readonly table: string;
  readonly idColumn: string;
  readonly payloadColumn: string;
  readonly expireColumn: string;
  /** 0: expired rows are only skipped, never swept. */
  readonly cleanupIntervalMs: number;
}

export type StoreEntry = MemoryStoreEntry | SqlStoreEntry;

/** Wippy's defaults: 10000 entries, a sweep every 5 minutes. */
const DEFAULT_MAX_SIZE = 10_000;
const DEFAULT_CLEANUP_MS = 5 * 60_000;
const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;

/** A table or column name put into SQL text: plain identifiers only (Wippy's IsSafe). */
const SAFE_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;

function identifier(f: Fields, key: string, fallback: string | undefined): string {
  const name = f.has(key) ? f.requiredString(key) : fallback;
  if (name === undefined) throw f.site.error(`missing required field "${key}"`);
  if (!SAFE_NAME.test(name)) f.typeError(key, 'a plain SQL identifier (letters, digits, underscores)');
  return name;
}

export const storeKinds = kindDefinition<StoreEntry>({
  kinds: ['store.memory', 'store.sql'],
  parse: (f, base) => {
    if (base.kind === 'store.memory') {
      return {
        ...serviceBase(f, base, f.has('lifecycle')),
        kind: 'store.memory',
        maxSize: f.integer('max_size', 0, 0) || DEFAULT_MAX_SIZE,
        maxBytes: f.integer('max_bytes', 0, 0) || DEFAULT_MAX_BYTES,
        cleanupIntervalMs: f.durationMs('cleanup_interval', 0) || DEFAULT_CLEANUP_MS,
      };
    }
    const database = f.requiredString('database');
    return {
      ...serviceBase(f, base, f.has('lifecycle'), [{ field: 'database', id: database, kinds: ['db.sql.sqlite', 'db.sql.postgres', 'db.sql.mysql'] }]),
      kind: 'store.sql',
      database,
      table: identifier(f, 'table_name', undefined),
      idColumn: identifier(f, 'id_column_name', 'key'),
      payloadColumn: identifier(f, 'payload_column_name', 'value'),
      expireColumn: identifier(f, 'expire_column_name', 'expires_at'),
      cleanupIntervalMs: f.durationMs('cleanup_interval', 0),
    };
  },
});
