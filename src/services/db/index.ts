/**
 * The `db.sql.*` services: a connection pool per entry (./pool.ts) over its driver (SQLite in a worker thread,
 * PostgreSQL over the network), offered as the `sql` facet. Credentials named by `*_env` fields are read from
 * the environment when the service starts. The contract is ./spec.md.
 */
import { ErrorValue } from '../../kernel/value';
import { serviceDefinition, type ServiceContext } from '../service';
import type { SqlEntry, SqlPoolConfig, SqlServerEntry, FromEnv } from '../../registry/kinds/db';
import { SqlPool } from './pool';
import { sqliteDriver } from './sqlite';
import { postgresDriver, type ServerOptions } from './postgres';
import type { Driver } from './driver';

/** How long a SQLite statement waits for another connection's lock (Go's driver: 5 s); `options.busy_timeout` (ms) changes it. */
const BUSY_TIMEOUT_MS = 5000;

/** SQLite has one connection, kept (Wippy sets MaxOpenConns and MaxIdleConns to 1 whatever `pool` says). */
const SQLITE_POOL: SqlPoolConfig = { maxOpen: 1, maxIdle: 1, maxLifetimeMs: Infinity };

/** A field's value: its `*_env` variable when that is set (Wippy's manager), else the field itself. */
function fromEnv<T>(entry: SqlServerEntry, ctx: ServiceContext, name: string, field: FromEnv<T>, parse: (s: string) => T): T | undefined {
  if (field.env !== undefined) {
    const v = ctx.env.get(field.env, entry.namespace);
    if (!(v instanceof ErrorValue) && v !== '') return parse(v);
    ctx.log('warn', 'environment variable not found', { field: name, var: field.env });
  }
  return field.value;
}

function serverOptions(entry: SqlServerEntry, ctx: ServiceContext): ServerOptions {
  const need = <T>(name: string, v: T | undefined): T => {
    if (v === undefined || v === '') throw new Error(`${entry.id}: ${name} is required (field "${name}" or the variable named by "${name}_env")`);
    return v;
  };
  const port = (s: string): number => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`${entry.id}: invalid port value from env ${entry.port.env ?? ''}: ${JSON.stringify(s)}`);
    return n;
  };
  return {
    host: need('host', fromEnv(entry, ctx, 'host', entry.host, String)),
    port: need('port', fromEnv(entry, ctx, 'port', entry.port, port)),
    database: need('database', fromEnv(entry, ctx, 'database', entry.database, String)),
    username: need('username', fromEnv(entry, ctx, 'username', entry.username, String)),
    password: need('password', fromEnv(entry, ctx, 'password', entry.password, String)),
    options: entry.options,
  };
}

function driverFor(entry: SqlEntry, ctx: ServiceContext): Driver {
  if (entry.kind === 'db.sql.sqlite') {
    const busy = entry.options.busy_timeout === undefined ? BUSY_TIMEOUT_MS : Number(entry.options.busy_timeout);
    if (!Number.isInteger(busy) || busy < 0) throw new Error(`${entry.id}: options.busy_timeout must be a number of milliseconds`);
    return sqliteDriver({ file: entry.file, busyTimeoutMs: busy });
  }
  if (entry.kind === 'db.sql.mysql') throw new Error(`${entry.id}: db.sql.mysql is not supported by wisp yet (use db.sql.postgres or db.sql.sqlite)`);
  return postgresDriver(serverOptions(entry, ctx));
}

/** What a registry change may alter without a new pool: the pool limits (anything else restarts the service). */
function samePlace(a: SqlEntry, b: SqlEntry): boolean {
  const { pool: _a, lifecycle: _la, refs: _ra, meta: _ma, ...restA } = a;
  const { pool: _b, lifecycle: _lb, refs: _rb, meta: _mb, ...restB } = b;
  return JSON.stringify(restA) === JSON.stringify(restB);
}

export const dbService = serviceDefinition<SqlEntry>({
  kinds: ['db.sql.sqlite', 'db.sql.postgres', 'db.sql.mysql'],
  start: async (entry, ctx) => {
    const pool = new SqlPool({ driver: driverFor(entry, ctx), config: entry.kind === 'db.sql.sqlite' ? SQLITE_POOL : entry.pool, id: entry.id });
    // A supervised database is connected when it starts (Go's Ping); a configuration one connects on first use,
    // as sql.Open. SQLite opens its file at once either way: a bad path is a start error.
    if (entry.kind === 'db.sql.sqlite' || entry.lifecycle !== undefined) {
      try {
        await pool.ping();
      } catch (e) {
        await pool.close(0);
        throw new Error(e instanceof ErrorValue ? e.message : String(e));
      }
    }
    let current = entry;
    return {
      facets: { sql: pool },
      registryChanged: (_registry, changed) => {
        const next = changed as SqlEntry;
        if (!samePlace(current, next)) throw new Error('connection settings changed');
        if (next.kind !== 'db.sql.sqlite') pool.reconfigure(next.pool);
        current = next;
      },
      stop: (graceMs) => pool.close(graceMs),
    };
  },
});
