'use strict';
/** Event bus benchmarks (issue 10): Lua send → Lua subscribers, 1 and 100 of them; the cost of unread events. */
const path = require('path');
const { loadProject } = require('../dist/registry');
const { Runtime } = require('../dist/hosts/runtime');
const { SILENT } = require('../dist/modules/logger');
const { Table } = require('../dist/kernel/value');
const { settled, heapUsed, medianOf } = require('./harness');

function boot() {
  const rt = new Runtime(loadProject(path.join(__dirname, 'events-project')), { logs: SILENT, terminal: null });
  rt.boot();
  return rt;
}

function spawn(rt, entry, args) {
  const r = rt.node.spawn({ entry, host: 'bev:processes', args, parent: null, monitor: false, link: false });
  if (!r.ok) throw new Error(r.error.message);
  return { pid: r.value, exit: new Promise((resolve) => rt.node.onExit(r.value, resolve)) };
}

/** Events received per second (over all subscribers) while one Lua process sends `n` of them. */
async function delivered(subscribers, n) {
  const rt = boot();
  const vm = rt.hosts.get('bev:processes').vm;
  const round = async () => {
    const subs = [];
    for (let i = 0; i < subscribers; i++) subs.push(spawn(rt, 'bev:subscriber', ['bev.sys', n]));
    await settled(vm);
    if (rt.node.events.size !== subscribers) throw new Error('subscribers not ready');
    const t0 = performance.now();
    spawn(rt, 'bev:publisher', ['bev.sys', n]);
    for (const s of subs) {
      const outcome = await s.exit;
      if (outcome.error) throw new Error(outcome.error.message);
    }
    return (subscribers * n) / ((performance.now() - t0) / 1000);
  };
  await round();
  const perS = await medianOf(3, round);
  await rt.shutdown();
  return perS;
}

/** Heap bytes per event a subscriber holds unread (the same small table as the publisher sends). */
async function unreadBytes(n) {
  const rt = boot();
  const vm = rt.hosts.get('bev:processes').vm;
  const hoarder = spawn(rt, 'bev:hoarder', ['bev.unread']);
  await settled(vm);
  const before = heapUsed();
  for (let i = 1; i <= n; i++) {
    rt.node.publish({ system: 'bev.unread', kind: 'bench.tick', path: '/bench', data: Table.from({ n: i, text: 'hello world' }) });
  }
  const after = heapUsed();
  if (rt.node.mailboxOf(hoarder.pid).unread !== n) throw new Error('events not held');
  await rt.shutdown();
  return (after - before) / n;
}

module.exports = {
  targets: {},
  async run() {
    return {
      events_delivered_1_sub_per_s: await delivered(1, 20000),
      events_delivered_100_subs_per_s: await delivered(100, 2000),
      events_unread_bytes: await unreadBytes(50000),
    };
  },
};
