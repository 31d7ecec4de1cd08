'use strict';
/** Kernel benchmarks (issue 3): the tutorial's echo flow, spawn+EXIT, a 1000-process ring, 100k idle processes. */
const path = require('path');
const { loadProject } = require('../dist/registry');
const { Runtime } = require('../dist/hosts/runtime');
const { SILENT } = require('../dist/modules/logger');
const { Table } = require('../dist/kernel/value');
const { ControlSocket } = require('../dist/hosts/control');
const fs = require('fs');
const os = require('os');
const { settled, heapUsed, medianOf, median, pairedWithYield } = require('./harness');

const ROOT = path.join(__dirname, '..');

function boot(dir, edit = () => undefined) {
  const registry = loadProject(dir);
  edit(registry);
  const rt = new Runtime(registry, { logs: SILENT, terminal: null });
  rt.boot();
  return rt;
}

function exitOf(rt, pid) {
  return new Promise((resolve) => rt.node.onExit(pid, resolve));
}

/** A JS-driven process in the node: it sends, and replies land in its mailbox. */
function driver(rt) {
  const me = rt.node.createProcess('node:control', 'bench:driver', null, { terminate: () => undefined });
  let waiting = null;
  const replies = [];
  me.mailbox.subscribeInbox((m) => {
    if (waiting) {
      const w = waiting;
      waiting = null;
      w(m);
    } else replies.push(m);
  });
  return {
    pid: me.id,
    next: () => (replies.length ? Promise.resolve(replies.shift()) : new Promise((r) => (waiting = r))),
  };
}

/** Echoes per second over `n` echoes through the relay, 64 in flight (the driver `d` gets the replies). */
function echoBatch(rt, d, message) {
  return async (n) => {
    const window = 64;
    const t0 = performance.now();
    let sent = 0;
    for (; sent < window; sent++) rt.node.send(d.pid, 'relay', 'echo', [message]);
    for (let got = 0; got < n; got++) {
      await d.next();
      if (sent < n) rt.node.send(d.pid, 'relay', 'echo', [message]), sent++;
    }
    return n / ((performance.now() - t0) / 1000);
  };
}

/**
 * The tutorial's echo flow. echo_per_s is measured in short batches on one runtime, alternating between the
 * control socket closed and open with nobody attached (what `wisp run` has at boot), so that the shared
 * machine's drift weighs on both sides alike; each figure is the median of its batches.
 */
async function echo() {
  // The tutorial project as it is, with a worker that does not sleep (the benchmark measures the runtime).
  const rt = boot(path.join(ROOT, 'lua', 'echo-service'), (registry) => {
    const worker = registry.get('app:worker');
    // Sources are bytes (raw bytes in literals are kept); this edit is plain ASCII.
    const text = Buffer.from(worker.source).toString('latin1').replace('time.sleep("100ms")', '');
    worker.source = new Uint8Array(Buffer.from(text, 'latin1'));
  });
  await settled(rt.hosts.get('app:processes').vm);
  const d = driver(rt);
  const message = Table.from({ sender: d.pid, data: 'hello world' });
  const roundTrip = async () => {
    const t0 = performance.now();
    const err = rt.node.send(d.pid, 'relay', 'echo', [message]);
    if (err) throw new Error(err.message);
    const reply = await d.next();
    if (reply.payloads[0].get('data') !== 'HELLO WORLD') throw new Error('bad reply');
    return (performance.now() - t0) * 1000;
  };
  for (let i = 0; i < 2000; i++) await roundTrip();
  const rtts = [];
  for (let i = 0; i < 10000; i++) rtts.push(await roundTrip());
  rtts.sort((a, b) => a - b);
  const batch = echoBatch(rt, d, message);
  const socketDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wisp-bench-'));
  const withSocket = async (n) => {
    const socket = await ControlSocket.open(socketDir, () => rt.snapshot());
    if (!(socket instanceof ControlSocket)) throw new Error(socket.reason);
    try {
      return await batch(n);
    } finally {
      await socket.close();
    }
  };
  // The same await before a batch without the socket as opening it costs one with it.
  const withoutSocket = async (n) => {
    await new Promise((resolve) => setImmediate(resolve));
    return batch(n);
  };
  await batch(10000);
  // Pairs of short batches, the order swapped every pair; the cost is the median of the pairs' ratios.
  const closed = [];
  const open = [];
  const ratios = [];
  for (let i = 0; i < 24; i++) {
    let c, o;
    if (i % 2 === 0) {
      c = await withoutSocket(2000);
      o = await withSocket(2000);
    } else {
      o = await withSocket(2000);
      c = await withoutSocket(2000);
    }
    closed.push(c);
    open.push(o);
    ratios.push(o / c);
  }
  if (process.env.BENCH_DEBUG) console.log({ closed: closed.map(Math.round), open: open.map(Math.round) });
  fs.rmSync(socketDir, { recursive: true, force: true });
  await stop(rt);
  const perS = median(closed);
  const withControl = median(open);
  return {
    echo_rtt_p50_us: median(rtts),
    echo_rtt_p99_us: rtts[Math.floor(rtts.length * 0.99)],
    echo_per_s: perS,
    echo_per_s_control_idle: withControl,
    control_idle_cost_pct: (1 - median(ratios)) * 100,
  };
}

// A Lua client in the tutorial project (in place of its terminal client): sends to the relay, which spawns a
// monitored worker; the worker replies; no sleeps anywhere. µs per round trip. bench/floor runs the same file.
const LUA_CLIENT = fs.readFileSync(path.join(__dirname, 'echo-client.lua'), 'latin1');

async function echoLua() {
  const rt = boot(path.join(ROOT, 'lua', 'echo-service'), (registry) => {
    const worker = registry.get('app:worker');
    const text = Buffer.from(worker.source).toString('latin1').replace('time.sleep("100ms")', '');
    worker.source = new Uint8Array(Buffer.from(text, 'latin1'));
    registry.get('app:cli').source = new Uint8Array(Buffer.from(LUA_CLIENT, 'latin1'));
  });
  const run = async (n) => {
    const r = rt.node.spawn({ entry: 'app:cli', host: 'app:processes', args: [n], parent: null, monitor: false, link: false });
    const t0 = performance.now();
    const outcome = await exitOf(rt, r.value);
    if (outcome.error) throw new Error(outcome.error.message);
    return ((performance.now() - t0) * 1000) / n;
  };
  await run(5000);
  const { us, inYields } = await pairedWithYield(5, () => run(10000));
  await stop(rt);
  return { echo_lua_us: us, echo_in_yields: inYields };
}

async function stop(rt) {
  for (const s of rt.services.values()) s.entry.lifecycle.stopTimeoutMs = 10;
  await rt.shutdown();
}

async function spawnExit() {
  const rt = boot(path.join(__dirname, 'project'));
  const run = async (n) => {
    const r = rt.node.spawn({ entry: 'bench:spawner', host: 'bench:processes', args: [n], parent: null, monitor: false, link: false });
    const t0 = performance.now();
    const outcome = await exitOf(rt, r.value);
    if (outcome.error) throw new Error(outcome.error.message);
    return ((performance.now() - t0) * 1000) / n;
  };
  await run(5000);
  const { us, inYields } = await pairedWithYield(5, () => run(20000));
  await stop(rt);
  return { spawn_exit_per_s: 1e6 / us, spawn_exit_us: us, spawn_exit_in_yields: inYields };
}

async function ring() {
  const rt = boot(path.join(__dirname, 'project'));
  const d = driver(rt);
  rt.node.register('ring-done', d.pid, 0);
  const n = 1000;
  const pids = [];
  for (let i = 0; i < n; i++) {
    pids.push(rt.node.spawn({ entry: 'bench:ring_node', host: 'bench:processes', args: [], parent: null, monitor: false, link: false }).value);
  }
  pids.forEach((pid, i) => rt.node.send(d.pid, pid, 'next', [pids[(i + 1) % n]]));
  const lap = async (hops) => {
    const t0 = performance.now();
    rt.node.send(d.pid, pids[0], 'token', [hops]);
    await d.next();
    return ((performance.now() - t0) * 1000) / hops;
  };
  await lap(20000);
  const { us, inYields } = await pairedWithYield(5, () => lap(100000));
  await stop(rt);
  return { ring_msgs_per_s: 1e6 / us, ring_hop_us: us, ring_hop_in_yields: inYields };
}

async function idle100k() {
  const rt = boot(path.join(__dirname, 'project'));
  const vm = rt.hosts.get('bench:processes').vm;
  const spawnIdle = () => rt.node.spawn({ entry: 'bench:idle', host: 'bench:processes', args: [], parent: null, monitor: false, link: false });
  spawnIdle();
  await settled(vm);
  const before = heapUsed();
  for (let i = 0; i < 100000; i++) {
    spawnIdle();
    if (i % 5000 === 0) await settled(vm);
  }
  await settled(vm);
  const after = heapUsed();
  if (rt.node.processCount < 100000) throw new Error('processes ended');
  // What one `wisp top` refresh costs the runtime at this size: a screenful in pid order (top's default), and
  // the same sorted by mailbox (every process looked at).
  const refresh = (sort) => medianOf(5, () => {
    const t0 = performance.now();
    const s = rt.snapshot({ sort, filter: '', limit: 40 });
    if (s.processes.length !== 40 || s.matched < 100000) throw new Error('bad snapshot');
    return performance.now() - t0;
  });
  const byPid = await refresh('pid');
  const byMailbox = await refresh('mailbox');
  await stop(rt);
  return {
    idle_processes_100k_heap_mb: (after - before) / (1024 * 1024),
    top_refresh_100k_processes_ms: byPid,
    top_refresh_100k_by_mailbox_ms: byMailbox,
  };
}

module.exports = {
  echo, echoLua, spawnExit, ring,
  idle100k,
  driver, // the cluster benchmarks drive their node the same way
  echoBatch,
  targets: {
    echo_rtt_p50_us: { max: 150 },
    control_idle_cost_pct: { max: 3 },
    spawn_exit_per_s: { min: 30000 },
    ring_msgs_per_s: { min: 100000 },
    idle_processes_100k_heap_mb: { max: 600 },
  },
  async run() {
    return {
      ...(await echo()),
      ...(await echoLua()),
      ...(await spawnExit()),
      ...(await ring()),
      ...(await idle100k()),
    };
  },
};
