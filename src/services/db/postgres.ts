/**
 * PostgreSQL through node-postgres (`pg`), with values read as Wippy's lib/pq gives them: integers as bigint,
 * floats as numbers, booleans, bytea as bytes, timestamps and dates as RFC 3339 text in UTC (seconds, no
 * fraction), everything else (numeric, json, arrays, uuid, intervals) as the server's text.
 */
import { Client, type ClientConfig, type QueryArrayResult } from 'pg';
import type { ErrorKind, ErrorValue } from '../../kernel/value';
import type { SqlExecResult, SqlIsolation, SqlParam, SqlRows, SqlTxOptions } from '../../api/sql';
import { sqlError, StaleConnection, type Command, type Driver, type DriverConnection, type Outcome } from './driver';
import { dollarPlaceholders } from './placeholders';

export interface ServerOptions {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly username: string;
  readonly password: string;
  /** The entry's `options:` (lib/pq's keywords: sslmode, connect_timeout, application_name; others become server settings). */
  readonly options: Readonly<Record<string, string>>;
}

const OID = { BOOL: 16, BYTEA: 17, INT8: 20, INT2: 21, INT4: 23, OID: 26, FLOAT4: 700, FLOAT8: 701, DATE: 1082, TIME: 1083, TIMESTAMP: 1114, TIMESTAMPTZ: 1184 } as const;

const text = (s: string): string => s;

/** A timestamp's text ("2024-01-15 10:30:00.5+05:30", "...BC", "infinity") as Go formats time.Time.UTC() in RFC 3339. */
export function rfc3339(value: string, withZone: boolean): string {
  const m = /^(\d{4})-(\d\d)-(\d\d)(?:[ T](\d\d):(\d\d):(\d\d)(?:\.\d+)?)?(?:([+-])(\d\d)(?::?(\d\d))?(?::?(\d\d))?)?$/.exec(value);
  if (m === null) return value; // infinity, BC dates, years past 9999: as the server wrote them
  const [, y, mo, d, h = '0', mi = '0', s = '0', sign, oh = '0', om = '0', os = '0'] = m;
  let ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (withZone && sign !== undefined) ms -= (sign === '-' ? -1 : 1) * ((Number(oh) * 60 + Number(om)) * 60 + Number(os)) * 1000;
  const iso = new Date(ms).toISOString();
  return /^\d{4}-/.test(iso) ? `${iso.slice(0, 19)}Z` : value;
}

const PARSERS: Record<number, (s: string) => unknown> = {
  [OID.BOOL]: (s) => s === 't',
  [OID.INT8]: (s) => BigInt(s),
  [OID.INT2]: (s) => BigInt(s),
  [OID.INT4]: (s) => BigInt(s),
  [OID.OID]: (s) => BigInt(s),
  [OID.FLOAT4]: (s) => Number(s),
  [OID.FLOAT8]: (s) => Number(s),
  [OID.DATE]: (s) => rfc3339(s, false),
  [OID.TIME]: (s) => `0000-01-01T${s.slice(0, 8)}Z`,
  [OID.TIMESTAMP]: (s) => rfc3339(s, false),
  [OID.TIMESTAMPTZ]: (s) => rfc3339(s, true),
  [OID.BYTEA]: (s) => (s.startsWith('\\x') ? new Uint8Array(Buffer.from(s.slice(2), 'hex')) : new TextEncoder().encode(s)),
};

const TYPES = { getTypeParser: (oid: number) => PARSERS[oid] ?? text };

/** SQLSTATE classes as error kinds. */
function kindOf(code: string | undefined): { kind: ErrorKind; retryable: boolean } {
  if (code === undefined) return { kind: 'Unavailable', retryable: true }; // the connection itself failed
  if (code === '40001' || code === '40P01') return { kind: 'Conflict', retryable: true };
  if (code === '57014') return { kind: 'Timeout', retryable: true }; // canceled: statement_timeout
  if (code === '25006' || code.startsWith('42501') || code.startsWith('28')) return { kind: 'PermissionDenied', retryable: false };
  const cls = code.slice(0, 2);
  if (cls === '08' || cls === '53' || cls === '57' || cls === '58') return { kind: 'Unavailable', retryable: true };
  if (cls === '22' || cls === '23' || cls === '25' || cls === '26' || cls === '34' || cls === '3D' || cls === '3F' || cls === '42' || cls === '0A') {
    return { kind: 'Invalid', retryable: false };
  }
  return { kind: 'Internal', retryable: false };
}

function failure(e: unknown): ErrorValue {
  const err = e as { code?: unknown; message?: unknown };
  const code = typeof err.code === 'string' && /^[0-9A-Z]{5}$/.test(err.code) ? err.code : undefined;
  const message = typeof err.message === 'string' && err.message !== '' ? err.message : String(e);
  const { kind, retryable } = kindOf(code);
  return sqlError(code === undefined ? `database connection failed: ${message}` : message, kind, retryable);
}

const ISOLATION: Record<SqlIsolation, string | null> = {
  default: '',
  read_uncommitted: ' ISOLATION LEVEL READ UNCOMMITTED',
  read_committed: ' ISOLATION LEVEL READ COMMITTED',
  repeatable_read: ' ISOLATION LEVEL REPEATABLE READ',
  serializable: ' ISOLATION LEVEL SERIALIZABLE',
  write_committed: null,
};

/** `BEGIN` with lib/pq's options; null when PostgreSQL has no such level. */
export function beginStatement(options: SqlTxOptions): string | null {
  const level = ISOLATION[options.isolation ?? 'default'];
  if (level === null) return null;
  return `BEGIN${level}${options.readOnly === true ? ' READ ONLY' : ''}`;
}

const values = (params: readonly SqlParam[]): unknown[] => params.map((p) => (typeof p === 'bigint' ? p.toString() : p instanceof Uint8Array ? Buffer.from(p) : p));

/** The client settings for the entry's connection parameters and options. */
export function clientConfig(o: ServerOptions): ClientConfig {
  const settings: string[] = [];
  const config: ClientConfig = { host: o.host, port: o.port, database: o.database, user: o.username, password: o.password, types: TYPES };
  for (const [key, value] of Object.entries(o.options)) {
    if (key === 'sslmode') {
      if (value === 'require' || value === 'verify-ca') config.ssl = { rejectUnauthorized: false };
      else if (value === 'verify-full') config.ssl = { rejectUnauthorized: true };
    } else if (key === 'connect_timeout') config.connectionTimeoutMillis = Number(value) * 1000;
    else if (key === 'application_name') config.application_name = value;
    else if (key === 'sslrootcert' || key === 'sslcert' || key === 'sslkey' || key === 'sslinline' || key === 'fallback_application_name') continue;
    else settings.push(`-c ${key}=${value.replace(/[\\ ]/g, (c) => `\\${c}`)}`);
  }
  if (settings.length > 0) config.options = settings.join(' ');
  return config;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

class PgConnection implements DriverConnection {
  readonly pipeline = 1;
  private closing = false;

  constructor(
    private readonly client: Client,
    /** Told before an intended close, so the end of the connection is not reported as a loss. */
    private readonly closed: () => void,
    /** Why the connection is gone (the server closed it), or null while it is up. */
    private readonly gone: () => ErrorValue | null,
  ) {}

  async run(commands: readonly Command[]): Promise<Outcome[]> {
    // A close the server already sent (an idle connection ended by a restart) is seen before anything is sent.
    await nextTurn();
    const gone = this.gone();
    if (gone !== null) throw new StaleConnection(gone);
    const out: Outcome[] = [];
    for (const c of commands) out.push(await this.one(c));
    return out;
  }

  private async one(c: Command): Promise<Outcome> {
    try {
      switch (c.op) {
        case 'query': {
          const r: QueryArrayResult = await this.client.query({ text: dollarPlaceholders(c.sql, c.params.length), values: values(c.params), rowMode: 'array' });
          return { columns: r.fields.map((f) => f.name), rows: r.rows } as SqlRows;
        }
        case 'execute': {
          const r = await this.client.query({ text: dollarPlaceholders(c.sql, c.params.length), values: values(c.params) });
          return { lastInsertId: 0, rowsAffected: r.rowCount ?? 0 } as SqlExecResult;
        }
        case 'prepare': // parsed and checked by the server, as lib/pq's Prepare does; each run parses again
          await this.client.query(`PREPARE wisp_check AS ${dollarPlaceholders(c.sql, undefined)}`);
          await this.client.query('DEALLOCATE wisp_check');
          return null;
        case 'begin': {
          const begin = beginStatement(c.options);
          if (begin === null) return sqlError(`isolation level not supported: ${c.options.isolation ?? ''}`, 'Invalid', false);
          await this.client.query(begin);
          return null;
        }
        case 'commit':
          await this.client.query('COMMIT');
          return null;
        case 'rollback':
          await this.client.query('ROLLBACK');
          return null;
      }
    } catch (e) {
      return failure(e);
    }
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.closed();
    await this.client.end().catch(() => undefined);
  }
}

export function postgresDriver(options: ServerOptions): Driver {
  const config = clientConfig(options);
  return {
    type: 'postgres',
    connect: async (lost) => {
      const client = new Client(config);
      let up = false;
      let reason: ErrorValue | null = null;
      const gone = (e: unknown): void => {
        if (!up) return;
        up = false;
        reason = failure(e);
        lost(reason);
      };
      client.on('error', gone);
      client.on('end', () => gone(new Error('connection closed by the server')));
      try {
        await client.connect();
      } catch (e) {
        client.removeAllListeners();
        void client.end().catch(() => undefined);
        const f = failure(e);
        throw sqlError(`cannot connect to PostgreSQL at ${options.host}:${options.port}: ${f.message.replace(/^database connection failed: /, '')}`, f.kind, f.retryable === true);
      }
      up = true;
      return new PgConnection(client, () => (up = false), () => reason);
    },
  };
}
