'use strict';
/**
 * Store and queue benchmark (issue 22). `queue_roundtrip_per_s`: messages per second from a Lua publisher
 * through the memory driver to a consumer that runs a function process per message and acks it (timed until
 * the queue has nothing waiting or in flight); `queue_roundtrip_vs_echo` (bench/ratios.js) sets it beside the
 * kernel's echo round trip. `store_get_per_s`: `s:get` calls per second on a store.memory from one process
 * (each a copy of a small table).
 */
const path = require('path');
const { loadProject } = require('../dist/registry');
const { Runtime } = require('../dist/hosts/runtime');
const { SILENT } = require('../dist/modules/logger');
const { median } = require('./harness');

function spawnAndWait(rt, entry, args) {
  const r = rt.node.spawn({ entry, host: 'bench:processes', args, parent: null, monitor: false, link: false });
  if (!r.ok) throw new Error(r.error.message);
  return new Promise((resolve, reject) => rt.node.onExit(r.value, (o) => (o.error ? reject(new Error(o.error.message)) : resolve())));
}

function drained(rt) {
  return new Promise((resolve, reject) => {
    const check = () => {
      const info = rt.native.get('bench:jobs', 'queue').info();
      if (info.message && info.kind) return reject(new Error(info.message));
      if (info.message_count === 0 && info.in_flight === 0) resolve();
      else setImmediate(check);
    };
    check();
  });
}

async function roundtripsPerSecond(rt, n) {
  const t0 = performance.now();
  await spawnAndWait(rt, 'bench:publisher', [n]);
  await drained(rt);
  return n / ((performance.now() - t0) / 1000);
}

async function getsPerSecond(rt, n) {
  const t0 = performance.now();
  await spawnAndWait(rt, 'bench:reader', [n]);
  return n / ((performance.now() - t0) / 1000);
}

module.exports = {
  targets: {},
  async run() {
    const rt = new Runtime(loadProject(path.join(__dirname, 'data-project')), { logs: SILENT, terminal: null });
    await rt.boot();
    await roundtripsPerSecond(rt, 1000);
    await getsPerSecond(rt, 10000);
    const queue = [];
    const gets = [];
    for (let round = 0; round < 5; round++) {
      queue.push(await roundtripsPerSecond(rt, 5000));
      gets.push(await getsPerSecond(rt, 100000));
    }
    await rt.shutdown();
    return { queue_roundtrip_per_s: median(queue), store_get_per_s: median(gets) };
  },
};
