/**
 * The store module over store.memory and store.sql (real SQLite), through real Lua on a booted runtime: values
 * are copies, TTLs expire, max_size and max_bytes refuse with clear errors, huge values are refused without
 * being kept, a released or dead process's store is unusable/released, and store.sql keeps rows in the
 * application's table and sweeps expired ones.
 */
import type { Runtime } from '../../src/hosts/runtime';
import { bootProject, definitions, luaEntry, runLua, writeFiles } from '../helpers/service-project';

const lua = (body: string): string => `local store = require("store")\nlocal time = require("time")\nlocal function main(...)\n${body}\nend\nreturn { main = main }\n`;

const SCRIPTS: Record<string, string> = {
  copies: lua(`
    local s = assert(store.get("t:mem"))
    local t = { name = "a", items = { 1, 2, 3 }, f = 2.5, yes = true }
    assert(s:set("k", t))
    t.name = "changed"
    local a = assert(s:get("k"))
    local b = assert(s:get("k"))
    a.items[1] = 99
    local _, missing = s:get("nope")
    local _, nilv = s:set("k2", nil)
    local _, empty = s:get("")
    local _, fn = s:set("f", function() end)
    return { name = b.name, first = b.items[1], same = a == b, f = b.f, ftype = math.type(b.f), yes = b.yes,
      missing = { missing:kind(), missing:message() }, nilv = nilv:kind(), empty = empty:kind(), fn = fn:message(),
      deleted = s:delete("k"), again = s:delete("k"), has = s:has("k") }
  `),
  ttl: lua(`
    local s = assert(store.get("t:mem"))
    assert(s:set("short", "v", 0.2))
    assert(s:set("long", "v", 60))
    local before = s:has("short")
    time.sleep("400ms")
    local _, gone = s:get("short")
    return { before = before, after = s:has("short"), gone = gone:kind(), long = s:get("long") }
  `),
  full: lua(`
    local s = assert(store.get("t:small"))
    for i = 1, 3 do assert(s:set("k" .. i, i)) end
    local ok, err = s:set("k4", 4)
    local replaced = s:set("k1", "again")
    s:delete("k2")
    local after_delete = s:set("k4", 4)
    return { ok = ok, kind = err:kind(), retryable = err:retryable(), message = err:message(), replaced = replaced, after_delete = after_delete }
  `),
  huge: lua(`
    local s = assert(store.get("t:small"))
    local big = string.rep("x", 70000)
    local ok, err = s:set("big", big)
    local parts = {}
    for i = 1, 40 do parts[i] = string.rep("y", 1000) end
    local ok2, err2 = s:set("many", parts)
    return { ok = ok, kind = err:kind(), message = err:message(), has = s:has("big"), ok2 = ok2 }
  `),
  released: lua(`
    local s = assert(store.get("t:mem"))
    local before = tostring(s)
    assert(s:release())
    local _, e = s:get("k")
    local _, e2 = s:set("k", 1)
    return { before = before, after = tostring(s), kind = e:kind(), msg = e:message(), set = e2:kind(), twice = s:release() }
  `),
  lookup: lua(`
    local _, empty = store.get("")
    local _, missing = store.get("t:nothing")
    local _, wrong = store.get("t:host")
    return { empty = empty:kind(), missing = { missing:kind(), missing:retryable() }, wrong = wrong:kind() }
  `),
  sqlstore: lua(`
    local sql = require("sql")
    local db = assert(sql.get("t:db"))
    assert(db:execute("CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT, expires_at TEXT)"))
    local s = assert(store.get("t:rows"))
    assert(s:set("a", { n = 1, list = { "x", "y" } }))
    assert(s:set("a", { n = 2, list = { "x", "y" } }))
    assert(s:set("b'; DROP TABLE kv; --", "safe"))
    assert(s:set("brief", 1, 0.1))
    time.sleep("300ms")
    local a = assert(s:get("a"))
    local _, gone = s:get("brief")
    local injected = assert(s:get("b'; DROP TABLE kv; --"))
    time.sleep("400ms")
    local left = assert(db:query("SELECT COUNT(*) AS n FROM kv"))[1].n
    return { n = a.n, second = a.list[2], gone = gone:kind(), injected = injected,
      has = s:has("a"), deleted = s:delete("a"), again = s:delete("a"), left = left }
  `),
};

const ENTRIES = `
  - name: mem
    kind: store.memory
    lifecycle: { auto_start: true }
  - name: small
    kind: store.memory
    max_size: 3
    max_bytes: 65536
    lifecycle: { auto_start: true }
  - name: db
    kind: db.sql.sqlite
    file: ":memory:"
    lifecycle: { auto_start: true }
  - name: rows
    kind: store.sql
    database: t:db
    table_name: kv
    cleanup_interval: 200ms
    lifecycle: { auto_start: true }
${Object.keys(SCRIPTS)
  .map((name) => luaEntry(name, `${name}.lua`, ['store', 'time', 'sql']))
  .join('')}`;

describe('store', () => {
  let rt: Runtime;
  beforeAll(async () => {
    const files: Record<string, string> = { 'src/_index.yaml': definitions(ENTRIES) };
    for (const [name, source] of Object.entries(SCRIPTS)) files[`src/${name}.lua`] = source;
    rt = await bootProject(writeFiles(files));
  });
  afterAll(() => rt.shutdown());

  test('values go in and come out as copies; missing keys and bad input are clear errors', async () => {
    expect(await runLua(rt, 'copies')).toEqual({
      name: 'a', first: 1, same: false, f: 2.5, ftype: 'float', yes: true,
      missing: ['NotFound', 'key not found'], nilv: 'Invalid', empty: 'Invalid', fn: 'a function value cannot be stored',
      deleted: true, again: false, has: false,
    });
  });

  test('a TTL expires the key', async () => {
    expect(await runLua(rt, 'ttl')).toEqual({ before: true, after: false, gone: 'NotFound', long: 'v' });
  });

  test('max_size refuses a new key once full (an existing one may change)', async () => {
    expect(await runLua(rt, 'full')).toEqual({
      kind: 'Unavailable', retryable: true, message: 'store is full (max_size 3)', replaced: true, after_delete: true,
    });
  });

  test('a value larger than the store allows is refused and not kept', async () => {
    const r = (await runLua(rt, 'huge')) as Record<string, unknown>;
    expect(r).toMatchObject({ kind: 'Invalid', has: false });
    expect(r.message).toMatch(/value too large/);
    expect(r.ok2).toBeUndefined();
  });

  test('a released store refuses calls; release is idempotent', async () => {
    expect(await runLua(rt, 'released')).toEqual({
      before: 'store.Store{}', after: 'store.Store{released}', kind: 'Invalid', msg: 'store is released', set: 'Invalid', twice: true,
    });
  });

  test('store.get errors', async () => {
    expect(await runLua(rt, 'lookup')).toEqual({ empty: 'Invalid', missing: ['NotFound', false], wrong: 'Invalid' });
  });

  test('store.sql keeps JSON rows in the application table, expires and sweeps them (only a and the odd key are left), binds keys safely', async () => {
    expect(await runLua(rt, 'sqlstore')).toEqual({
      n: 2, second: 'y', gone: 'NotFound', injected: 'safe', has: true, deleted: true, again: false, left: 2,
    });
  });
});
