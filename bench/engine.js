'use strict';
/** Engine benchmarks (issue 2): process creation, idle memory, channel handoffs, yield/resume round trips. */
const { createVM } = require('../dist/modules');
const { LuaProcess } = require('../dist/engine/process');
const { lua } = require('../dist/engine/lua');
const { settled, heapUsed, medianOf } = require('./harness');

const BLOCK_ON_RECEIVE = 'local ch = channel.new() return { main = function() ch:receive() end }';

function spawner(vm, source, id) {
  const spec = { entryId: id, chunk: vm.compile(source, id), method: 'main', modules: new Set(['time']), imports: new Map() };
  return () => {
    let done;
    const exit = new Promise((r) => (done = r));
    const p = new LuaProcess(vm, spec, id, done);
    p.start();
    return { p, exit };
  };
}

async function processCreateUs() {
  const vm = createVM();
  const spawn = spawner(vm, BLOCK_ON_RECEIVE, 'bench:idle');
  for (let i = 0; i < 2000; i++) spawn(); // warm up V8 and the compile cache
  await settled(vm);
  return medianOf(7, async () => {
    const n = 5000;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) spawn();
    await settled(vm);
    return ((performance.now() - t0) * 1000) / n;
  });
}

async function idleProcessHeapBytes() {
  return medianOf(3, async () => {
    const vm = createVM();
    const spawn = spawner(vm, BLOCK_ON_RECEIVE, 'bench:idle');
    spawn();
    await settled(vm);
    const before = heapUsed();
    const n = 10000;
    const procs = [];
    for (let i = 0; i < n; i++) procs.push(spawn());
    await settled(vm);
    const after = heapUsed();
    if (procs.some((x) => !x.p.alive)) throw new Error('a process ended');
    return (after - before) / n;
  });
}

/** Runs `main(n)` of `source` in one process, five times; the median of n / seconds. */
async function opsPerSecond(id, source, n) {
  const vm = createVM();
  const spec = { entryId: id, chunk: vm.compile(source, id), method: 'main', modules: new Set(['time']), imports: new Map() };
  return medianOf(5, async () => {
    let done;
    const exit = new Promise((r) => (done = r));
    const t0 = performance.now();
    new LuaProcess(vm, spec, id, done).start((T) => (lua.lua_pushinteger(T, n), 1));
    const r = await exit;
    if (r.error) throw new Error(r.error.message);
    return n / ((performance.now() - t0) / 1000);
  });
}

const channelHandoffsPerS = () =>
  opsPerSecond('bench:ch', `return { main = function(n)
    local ch = channel.new()
    local done = channel.new()
    coroutine.spawn(function() for i = 1, n do ch:receive() end done:send(true) end)
    for i = 1, n do ch:send(i) end
    done:receive()
  end }`, 200000);

const yieldResumePerS = () =>
  opsPerSecond('bench:y', 'local time = require("time") return { main = function(n) for i = 1, n do time.sleep(0) end end }', 200000);

/** One blocking host call round trip (time.sleep(0): a yield to the scheduler and a resume), as a rate and in µs. */
async function yieldRoundTrip() {
  const perS = await yieldResumePerS();
  return { yield_resume_per_s: perS, yield_us: 1e6 / perS };
}

module.exports = {
  targets: {
    process_create_us: { max: 15 },
    idle_process_heap_bytes: { max: 4096 },
    channel_handoffs_per_s: { min: 150000 },
  },
  async run() {
    return {
      process_create_us: await processCreateUs(),
      idle_process_heap_bytes: await idleProcessHeapBytes(),
      channel_handoffs_per_s: await channelHandoffsPerS(),
      ...(await yieldRoundTrip()),
    };
  },
};
