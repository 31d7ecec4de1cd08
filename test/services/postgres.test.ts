/**
 * db.sql.postgres against a real PostgreSQL server (its own cluster on a free loopback port): values as Wippy's
 * lib/pq gives them, `?` and `$n` placeholders, credentials from the environment, transactions with isolation
 * and read-only, the pool's limits, a process dying in a transaction, and the server stopping mid-query and
 * coming back (the pool recovers).
 */
import { Client } from 'pg';
import { describePostgres, PostgresServer } from '../helpers/postgres';
import { until } from '../helpers/poll';
import { lua, sqlApp, type SqlApp } from '../helpers/sql';
import { dollarPlaceholders } from '../../src/services/db/placeholders';
import { rfc3339 } from '../../src/services/db/postgres';



test('? placeholders become $n outside literals, comments and dollar quotes, and only when they are the parameters', () => {
  expect(dollarPlaceholders('SELECT * FROM t WHERE a = ? AND b = ?', 2)).toBe('SELECT * FROM t WHERE a = $1 AND b = $2');
  expect(dollarPlaceholders("SELECT '?', \"?\", $$?$$, $x$ ? $x$, E'\\'?' -- ?\n, /* ? /* ? */ */ ?", 1)).toBe("SELECT '?', \"?\", $$?$$, $x$ ? $x$, E'\\'?' -- ?\n, /* ? /* ? */ */ $1");
  expect(dollarPlaceholders('SELECT $1, ?', 1)).toBe('SELECT $1, ?');
  expect(dollarPlaceholders("SELECT data ? 'k' FROM t WHERE id = ?", 1)).toBe("SELECT data ? 'k' FROM t WHERE id = ?");
  expect(dollarPlaceholders('SELECT ?', undefined)).toBe('SELECT $1');
  expect(dollarPlaceholders('SELECT 1', 0)).toBe('SELECT 1');
});

test('timestamps are RFC 3339 in UTC without fractions, as Go formats them', () => {
  expect(rfc3339('2024-01-15 10:30:00.123456+05:30', true)).toBe('2024-01-15T05:00:00Z');
  expect(rfc3339('2024-01-15 10:30:00', false)).toBe('2024-01-15T10:30:00Z');
  expect(rfc3339('2024-01-15', false)).toBe('2024-01-15T00:00:00Z');
  expect(rfc3339('infinity', true)).toBe('infinity');
});

describePostgres('db.sql.postgres', () => {
  let server: PostgresServer;
  let app: SqlApp;

  beforeAll(async () => {
    server = await PostgresServer.start();
    app = await sqlApp(`  - name: db
    kind: db.sql.postgres
${server.entryFields()}
    options: { sslmode: disable, application_name: wisp-test }
    pool: { max_open: 2, max_idle: 2 }
    lifecycle: { auto_start: true }
  - name: secrets
    kind: env.storage.static
    values: { PG_HOST: 127.0.0.1, PG_PORT: "${server.port}", PG_DB: ${server.database}, PG_USER: ${server.user}, PG_PASS: secret }
  - { name: v_host, kind: env.variable, variable: PG_HOST, storage: t:secrets }
  - { name: v_port, kind: env.variable, variable: PG_PORT, storage: t:secrets }
  - { name: v_db, kind: env.variable, variable: PG_DB, storage: t:secrets }
  - { name: v_user, kind: env.variable, variable: PG_USER, storage: t:secrets }
  - { name: v_pass, kind: env.variable, variable: PG_PASS, storage: t:secrets }
  - name: envdb
    kind: db.sql.postgres
    host_env: PG_HOST
    port_env: PG_PORT
    database_env: PG_DB
    username_env: PG_USER
    password_env: PG_PASS
    lifecycle: { auto_start: true }`, {
      types: lua(`local db = assert(sql.get("t:db"))
        assert(db:execute("CREATE TABLE kinds (id SERIAL PRIMARY KEY, i INT, big BIGINT, f DOUBLE PRECISION, b BOOLEAN, t TEXT, bin BYTEA, num NUMERIC(10,2), j JSONB, ts TIMESTAMPTZ, d DATE, arr INT[])"))
        local ins = assert(db:execute("INSERT INTO kinds (i, big, f, b, t, bin, num, j, ts, d, arr) VALUES (?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?::timestamptz, ?::date, ?::int[])",
          {7, 5000000000, 2.5, true, "héllo", sql.as.binary("\\0\\255"), "12.50", '{"a": 1}', "2024-01-15 10:30:00+02", "2024-02-29", "{1,2}"}))
        local r = assert(db:query("SELECT * FROM kinds WHERE id = $1", {1}))[1]
        local returning = assert(db:query("INSERT INTO kinds (t) VALUES (?) RETURNING id", {"second"}))[1].id
        return { ins = ins, i = r.i, i_type = math.type(r.i), big = r.big, f = r.f, b = r.b, t = r.t,
          bin = { #r.bin, string.byte(r.bin, 2) }, num = r.num, j = r.j, ts = r.ts, d = r.d, arr = r.arr,
          returning = returning, type = db:type(), null_absent = r.id ~= nil and r.missing == nil }`),
      env: lua(`local db = assert(sql.get("t:envdb"))
        return assert(db:query("SELECT current_user AS u, 1 + ? AS two", {1}))[1]`),
      tx: lua(`local db = assert(sql.get("t:db"))
        db:execute("CREATE TABLE IF NOT EXISTS acct (name TEXT PRIMARY KEY, n INT)")
        db:execute("DELETE FROM acct")
        local tx = assert(db:begin({ isolation = sql.isolation.SERIALIZABLE }))
        local level = tx:query("SHOW transaction_isolation")[1].transaction_isolation
        assert(tx:execute("INSERT INTO acct VALUES (?, ?)", {"a", 1}))
        assert(tx:savepoint("s1"))
        assert(tx:execute("INSERT INTO acct VALUES (?, ?)", {"b", 2}))
        assert(tx:rollback_to("s1"))
        assert(tx:commit())
        local ro = assert(db:begin({ read_only = true }))
        local _, denied = ro:execute("INSERT INTO acct VALUES ('c', 3)")
        ro:rollback()
        local _, unsupported = db:begin({ isolation = sql.isolation.WRITE_COMMITTED })
        local b = sql.builder
        local ex = b.select("name"):from("acct"):where({ n = 1 }):run_with(db)
        local text = ex:to_sql()
        local rows = assert(ex:query())
        local upd = assert(b.update("acct"):set("n", 5):where("name = ?", "a"):run_with(db):exec())
        local _, dup = db:execute("INSERT INTO acct VALUES ('a', 9)")
        return { level = level, denied = { denied:kind(), tostring(denied) }, unsupported = { unsupported:kind(), tostring(unsupported) },
          text = text, names = #rows, updated = upd.rows_affected, dup = dup:kind(), count = db:query("SELECT count(*) AS n FROM acct")[1].n }`),
      sleeper: lua(`local db = assert(sql.get("t:db"))
        local secs = ...
        local rows, err = db:query("SELECT pg_sleep(?) AS s, 1 AS one", {secs})
        if err then return { kind = err:kind(), retryable = err:retryable(), message = tostring(err) } end
        return { ok = rows[1].one }`),
      holder: lua(`local db = assert(sql.get("t:db"))
        local tx = assert(db:begin())
        assert(tx:execute("INSERT INTO acct VALUES ('ghost', 0)"))
        time.sleep("1h")`),
      probe: lua(`local db = assert(sql.get("t:db"))
        local rows, err = db:query("SELECT count(*) AS n FROM acct WHERE name = 'ghost'")
        if err then return { kind = err:kind(), message = tostring(err) } end
        local s = db:stats()
        return { ghosts = rows[1].n, in_use = s.in_use, abandoned = s.abandoned_transactions, max_open = s.max_open_connections, open = s.open_connections }`),
    });
  }, 120_000);

  afterAll(async () => {
    await app?.rt.shutdown();
    await server?.destroy();
  }, 60_000);

  test('values come back as lib/pq gives them; ? and $n placeholders both work', async () => {
    expect(await app.run('types')).toEqual({
      ins: { last_insert_id: 0, rows_affected: 1 },
      i: 7, i_type: 'integer', big: 5000000000, f: 2.5, b: true, t: 'héllo', bin: [2, 255], num: '12.50', j: '{"a": 1}',
      ts: '2024-01-15T08:30:00Z', d: '2024-02-29T00:00:00Z', arr: '{1,2}', returning: 2, type: 'postgres', null_absent: true,
    });
  });

  test('*_env fields read the credentials from the environment when the service starts', async () => {
    expect(await app.run('env')).toEqual({ u: server.user, two: 2 });
  });

  test('transactions: isolation, savepoints, read-only; the builder numbers placeholders $n', async () => {
    expect(await app.run('tx')).toEqual({
      level: 'serializable',
      denied: ['PermissionDenied', 'cannot execute INSERT in a read-only transaction'],
      unsupported: ['Invalid', 'isolation level not supported: write_committed'],
      text: 'SELECT name FROM acct WHERE n = $1',
      names: 1, updated: 1, dup: 'Invalid', count: 1,
    });
  });

  test('the pool keeps to max_open: five 300 ms queries on two connections take three rounds', async () => {
    const started = Date.now();
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => app.run('sleeper', [0.3])));
    expect(results).toEqual(Array(5).fill({ ok: 1 }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(850);
    const probe = (await app.run('probe')) as Record<string, number>;
    expect(probe.max_open).toBe(2);
    expect(probe.open).toBeLessThanOrEqual(2);
  });

  test('a process killed inside a transaction: rolled back on the server, its connection released', async () => {
    const pid = app.spawn('holder');
    const admin = new Client({ host: '127.0.0.1', port: server.port, user: server.user, database: server.database });
    await admin.connect();
    try {
      const idleInTx = async (): Promise<number> =>
        Number((await admin.query("SELECT count(*) AS n FROM pg_stat_activity WHERE state = 'idle in transaction' AND application_name = 'wisp-test'")).rows[0].n);
      await until('the transaction open on the server', async () => (await idleInTx()) === 1);
      app.rt.node.terminate('test', pid);
      await until('the transaction gone from the server', async () => (await idleInTx()) === 0);
    } finally {
      await admin.end();
    }
    expect(await app.run('probe')).toMatchObject({ ghosts: 0, in_use: 0, abandoned: 1 });
  });

  test('the server stopping mid-query gives the caller a clear error; the pool recovers when it returns', async () => {
    const sleeping = app.run('sleeper', [30]);
    const admin = new Client({ host: '127.0.0.1', port: server.port, user: server.user, database: server.database });
    await admin.connect();
    await until('the query running on the server', async () => Number((await admin.query("SELECT count(*) AS n FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%' AND state = 'active'")).rows[0].n) === 1, 20_000);
    await admin.end();
    await server.halt('fast');
    const failed = (await sleeping) as Record<string, unknown>;
    expect(failed.kind).toBe('Unavailable');
    expect(failed.retryable).toBe(true);
    expect(failed.message).toMatch(/terminating connection due to administrator command|Connection terminated/);
    const down = (await app.run('probe')) as Record<string, unknown>;
    expect(down.kind).toBe('Unavailable');
    expect(down.message).toMatch(new RegExp(`cannot connect to PostgreSQL at 127\\.0\\.0\\.1:${server.port}: .*ECONNREFUSED`));
    await server.resume();
    expect(await app.run('probe')).toMatchObject({ ghosts: 0, in_use: 0 });
    expect(await app.run('sleeper', [0])).toEqual({ ok: 1 });
  }, 60_000);
});
