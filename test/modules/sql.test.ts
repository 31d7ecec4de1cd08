/**
 * The `sql` module on real SQLite (better-sqlite3 in its worker thread) through the real runtime: result shapes
 * and types, errors and their kinds, transactions and savepoints, prepared statements, typed values, the builder
 * run against the database, SQL injection attempts, and nothing lost when a process dies holding things.
 */
import { until } from '../helpers/poll';
import { lua, sqlApp, type SqlApp } from '../helpers/sql';

const MEMORY_DB = `  - name: db
    kind: db.sql.sqlite
    file: ":memory:"
    lifecycle: { auto_start: true }`;



describe('sql on SQLite', () => {
  let app: SqlApp;

  beforeAll(async () => {
    app = await sqlApp(MEMORY_DB, {
      shapes: lua(`
        local db = assert(sql.get("t:db"))
        assert(db:execute("CREATE TABLE shapes (id INTEGER PRIMARY KEY, i INTEGER, r REAL, t TEXT, b BLOB, n TEXT)"))
        local res = assert(db:execute("INSERT INTO shapes (i, r, t, b, n) VALUES (?, ?, ?, ?, ?)", {42, 2.0, "héllo", sql.as.binary("\\0\\255x"), sql.NULL}))
        local again = assert(db:execute("INSERT INTO shapes (i, r, t) VALUES (?, ?, ?)", {true, 1.5, 7}))
        local rows = assert(db:query("SELECT * FROM shapes ORDER BY id"))
        local r1, r2 = rows[1], rows[2]
        local stats = assert(db:stats())
        return {
          res = res, again = again, count = #rows,
          i_type = math.type(r1.i), i = r1.i, r_type = math.type(r1.r), r = r1.r, t = r1.t,
          b_len = #r1.b, b0 = string.byte(r1.b, 1), b1 = string.byte(r1.b, 2), n_absent = r1.n == nil,
          bool_stored = r2.i, float = r2.r, number_as_text = r2.t, dbtype = db:type(), sqlite = sql.type.SQLITE,
          stats_keys = { stats.max_open_connections, stats.open_connections, stats.in_use, stats.idle, stats.wait_count, stats.wait_duration },
          big = db:query("SELECT 3000000000 AS big, 9007199254740993 AS huge")[1],
        }
      `),
      errors: lua(`
        local db = assert(sql.get("t:db"))
        local out = {}
        local _, e = db:query("SELEC 1"); out.syntax = { e:kind(), e:retryable(), tostring(e) }
        _, e = db:query("SELECT * FROM nowhere"); out.missing = { e:kind(), tostring(e) }
        db:execute("CREATE TABLE uniq (k TEXT UNIQUE)")
        db:execute("INSERT INTO uniq VALUES ('a')")
        _, e = db:execute("INSERT INTO uniq VALUES (?)", {"a"}); out.unique = { e:kind(), tostring(e) }
        _, e = db:query("SELECT 1", "not a table"); out.params = { e:kind(), tostring(e) }
        _, e = db:query("SELECT 1", {[70000] = 1}); out.too_many = { e:kind(), tostring(e) }
        _, e = sql.get(""); out.empty_id = { e:kind(), e:retryable() }
        _, e = sql.get("t:nope"); out.not_found = { e:kind() }
        _, e = sql.get("t:processes"); out.not_db = { e:kind() }
        local ok, raised = pcall(db.query, "not a db", "SELECT 1"); out.bad_self = { ok, tostring(raised) }
        return out
      `),
      tx: lua(`
        local db = assert(sql.get("t:db"))
        db:execute("CREATE TABLE IF NOT EXISTS txt (name TEXT)")
        db:execute("DELETE FROM txt")
        local tx = assert(db:begin({ isolation = sql.isolation.SERIALIZABLE, read_only = false }))
        assert(tx:execute("INSERT INTO txt VALUES (?)", {"kept"}))
        assert(tx:savepoint("sp1"))
        assert(tx:execute("INSERT INTO txt VALUES (?)", {"undone"}))
        assert(tx:rollback_to("sp1"))
        assert(tx:release("sp1"))
        local _, bad = tx:savepoint("no spaces")
        local _, empty = tx:savepoint("")
        assert(tx:commit())
        local _, after = tx:query("SELECT 1")
        local _, twice = tx:commit()
        local _, level = db:begin({ isolation = "sideways" })
        local tx2 = assert(db:begin())
        tx2:execute("INSERT INTO txt VALUES ('rolled')")
        local tx2_type = tx2:db_type()
        assert(tx2:rollback())
        local names = {}
        for _, r in ipairs(assert(db:query("SELECT name FROM txt ORDER BY name"))) do names[#names + 1] = r.name end
        return { names = names, bad = bad:kind(), empty = tostring(empty), after = { after:kind(), tostring(after) },
          twice = twice:kind(), level = { level:kind(), tostring(level) }, type = tx2_type }
      `),
      prepared: lua(`
        local db = assert(sql.get("t:db"))
        db:execute("CREATE TABLE IF NOT EXISTS st (name TEXT, v INTEGER)")
        local ins = assert(db:prepare("INSERT INTO st (name, v) VALUES (?, ?)"))
        for i = 1, 5 do assert(ins:execute({"n" .. i, i * 10})) end
        assert(ins:close())
        local _, closed = ins:execute({"x", 1})
        local _, twice = ins:close()
        local sel = assert(db:prepare("SELECT name FROM st WHERE v > ? ORDER BY v"))
        local a = #assert(sel:query({20}))
        local b = #assert(sel:query({40}))
        local _, bad = db:prepare("SELEC nothing")
        local tx = assert(db:begin())
        local up = assert(tx:prepare("UPDATE st SET v = v + ? WHERE name = ?"))
        assert(up:execute({1, "n1"}))
        assert(tx:commit())
        local _, after_commit = up:execute({1, "n1"})
        return { a = a, b = b, closed = { closed:kind(), tostring(closed) }, twice = { twice:kind(), tostring(twice) },
          bad = bad:kind(), v1 = db:query("SELECT v FROM st WHERE name = 'n1'")[1].v, after_commit = after_commit:kind() }
      `),
      typed: lua(`
        local db = assert(sql.get("t:db"))
        db:execute("CREATE TABLE ty (a, b, c, d, e)")
        assert(db:execute("INSERT INTO ty VALUES (?, ?, ?, ?, ?)", {sql.as.int(42.9), sql.as.float(3), sql.as.text(12), sql.as.binary("bin"), sql.as.null()}))
        local r = db:query("SELECT typeof(a) ta, a, typeof(b) tb, b, typeof(c) tc, c, typeof(d) td, typeof(e) te FROM ty")[1]
        return r
      `),
      builder: lua(`
        local db = assert(sql.get("t:db"))
        local b = sql.builder
        db:execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, score REAL, tag TEXT)")
        for i, n in ipairs({"ann", "bob", "cy", "dee"}) do
          assert(b.insert("items"):columns("name", "score", "tag"):values(n, i * 10.5, i % 2 == 0 and "even" or sql.NULL):run_with(db):exec())
        end
        local q = b.select("name"):from("items"):where({ id = {1, 3, 4} }):where(b.gt({ score = 20 })):order_by("id DESC")
        local sql_text, args = q:to_sql()
        local names = {}
        for _, r in ipairs(assert(q:run_with(db):query())) do names[#names + 1] = r.name end
        local up = assert(b.update("items"):set("tag", "odd"):where({ tag = sql.NULL }):run_with(db):exec())
        local tx = assert(db:begin())
        local del = assert(b.delete("items"):where("score < ?", 15):run_with(tx):exec())
        tx:rollback()
        local left = db:query("SELECT count(*) AS n FROM items")[1].n
        local e_sql, e_args = q:run_with(db):to_sql()
        local _, bad = b.select():from("items"):to_sql()
        return { sql = sql_text, nargs = #args, names = names, updated = up.rows_affected, deleted = del.rows_affected, left = left,
          same = e_sql == sql_text and #e_args == #args, bad = { bad:kind(), tostring(bad) }, text = tostring(q) }
      `),
      injection: lua(`
        local db = assert(sql.get("t:db"))
        local b = sql.builder
        db:execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
        db:execute("INSERT INTO users (name) VALUES ('alice')")
        local evil = { "x'); DROP TABLE users; --", "' OR '1'='1", "1; DELETE FROM users", "\\"; DROP TABLE users; --", "?", "$1" }
        for _, v in ipairs(evil) do
          assert(b.insert("users"):columns("name"):values(v):run_with(db):exec())
          assert(b.update("users"):set("name", v):where({ name = v }):run_with(db):exec())
          assert(b.select("id"):from("users"):where({ name = v }):where(b.like({ name = v })):run_with(db):query())
          assert(b.delete("users"):where("name = ?", v .. "nope"):run_with(db):exec())
          assert(db:query("SELECT * FROM users WHERE name = ?", { v }))
        end
        local found = {}
        for _, v in ipairs(evil) do
          local rows = assert(b.select("name"):from("users"):where({ name = v }):run_with(db):query())
          found[#found + 1] = #rows == 1 and rows[1].name == v
        end
        local ok_limit = pcall(function() return b.select("id"):from("users"):limit("1; DROP TABLE users") end)
        local total = db:query("SELECT count(*) AS n FROM users")[1].n
        return { found = found, total = total, limit_refused = not ok_limit,
          table_alive = #assert(db:query("SELECT name FROM sqlite_master WHERE name = 'users'")) }
      `),
      holder: lua(`
        local db = assert(sql.get("t:db"))
        db:execute("CREATE TABLE IF NOT EXISTS lost (v TEXT)")
        local tx = assert(db:begin())
        assert(tx:execute("INSERT INTO lost VALUES ('should vanish')"))
        local mode = ...
        if mode == "error" then error("boom inside the transaction") end
        process.registry.register("tx_holder")
        time.sleep("1h")
      `),
      counter: lua(`
        local db = assert(sql.get("t:db"))
        local rows = assert(db:query("SELECT count(*) AS n FROM lost"))
        local s = db:stats()
        return { n = rows[1].n, in_use = s.in_use, abandoned = s.abandoned_transactions, open = s.open_connections }
      `),
      waiter: lua(`
        local db = assert(sql.get("t:db"))
        process.registry.register("tx_waiter")
        local tx, err = db:begin()
        if err then return { err = tostring(err) } end
        tx:execute("INSERT INTO lost VALUES ('waiter')")
        time.sleep("1h")
      `),
      blocker: lua(`
        local db = assert(sql.get("t:db"))
        local tx = assert(db:begin())
        process.registry.register("tx_blocker")
        local go = process.listen("go")
        go:receive()
        tx:rollback()
        return true
      `),
      released: lua(`
        local db = assert(sql.get("t:db"))
        assert(db:release())
        assert(db:release())
        return true
      `),
    });
  });

  afterAll(async () => {
    await app.rt.shutdown();
  });

  test('rows are tables keyed by column; integers, floats, text, bytes and NULL come back as Lua types', async () => {
    const r = (await app.run('shapes')) as Record<string, unknown>;
    expect(r).toMatchObject({
      res: { last_insert_id: 1, rows_affected: 1 },
      again: { last_insert_id: 2, rows_affected: 1 },
      count: 2,
      i_type: 'integer', i: 42, r_type: 'float', r: 2, t: 'héllo',
      b_len: 3, b0: 0, b1: 255, n_absent: true,
      bool_stored: 1, float: 1.5, number_as_text: '7', dbtype: 'sqlite', sqlite: 'sqlite',
    });
    expect((r.stats_keys as unknown[]).slice(0, 2)).toEqual([1, 1]);
    expect(typeof (r.stats_keys as unknown[])[5]).toBe('string');
    // Past Fengari's 32-bit integers an integer arrives as a float (exact to 2^53).
    expect(r.big).toEqual({ big: 3000000000, huge: 9007199254740992 });
  });

  test('errors are values with Wippy kinds: bad SQL and constraints are Invalid; bad arguments raise', async () => {
    const r = (await app.run('errors')) as Record<string, unknown[]>;
    expect(r.syntax).toEqual(['Invalid', false, 'near "SELEC": syntax error']);
    expect(r.missing).toEqual(['Invalid', 'no such table: nowhere']);
    expect(r.unique).toEqual(['Invalid', 'UNIQUE constraint failed: uniq.k']);
    expect(r.params).toEqual(['Invalid', 'parameters must be a table, got string']);
    expect(r.too_many).toEqual(['Invalid', 'too many parameters (more than 65535)']);
    expect(r.empty_id).toEqual(['Invalid', false]);
    expect(r.not_found).toEqual(['NotFound']);
    expect(r.not_db).toEqual(['Invalid']);
    expect(r.bad_self[0]).toBe(false);
    expect(r.bad_self[1]).toMatch(/database expected/);
  });

  test('transactions commit, roll back and keep savepoints; a finished one refuses further use', async () => {
    expect(await app.run('tx')).toEqual({
      names: ['kept'],
      bad: 'Invalid',
      empty: 'savepoint name is required',
      after: ['Invalid', 'transaction is not active'],
      twice: 'Invalid',
      level: ['Invalid', 'invalid isolation level: sideways'],
      type: 'sqlite',
    });
  });

  test('prepared statements run many times, refuse use after close, and follow their transaction', async () => {
    expect(await app.run('prepared')).toEqual({
      a: 3, b: 1,
      closed: ['Invalid', 'statement is closed'],
      twice: ['Invalid', 'statement is already closed'],
      bad: 'Invalid', v1: 11, after_commit: 'Invalid',
    });
  });

  test('sql.as values bind with their type', async () => {
    expect(await app.run('typed')).toEqual({ ta: 'integer', a: 42, tb: 'real', b: 3, tc: 'text', c: '12', td: 'blob', te: 'null' });
  });

  test('the builder runs on the database and on a transaction; lists make IN; errors are Invalid', async () => {
    const r = (await app.run('builder')) as Record<string, unknown>;
    expect(r).toMatchObject({
      sql: 'SELECT name FROM items WHERE id IN (?,?,?) AND score > ? ORDER BY id DESC',
      nargs: 4, names: ['dee', 'cy'], updated: 2, deleted: 1, left: 4, same: true,
      bad: ['Invalid', 'select statements must have at least one result column'],
    });
    expect(r.text).toBe('SelectBuilder: SELECT name FROM items WHERE id IN (?,?,?) AND score > ? ORDER BY id DESC [Args: [1 3 4 20]]');
  });

  test('SQL injection through builder values is impossible: hostile values are stored and matched as data', async () => {
    const r = (await app.run('injection')) as Record<string, unknown>;
    expect(r.found).toEqual([true, true, true, true, true, true]);
    expect(r.total).toBe(7);
    expect(r.limit_refused).toBe(true);
    expect(r.table_alive).toBe(1);
  });

  test('a process that fails or is killed inside a transaction leaves it rolled back and its connection released', async () => {
    await expect(app.run('holder', ['error'])).rejects.toThrow(/boom inside the transaction/);
    expect(await app.run('counter')).toEqual({ n: 0, in_use: 0, abandoned: 1, open: 1 });
    const pid = app.spawn('holder', ['sleep']);
    await until('the holder in its transaction', () => app.rt.node.lookup('tx_holder').ok);
    expect(app.rt.node.terminate('test', pid)).toBeNull();
    expect(await app.run('counter')).toEqual({ n: 0, in_use: 0, abandoned: 2, open: 1 });
  });

  test('a transaction begun for a process that died while it waited is rolled back at once', async () => {
    const blocker = app.spawn('blocker');
    const db = app.rt.native.get('t:db', 'sql') as unknown as { stats(): { waitCount: number } };
    await until('the blocker in its transaction', () => app.rt.node.lookup('tx_blocker').ok);
    const waits = db.stats().waitCount;
    const waiter = app.spawn('waiter'); // its BEGIN waits for the blocker's transaction
    await until('the waiter waiting for a connection', () => app.rt.node.lookup('tx_waiter').ok && db.stats().waitCount > waits);
    app.rt.node.terminate('test', waiter);
    expect(app.rt.node.send('', blocker, 'go', [true])).toBeNull();
    expect(await app.run('counter')).toMatchObject({ n: 0, in_use: 0, abandoned: 3 });
  });

  test('db:release() is idempotent and the hold is counted', async () => {
    const db = app.rt.native.get('t:db', 'sql') as unknown as { held: number };
    const before = db.held;
    expect(await app.run('released')).toBe(true);
    expect(db.held).toBe(before);
  });
});
