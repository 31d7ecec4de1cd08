/**
 * SQL databases (Wippy's api/service/sql): `db.sql.sqlite` (a file or ":memory:") and the servers
 * `db.sql.postgres` / `db.sql.mysql` (host, port, database, username, password, each also as a `*_env` field
 * naming an environment variable read when the service starts), with `options` and `pool`. A `lifecycle:`
 * makes the database a supervised service (connected at start, restarted after a failure); without one it is
 * made at boot and connects on first use, as Go's sql.Open.
 */
import { kindDefinition, serviceBase } from '../kind';
import type { Fields } from '../fields';
import type { ServiceEntry } from '../types';
import { describe } from '../errors';

export interface SqlPoolConfig {
  /** Most connections open at once; 0 = no limit (SQLite: always 1). */
  readonly maxOpen: number;
  /** Most idle connections kept; 0 = none kept (Go's database/sql), each use opens its own (SQLite: 1). */
  readonly maxIdle: number;
  /** A connection older than this is closed when it next goes idle (ms). */
  readonly maxLifetimeMs: number;
}

export interface SqliteEntry extends ServiceEntry {
  kind: 'db.sql.sqlite';
  /** ":memory:" or a path (relative paths are taken from the directory wisp runs in, as Wippy does). */
  readonly file: string;
  /** Accepted and ignored, as Wippy ignores them for SQLite. */
  readonly options: Readonly<Record<string, string>>;
  readonly pool: SqlPoolConfig;
}

/** A field given directly or through an environment variable (`host` / `host_env`). */
export interface FromEnv<T> {
  readonly value: T | undefined;
  readonly env: string | undefined;
}

export interface SqlServerEntry extends ServiceEntry {
  kind: 'db.sql.postgres' | 'db.sql.mysql';
  readonly host: FromEnv<string>;
  readonly port: FromEnv<number>;
  readonly database: FromEnv<string>;
  readonly username: FromEnv<string>;
  readonly password: FromEnv<string>;
  /** Driver options (PostgreSQL: sslmode, connect_timeout, application_name, ...). */
  readonly options: Readonly<Record<string, string>>;
  readonly pool: SqlPoolConfig;
}

export type SqlEntry = SqliteEntry | SqlServerEntry;

/** Wippy's defaults: no limits, no idle connections kept, an hour's lifetime. */
const HOUR_MS = 3_600_000;

function parsePool(f: Fields): SqlPoolConfig {
  const p = f.sub('pool');
  const maxLifetimeMs = p.durationMs('max_lifetime', 0);
  return {
    maxOpen: p.integer('max_open', 0, 0),
    maxIdle: p.integer('max_idle', 0, 0),
    maxLifetimeMs: maxLifetimeMs > 0 ? maxLifetimeMs : HOUR_MS,
  };
}

/** `options:`, a mapping of scalars (numbers and booleans are kept as their text, as a YAML user writes them). */
function parseOptions(f: Fields): Record<string, string> {
  const o = f.sub('options');
  const out: Record<string, string> = {};
  for (const key of o.keys()) {
    const v = o.data[key];
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[key] = String(v);
    else if (v !== null && v !== undefined) throw f.site.error(`field "options.${key}" must be a string, got ${describe(v)}`);
  }
  return out;
}

function stringFromEnv(f: Fields, key: string): FromEnv<string> {
  const value = f.has(key) ? f.requiredString(key) : undefined;
  const env = f.has(`${key}_env`) ? f.requiredString(`${key}_env`) : undefined;
  if (value === undefined && env === undefined) throw f.site.error(`missing required field "${key}" (or "${key}_env")`);
  return { value, env };
}

function portFromEnv(f: Fields): FromEnv<number> {
  const value = f.integer('port', undefined, 1);
  if (value !== undefined && value > 65535) f.typeError('port', 'a port number (1-65535)');
  const env = f.has('port_env') ? f.requiredString('port_env') : undefined;
  if (value === undefined && env === undefined) throw f.site.error('missing required field "port" (or "port_env")');
  return { value, env };
}

export const dbKinds = kindDefinition<SqlEntry>({
  kinds: ['db.sql.sqlite', 'db.sql.postgres', 'db.sql.mysql'],
  parse: (f, base) => {
    const common = serviceBase(f, base, f.has('lifecycle'));
    if (base.kind === 'db.sql.sqlite') {
      return { ...common, kind: 'db.sql.sqlite', file: f.requiredString('file'), options: parseOptions(f), pool: parsePool(f) };
    }
    return {
      ...common,
      kind: base.kind === 'db.sql.mysql' ? 'db.sql.mysql' : 'db.sql.postgres',
      host: stringFromEnv(f, 'host'),
      port: portFromEnv(f),
      database: stringFromEnv(f, 'database'),
      username: stringFromEnv(f, 'username'),
      password: stringFromEnv(f, 'password'),
      options: parseOptions(f),
      pool: parsePool(f),
    };
  },
});
