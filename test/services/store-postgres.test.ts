/** store.sql on a real PostgreSQL server: JSON payloads in a JSONB column, expiry in a TIMESTAMPTZ column. */
import type { Runtime } from '../../src/hosts/runtime';
import { bootProject, definitions, luaEntry, runLua, writeFiles } from '../helpers/service-project';
import { describePostgres, PostgresServer } from '../helpers/postgres';

const lua = (body: string): string => `local store = require("store")\nlocal time = require("time")\nlocal function main(...)\n${body}\nend\nreturn { main = main }\n`;

describePostgres('store.sql on PostgreSQL', () => {
  let server: PostgresServer;
  let rt: Runtime;
  beforeAll(async () => {
    server = await PostgresServer.start();
    const script = lua(`
      local sql = require("sql")
      local db = assert(sql.get("t:pg"))
      assert(db:execute("CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value JSONB, expires_at TIMESTAMPTZ)"))
      local s = assert(store.get("t:pgrows"))
      assert(s:set("user", { name = "Ada", tags = { "a", "b" } }))
      assert(s:set("user", { name = "Ada L.", tags = { "a", "b" } }))
      assert(s:set("brief", true, 0.1))
      time.sleep("300ms")
      local u = assert(s:get("user"))
      local _, gone = s:get("brief")
      local raw = assert(db:query("SELECT value->>'name' AS name FROM kv WHERE key = 'user'"))[1].name
      return { name = u.name, tag = u.tags[2], gone = gone:kind(), raw = raw, has = s:has("brief"), deleted = s:delete("user") }
    `);
    const entries = `  - name: pg
    kind: db.sql.postgres
${server.entryFields()}
    options: { sslmode: disable }
    lifecycle: { auto_start: true }
  - name: pgrows
    kind: store.sql
    database: t:pg
    table_name: kv
    lifecycle: { auto_start: true }
${luaEntry('pgstore', 'pgstore.lua', ['store', 'time', 'sql'])}`;
    rt = await bootProject(writeFiles({ 'src/_index.yaml': definitions(entries), 'src/pgstore.lua': script }));
  }, 120_000);
  afterAll(async () => {
    await rt?.shutdown();
    await server?.destroy();
  }, 60_000);

  test('JSON payloads in a JSONB column, expiry in a TIMESTAMPTZ one', async () => {
    expect(await runLua(rt, 'pgstore')).toEqual({ name: 'Ada L.', tag: 'b', gone: 'NotFound', raw: 'Ada L.', has: false, deleted: true });
  });
});
