'use strict';
/**
 * Prototype (issue 27, not a benchmark suite): the kernel suite's three flows (bench/kernel.js echo_lua_us,
 * spawn_exit_us, ring_hop_us) as the JavaScript a Lua-to-JS compiler could emit from their Lua scripts
 * (bench/echo-client.lua, lua/echo-service/src/{relay,worker}.lua, bench/project/src/bench.lua), each process a
 * JS generator resumed by a run queue in place of a Fengari coroutine. Run two ways:
 *
 *   real  on wisp's own kernel (dist/kernel Node): spawns through Node.spawn and a Host whose start() makes the
 *         generator, sends through Node.send (mailbox limit, Mailbox routing, the inbox/events subscriptions the
 *         engine's process.inbox()/process.events() make), exits through Node.exited (EXIT tables, monitors,
 *         exit watchers); payloads deep-copied on send and again on receive, as the engine copies Lua <-> Value.
 *   lean  on a minimal actor kernel in this file: integer PIDs, a ring-buffer mailbox per process, a name map,
 *         monitors as a list; the same copies.
 *
 * The compiled code keeps Lua's semantics where they cost: a reduction budget in every loop (preemption), tables
 * as Map-backed objects, string.upper as Lua's byte-wise upper, the relay's stats and no-op logger calls.
 * What it leaves out: the relay's stats_reporter coroutine (a 5 s timer), the engine's time-sliced batches
 * between event-loop turns (here one synchronous run drains the queue), the memory watchdog's accounting.
 *
 *   node bench/prototype/compiled-flows.js            every way in its own child process, then wisp's
 *                                                      interpreted flows and Erlang (when `erl` exists)
 *   node bench/prototype/compiled-flows.js real|lean|wisp|erlang     one of them
 * Prints µs per operation, medians of 5 rounds.
 */
const path = require('path');
const fs = require('fs');
const os = require('os');
const { execFileSync } = require('child_process');

const ROOT = path.join(__dirname, '..', '..');
const ROUNDS = 5;
const ECHO_N = 50000;
const SPAWN_N = 100000;
const RING_SIZE = 1000;
const RING_HOPS = 500000;

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

// ---------------------------------------------------------------------------------------------------------
// The compiled runtime's side: Lua tables, the copies at the process boundary, the run queue.

/** A compiled Lua table (the hash part; these flows use no array part). */
class LuaTable {
  constructor() {
    this.hash = new Map();
  }
  get(k) {
    const v = this.hash.get(k);
    return v === undefined ? null : v;
  }
  set(k, v) {
    if (v === null) this.hash.delete(k);
    else this.hash.set(k, v);
  }
}

/** Lua's string.upper on a byte string (Lua strings are latin1 JS strings here): ASCII letters only. */
function luaUpper(s) {
  if (/^[\x00-\x7f]*$/.test(s)) return s.toUpperCase();
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += c >= 97 && c <= 122 ? String.fromCharCode(c - 32) : s[i];
  }
  return out;
}

const PREEMPT = 1;
const WAIT_INBOX = 2;
const WAIT_EVENTS = 3;
const WAIT_SELECT = 4;
const BUDGET = 2000;

/** A compiled process: its generator, what it waits on, the two queues its subscriptions fill. */
class Proc {
  constructor(pid, Fifo) {
    this.pid = pid;
    this.gen = null;
    this.inbox = new Fifo();
    this.events = new Fifo();
    this.waiting = 0;
    this.queued = false;
    this.resume = undefined;
    this.budget = BUDGET;
  }
}

/** The run queue: resumes each runnable generator until it blocks, yields its budget or returns. */
class Scheduler {
  constructor(Fifo, onReturn) {
    this.queue = new Fifo();
    this.onReturn = onReturn;
  }
  enqueue(p) {
    if (!p.queued) {
      p.queued = true;
      this.queue.push(p);
    }
  }
  /** A message (or event) reached `p`: hand it over if `p` waits for it. */
  inboxArrived(p) {
    if (p.waiting === WAIT_INBOX) {
      p.waiting = 0;
      p.resume = p.inbox.shift();
      this.enqueue(p);
    } else if (p.waiting === WAIT_SELECT) {
      p.waiting = 0;
      p.resume = true; // the select's inbox case
      this.enqueue(p);
    }
  }
  eventArrived(p) {
    if (p.waiting === WAIT_EVENTS) {
      p.waiting = 0;
      p.resume = p.events.shift();
      this.enqueue(p);
    } else if (p.waiting === WAIT_SELECT) {
      p.waiting = 0;
      p.resume = false; // the events case
      this.enqueue(p);
    }
  }
  run() {
    for (let p = this.queue.shift(); p !== undefined; p = this.queue.shift()) {
      p.queued = false;
      p.budget = BUDGET;
      const v = p.resume;
      p.resume = undefined;
      const r = p.gen.next(v);
      if (r.done) {
        this.onReturn(p, r.value);
        continue;
      }
      switch (r.value) {
        case PREEMPT:
          this.enqueue(p);
          break;
        case WAIT_INBOX:
          if (p.inbox.length > 0) (p.resume = p.inbox.shift()), this.enqueue(p);
          else p.waiting = WAIT_INBOX;
          break;
        case WAIT_EVENTS:
          if (p.events.length > 0) (p.resume = p.events.shift()), this.enqueue(p);
          else p.waiting = WAIT_EVENTS;
          break;
        case WAIT_SELECT:
          if (p.inbox.length > 0) (p.resume = true), this.enqueue(p);
          else if (p.events.length > 0) (p.resume = false), this.enqueue(p);
          else p.waiting = WAIT_SELECT;
          break;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// The compiled flows. `k` is the kernel binding (the `process` module as compiled code calls it); `p` the
// running process. A receive is inline when something waits, else a yield; every loop spends budget.

const logger = { info(_fields) {}, error(_fields) {} }; // the bench runs with logs silenced

/** bench/echo-client.lua main(n). */
function* echoClient(k, p, n) {
  k.inbox(p);
  // while process.registry.lookup("relay") == nil do time.sleep(0) end
  while (k.lookup('relay') === null) yield PREEMPT;
  const me = k.pid(p);
  for (let i = 1; i <= n; i++) {
    if (--p.budget < 0) yield PREEMPT;
    const msg = new LuaTable();
    msg.set('sender', me);
    msg.set('data', 'hello world');
    k.send(p, 'relay', 'echo', msg);
    const m = p.inbox.length > 0 ? p.inbox.shift() : yield WAIT_INBOX;
    const reply = k.data(m);
    if (reply.get('data') !== 'HELLO WORLD') throw new Error('bad reply');
  }
  return n;
}

let relayed = 0; // a check that every echo went through the relay
let exitsSeen = 0; // and that the relay heard every worker's EXIT

/** lua/echo-service/src/relay.lua main (without its stats_reporter coroutine). */
function* relay(k, p) {
  k.inbox(p);
  k.events(p);
  const stats = new LuaTable();
  stats.set('messages', 0);
  stats.set('workers_spawned', 0);
  k.register(p, 'relay');
  for (;;) {
    if (--p.budget < 0) yield PREEMPT;
    const fromInbox = p.inbox.length > 0 ? true : p.events.length > 0 ? false : yield WAIT_SELECT;
    if (!fromInbox) {
      const event = k.event(p.events.shift());
      if (event.get('kind') === 'pid.exit') {
        exitsSeen++;
        const f = new LuaTable();
        f.set('from', event.get('from'));
        f.set('result', event.get('result'));
        logger.info(f);
      }
    } else {
      const msg = p.inbox.shift();
      if (k.topic(msg) === 'echo') {
        const echo = k.data(msg);
        stats.set('messages', stats.get('messages') + 1);
        relayed++;
        const err = k.spawnMonitored(p, 'app:worker', [echo.get('sender'), echo.get('data')]);
        if (err !== null) logger.error(err);
        else stats.set('workers_spawned', stats.get('workers_spawned') + 1);
      }
    }
  }
}

/** lua/echo-service/src/worker.lua main(sender_pid, data), without its sleep (as bench/kernel.js runs it). */
function* worker(k, p, sender, data) {
  const response = new LuaTable();
  response.set('data', luaUpper(data));
  response.set('worker', k.pid(p));
  k.send(p, sender, 'echo_response', response);
  return 0;
}

/** bench.lua spawner(n). */
function* spawner(k, p, n) {
  k.events(p);
  for (let i = 1; i <= n; i++) {
    if (--p.budget < 0) yield PREEMPT;
    k.spawnMonitored(p, 'bench:child', []);
    if (p.events.length > 0) p.events.shift();
    else yield WAIT_EVENTS;
  }
  return n;
}

/** bench.lua child(). */
function* child() {
  return 0;
}

/** bench.lua ring_node(). */
function* ringNode(k, p) {
  k.inbox(p);
  const first = p.inbox.length > 0 ? p.inbox.shift() : yield WAIT_INBOX;
  const next = k.data(first);
  for (;;) {
    if (--p.budget < 0) yield PREEMPT;
    const msg = p.inbox.length > 0 ? p.inbox.shift() : yield WAIT_INBOX;
    const hops = k.data(msg);
    if (hops === 0) k.send(p, 'ring-done', 'done', 0);
    else k.send(p, next, 'token', hops - 1);
  }
}

const ENTRIES = { 'app:cli': echoClient, 'app:relay': relay, 'app:worker': worker, 'bench:spawner': spawner, 'bench:child': child, 'bench:ring_node': ringNode };

// ---------------------------------------------------------------------------------------------------------
// (a) wisp's real kernel.

function realKernel() {
  const dist = path.join(ROOT, 'dist');
  const { Node } = require(path.join(dist, 'kernel', 'node'));
  const { Table, ErrorValue } = require(path.join(dist, 'kernel', 'value'));
  const { Fifo } = require(path.join(dist, 'util', 'fifo'));
  const HOST = 'js:processes';
  const node = new Node();
  const procs = new Map();
  const sched = new Scheduler(Fifo, (p, value) => {
    procs.delete(p.pid);
    node.exited(p.pid, { value, error: null });
  });

  /** Lua value -> portable Value (values.ts exportValue: the copy process.send makes). */
  const exportValue = (v) => {
    if (!(v instanceof LuaTable)) return v;
    const t = new Table();
    for (const [key, val] of v.hash) t.map.set(exportValue(key), exportValue(val));
    return t;
  };
  /** Portable Value -> a fresh Lua value (pushValue: what the receiver's payload():data() gets). */
  const importValue = (v) => {
    if (!(v instanceof Table)) return v;
    const t = new LuaTable();
    for (const [key, val] of v.map) t.hash.set(importValue(key), importValue(val));
    return t;
  };

  node.addHost({
    id: HOST,
    start(record, entry, args) {
      const body = ENTRIES[entry];
      if (body === undefined) return new ErrorValue(`entry ${entry} not found`, 'NotFound');
      const p = new Proc(record.id, Fifo);
      p.record = record;
      record.runtime = { terminate: () => undefined };
      procs.set(p.pid, p);
      p.gen = body(k, p, ...args.map(importValue));
      sched.enqueue(p);
      return null;
    },
  });

  const k = {
    pid: (p) => p.pid,
    inbox(p) {
      p.record.mailbox.subscribeInbox((m) => {
        p.inbox.push(m);
        sched.inboxArrived(p);
      });
    },
    events(p) {
      p.record.mailbox.subscribeEvents((e) => {
        p.events.push(e);
        sched.eventArrived(p);
      });
    },
    send(p, dest, topic, payload) {
      const err = node.router.send(p.pid, dest, topic, [exportValue(payload)]);
      return err;
    },
    topic: (m) => m.topic,
    data: (m) => importValue(m.payloads[0]),
    event: importValue,
    register(p, name) {
      const err = node.router.register(name, p.pid, 0);
      if (err !== null) throw new Error(err.message);
    },
    lookup(name) {
      const r = node.router.lookup(name);
      return r.ok ? r.value : null;
    },
    spawnMonitored(p, entry, args) {
      const r = node.router.spawn({ entry, host: HOST, args: args.map(exportValue), parent: p.pid, monitor: true, link: false });
      return r.ok ? null : r.error;
    },
  };

  /** A JS-driven process (as bench/kernel.js's driver): its messages go to `onMessage`. */
  const external = (onMessage) => {
    const me = node.createProcess('node:control', 'bench:driver', null, { terminate: () => undefined });
    me.mailbox.subscribeInbox(onMessage);
    return me.id;
  };
  const spawn = (entry, args) => {
    const r = node.spawn({ entry, host: HOST, args, parent: null, monitor: false, link: false });
    if (!r.ok) throw new Error(r.error.message);
    return r.value;
  };
  const exitOf = (pid) => {
    let outcome = null;
    node.onExit(pid, (o) => (outcome = o));
    return () => outcome;
  };
  return {
    sched,
    spawn,
    exitOf,
    external,
    send: (from, dest, topic, value) => node.send(from, dest, topic, [value]),
    register: (name, pid) => node.register(name, pid, 0),
    live: () => node.processCount,
  };
}

// ---------------------------------------------------------------------------------------------------------
// (b) A lean kernel: what the same flows cost when the kernel is only mailboxes, names and monitors.

function leanKernel() {
  const { Fifo } = require(path.join(ROOT, 'dist', 'util', 'fifo'));
  const procs = new Map();
  const names = new Map();
  const exitWatchers = new Map();
  let nextPid = 1;
  const sched = new Scheduler(Fifo, (p, value) => exit(p, value));

  const exportValue = (v) => {
    if (!(v instanceof LuaTable)) return v;
    const t = new LuaTable();
    for (const [key, val] of v.hash) t.hash.set(exportValue(key), exportValue(val));
    return t;
  };
  const importValue = exportValue; // a fresh table for the receiver

  class LeanProc extends Proc {
    constructor(pid) {
      super(pid, Fifo);
      this.monitors = null;
      this.inboxSink = null;
      this.eventsOn = false;
    }
  }

  const create = (entry, args) => {
    const p = new LeanProc(nextPid++);
    procs.set(p.pid, p);
    p.gen = ENTRIES[entry](k, p, ...args.map(importValue));
    sched.enqueue(p);
    return p;
  };
  function exit(p, value) {
    procs.delete(p.pid);
    if (p.monitors !== null) {
      for (const w of p.monitors) {
        const watcher = procs.get(w);
        if (watcher === undefined) continue;
        const result = new LuaTable();
        if (value !== null) result.set('value', value);
        const event = new LuaTable();
        event.set('kind', 'pid.exit');
        event.set('from', p.pid);
        event.set('at', Date.now() / 1000);
        event.set('result', result);
        watcher.events.push(event);
        sched.eventArrived(watcher);
      }
    }
    const fn = exitWatchers.get(p.pid);
    if (fn !== undefined) exitWatchers.delete(p.pid), fn({ value, error: null });
  }
  const deliver = (from, dest, topic, payload) => {
    const pid = typeof dest === 'number' ? dest : names.get(dest);
    const p = pid === undefined ? undefined : procs.get(pid);
    if (p === undefined) return 'not found';
    const m = { from, topic, payload };
    if (p.inboxSink !== null) return p.inboxSink(m), null;
    p.inbox.push(m);
    sched.inboxArrived(p);
    return null;
  };

  const k = {
    pid: (p) => p.pid,
    inbox() {},
    events() {},
    send: (p, dest, topic, payload) => deliver(p.pid, dest, topic, exportValue(payload)),
    topic: (m) => m.topic,
    data: (m) => importValue(m.payload),
    event: (e) => e,
    register(p, name) {
      names.set(name, p.pid);
    },
    lookup: (name) => names.get(name) ?? null,
    spawnMonitored(p, entry, args) {
      const c = create(entry, args.map(exportValue));
      c.monitors = [p.pid];
      return null;
    },
  };
  return {
    sched,
    spawn: (entry, args) => create(entry, args).pid,
    exitOf(pid) {
      let outcome = null;
      exitWatchers.set(pid, (o) => (outcome = o));
      return () => outcome;
    },
    external(onMessage) {
      const p = new LeanProc(nextPid++);
      p.inboxSink = onMessage;
      procs.set(p.pid, p);
      return p.pid;
    },
    send: deliver,
    register: (name, pid) => names.set(name, pid),
    live: () => procs.size,
  };
}

// ---------------------------------------------------------------------------------------------------------
// The measurements: the same shapes as bench/kernel.js (a client process doing n round trips; a spawner doing
// n spawn+EXIT; a 1000-node ring lapped by a token of n hops).

function measure(kernel) {
  const { sched, spawn, exitOf, external, send, register } = kernel;
  spawn('app:relay', []);
  sched.run();

  const runMain = (entry, n) => {
    const t0 = performance.now();
    const pid = spawn(entry, [n]);
    const outcome = exitOf(pid);
    sched.run();
    const us = ((performance.now() - t0) * 1000) / n;
    const o = outcome();
    if (o === null || o.error !== null || o.value !== n) throw new Error(`${entry} did not finish`);
    return us;
  };

  let done = 0;
  const driver = external(() => done++);
  register('ring-done', driver);
  const ring = [];
  for (let i = 0; i < RING_SIZE; i++) ring.push(spawn('bench:ring_node', []));
  ring.forEach((pid, i) => send(driver, pid, 'next', ring[(i + 1) % RING_SIZE]));
  sched.run();
  const lap = (hops) => {
    const before = done;
    const t0 = performance.now();
    send(driver, ring[0], 'token', hops);
    sched.run();
    const us = ((performance.now() - t0) * 1000) / hops;
    if (done !== before + 1) throw new Error('ring did not finish');
    return us;
  };

  runMain('app:cli', ECHO_N);
  runMain('bench:spawner', SPAWN_N);
  lap(RING_HOPS);
  const rounds = { echo_us: [], spawn_exit_us: [], ring_hop_us: [] };
  for (let r = 0; r < ROUNDS; r++) {
    rounds.echo_us.push(runMain('app:cli', ECHO_N));
    rounds.spawn_exit_us.push(runMain('bench:spawner', SPAWN_N));
    rounds.ring_hop_us.push(lap(RING_HOPS));
  }
  // Every worker and child has ended (and was reported): only the relay, the ring and its driver are left.
  const echoes = (ROUNDS + 1) * ECHO_N;
  if (relayed !== echoes || exitsSeen !== echoes) throw new Error(`relayed ${relayed}, EXITs ${exitsSeen} of ${echoes}`);
  if (kernel.live() !== RING_SIZE + 2) throw new Error(`${kernel.live()} processes left`);
  return Object.fromEntries(Object.entries(rounds).map(([key, xs]) => [key, median(xs)]));
}

/** wisp's own interpreted flows, as `npm run bench` measures them (bench/kernel.js). */
async function wisp() {
  const kernel = require(path.join(ROOT, 'bench', 'kernel.js'));
  const echo = await kernel.echoLua();
  const spawnExit = await kernel.spawnExit();
  const ring = await kernel.ring();
  return { echo_us: echo.echo_lua_us, spawn_exit_us: spawnExit.spawn_exit_us, ring_hop_us: ring.ring_hop_us };
}

/** bench/reference/wisp_bench.erl, as bench/vm.js runs it. */
function erlang() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wisp-proto-erl-'));
  try {
    execFileSync('erlc', ['-o', dir, path.join(ROOT, 'bench', 'reference', 'wisp_bench.erl')], { stdio: 'ignore' });
    const out = execFileSync('erl', ['-noshell', '-pa', dir, '-s', 'wisp_bench', 'main'], { encoding: 'utf8', timeout: 120000 });
    const [echo, spawn, ring] = out.trim().split(/\s+/).map(Number);
    return { echo_us: echo, spawn_exit_us: spawn, ring_hop_us: ring };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function hasErl() {
  try {
    execFileSync('sh', ['-c', 'command -v erl && command -v erlc'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function one(way) {
  if (way === 'real') return measure(realKernel());
  if (way === 'lean') return measure(leanKernel());
  if (way === 'wisp') return wisp();
  if (way === 'erlang') return erlang();
  throw new Error(`unknown way ${way}`);
}

async function main() {
  const way = process.argv[2];
  if (way !== undefined) {
    process.stdout.write(JSON.stringify(await one(way)) + '\n');
    return;
  }
  const ways = ['real', 'lean', 'wisp', ...(hasErl() ? ['erlang'] : [])];
  const results = {};
  for (const w of ways) {
    const out = execFileSync(process.execPath, [__filename, w], { encoding: 'utf8', cwd: ROOT });
    results[w] = JSON.parse(out.trim().split('\n').pop());
  }
  if (results.erlang === undefined) {
    // No `erl` here: the last quiet run's figures (bench/results.json), not measured alongside.
    const saved = JSON.parse(fs.readFileSync(path.join(ROOT, 'bench', 'results.json'), 'utf8'));
    results['erlang (results.json)'] = { echo_us: saved.erlang_echo_us, spawn_exit_us: saved.erlang_spawn_exit_us, ring_hop_us: saved.erlang_ring_hop_us };
  }
  const erl = results.erlang ?? results['erlang (results.json)'];
  const rows = [];
  for (const [w, r] of Object.entries(results)) {
    for (const flow of ['echo_us', 'spawn_exit_us', 'ring_hop_us']) {
      rows.push({ way: w, flow, us: +r[flow].toFixed(3), vs_erlang: +(r[flow] / erl[flow]).toFixed(2) });
    }
  }
  console.table(rows);
  process.stdout.write(JSON.stringify(results) + '\n');
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
