'use strict';
/**
 * SQL benchmark (issue 22): point SELECTs per second through the `sql` module from Lua (SQLite in its worker
 * thread; 64 reader processes at once, as an app's concurrent requests would be, so one round trip to the worker
 * carries many statements), over the same query through better-sqlite3 directly from JS on the main thread (a
 * prepared statement, row objects), measured in pairs, round by round. `sql_point_query_one_reader_us` is the
 * latency of one process querying alone (a round trip to the worker each time).
 */
const path = require('path');
const Database = require('better-sqlite3');
const { loadProject } = require('../dist/registry');
const { Runtime } = require('../dist/hosts/runtime');
const { SILENT } = require('../dist/modules/logger');
const { median } = require('./harness');

const ROWS = 1000;
const READERS = 64;
const SQL = 'SELECT id, name, score FROM items WHERE id = ?';

function spawnAndWait(rt, entry, args) {
  const r = rt.node.spawn({ entry, host: 'bench:processes', args, parent: null, monitor: false, link: false });
  if (!r.ok) throw new Error(r.error.message);
  return new Promise((resolve, reject) => rt.node.onExit(r.value, (o) => (o.error ? reject(new Error(o.error.message)) : resolve())));
}

async function luaPerSecond(rt, total, readers = READERS) {
  const each = Math.ceil(total / readers);
  const t0 = performance.now();
  await Promise.all(Array.from({ length: readers }, (_, k) => spawnAndWait(rt, 'bench:reader', [each, ROWS, k * 97])));
  return (each * readers) / ((performance.now() - t0) / 1000);
}

function directPerSecond(db, n) {
  const stmt = db.prepare(SQL);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const row = stmt.get((i % ROWS) + 1);
    if (row.id !== (i % ROWS) + 1) throw new Error('wrong row');
  }
  return n / ((performance.now() - t0) / 1000);
}

module.exports = {
  targets: { sql_point_query_vs_direct: { min: 0.3 } },
  async run() {
    const rt = new Runtime(loadProject(path.join(__dirname, 'sql-project')), { logs: SILENT, terminal: null });
    await rt.boot();
    await spawnAndWait(rt, 'bench:setup', [ROWS]);
    const direct = new Database(':memory:');
    direct.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, score REAL)');
    const ins = direct.prepare('INSERT INTO items (name, score) VALUES (?, ?)');
    direct.transaction(() => { for (let i = 1; i <= ROWS; i++) ins.run(`item ${i}`, i * 1.5); })();
    await luaPerSecond(rt, 5000);
    directPerSecond(direct, 20000);
    const lua = [];
    const js = [];
    const ratios = [];
    for (let round = 0; round < 5; round++) {
      const l = await luaPerSecond(rt, 40000);
      const d = directPerSecond(direct, 200000);
      lua.push(l);
      js.push(d);
      ratios.push(l / d);
    }
    const alone = [];
    for (let round = 0; round < 3; round++) alone.push(1e6 / (await luaPerSecond(rt, 2000, 1)));
    direct.close();
    await rt.shutdown();
    return {
      sql_point_query_per_s: median(lua),
      sql_point_query_direct_per_s: median(js),
      sql_point_query_vs_direct: median(ratios),
      sql_point_query_one_reader_us: median(alone),
    };
  },
};
