'use strict';
/**
 * The VM against unmodified Fengari (issue 14), in the same run: `fengari-pristine` is the same release as our
 * `fengari`, installed under an npm alias and never patched. Also prints the same workloads on native Lua and
 * Erlang/OTP when `lua5.4` / `erl` are installed (reference rows; skipped silently otherwise): the yield loop,
 * fib(27) and the records build-and-sort (bench/reference/compute-workloads.lua, the same file on both VMs), and
 * the kernel suite's echo, spawn+exit and ring hop (bench/reference/wisp_bench.erl).
 */
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync, fork } = require('child_process');
const pristine = require('fengari-pristine');
const { createVM } = require('../dist/modules');
const { LuaProcess } = require('../dist/engine/process');
const { lua } = require('../dist/engine/lua');
const { median, yieldUs } = require('./harness');

const WRAP_LOOP = `local n = ...
local f = coroutine.wrap(function() while true do coroutine.yield() end end)
for i = 1, n do f() end`;

const FIB = `local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
return fib(...)`;

/** Runs `source` with the integer argument `n` in a fresh pristine state; the milliseconds it took on `clock`. */
function pristineRun(source, n, clock = () => performance.now()) {
  const { lua: plua, lauxlib, lualib, to_luastring } = pristine;
  const L = lauxlib.luaL_newstate();
  lualib.luaL_openlibs(L);
  if (lauxlib.luaL_loadstring(L, to_luastring(source)) !== plua.LUA_OK) throw new Error('pristine: load failed');
  plua.lua_pushinteger(L, n);
  const t0 = clock();
  if (plua.lua_pcall(L, 1, 1, 0) !== plua.LUA_OK) throw new Error(`pristine: ${plua.lua_tojsstring(L, -1)}`);
  return clock() - t0;
}

/** µs per resume/yield round trip of a bare coroutine.wrap loop on the pristine VM. */
function pristineWrapYieldUs() {
  const n = 100000;
  return (pristineRun(WRAP_LOOP, n) * 1000) / n;
}

/**
 * CPU milliseconds of this process so far. Our compute workloads are timed in CPU time, as native Lua times them
 * (`os.clock` in bench/reference/compute.lua): on the shared machine a wall clock counts the time the run waited
 * for a core, which native Lua's figure does not, and the ratio moved with the load (7 to 36 for the same code).
 */
function cpuMs() {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
}

/** A runner: CPU milliseconds of a recursive fib(27) in a wisp process (preemption hook and all) on our VM. */
function oursFibMs() {
  const vm = createVM();
  const id = 'bench:fib';
  const spec = { entryId: id, chunk: vm.compile(`return { main = function(n) ${FIB.replace('return fib(...)', 'return fib(n)')} end }`, id),
    method: 'main', modules: new Set(), imports: new Map() };
  return async () => {
    let done;
    const exit = new Promise((r) => (done = r));
    const t0 = cpuMs();
    new LuaProcess(vm, spec, id, done).start((T) => (lua.lua_pushinteger(T, 27), 1));
    const r = await exit;
    if (r.error) throw new Error(r.error.message);
    if (r.value !== 196418) throw new Error(`fib(27) = ${r.value}`);
    return cpuMs() - t0;
  };
}

const COMPUTE = fs.readFileSync(path.join(__dirname, 'reference', 'compute-workloads.lua'), 'latin1');

/**
 * A runner: CPU milliseconds of one workload of bench/reference/compute-workloads.lua (the file native Lua runs too)
 * in a wisp process on our VM.
 */
function oursComputeMs(name) {
  // table.sort's comparator cannot be preempted: the sort runs past the runaway guard's default second here.
  const vm = createVM({ hardSliceMs: 60000 });
  const id = `bench:compute:${name}`;
  const source = `local W = (function() ${COMPUTE}
end)()
return { main = function() return W.${name}(W.size.${name}) end }`;
  const spec = { entryId: id, chunk: vm.compile(source, id), method: 'main', modules: new Set(), imports: new Map() };
  return async () => {
    let done;
    const exit = new Promise((r) => (done = r));
    const t0 = cpuMs();
    new LuaProcess(vm, spec, id, done).start();
    const r = await exit;
    if (r.error) throw new Error(r.error.message);
    return cpuMs() - t0;
  };
}

/** Our records workload (build and sort 100k tables), the median of `rounds` (each takes seconds: no warm-up). */
async function oursRecordsMs(rounds = 3) {
  const run = oursComputeMs('records');
  const ms = [];
  for (let i = 0; i < rounds; i++) ms.push(await run());
  return median(ms);
}

/**
 * Ours against the pristine VM, alternating round by round so both see the same load: our yield round trip
 * (a blocking host call through the scheduler) against a bare coroutine.wrap loop, and fib(27).
 */
async function againstPristine(rounds = 5) {
  const oursFib = oursFibMs();
  await oursFib();
  pristineRun(FIB, 27, cpuMs);
  pristineWrapYieldUs();
  await yieldUs();
  const rows = { yield: [], wrap: [], yieldSpeedup: [], fib: [], pristineFib: [], computeSpeedup: [] };
  for (let i = 0; i < rounds; i++) {
    const wrap = pristineWrapYieldUs();
    const y = await yieldUs();
    const pf = pristineRun(FIB, 27, cpuMs);
    const f = await oursFib();
    rows.yield.push(y);
    rows.wrap.push(wrap);
    rows.yieldSpeedup.push(wrap / y);
    rows.fib.push(f);
    rows.pristineFib.push(pf);
    rows.computeSpeedup.push(pf / f);
  }
  return {
    pristine_wrap_yield_us: median(rows.wrap),
    fib27_ms: median(rows.fib),
    pristine_fib27_ms: median(rows.pristineFib),
    vm_yield_speedup: median(rows.yieldSpeedup),
    vm_compute_speedup: median(rows.computeSpeedup),
  };
}

function has(command) {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function nativeLuaYieldUs() {
  const out = execFileSync('lua5.4', [path.join(__dirname, 'reference', 'yield.lua'), '2000000'], { encoding: 'utf8' });
  return Number(out.trim());
}

/** A compute workload (or all) on native Lua 5.4: name → median ms of `rounds`. */
function nativeLuaCompute(rounds, only = null) {
  const args = [path.join(__dirname, 'reference', 'compute.lua'), path.join(__dirname, '..'), String(rounds), ...(only ? [only] : [])];
  const out = execFileSync('lua5.4', args, { encoding: 'utf8', timeout: 120000 });
  return Object.fromEntries(out.trim().split('\n').map((line) => line.split('\t')).map(([k, v]) => [k, Number(v)]));
}

/**
 * oursFibMs in a node process of its own (this file, run with WISP_BENCH_FIB_CHILD), warmed up by `warmUp` runs:
 * a runner, and `close`. V8 compiles Fengari's interpreter loop from what it has run: after the records
 * workload (tables, strings, table.sort's comparator) the loop it recompiles runs fib 15-30% slower than the one
 * compiled for fib alone, and takes three or four runs to settle. A benchmark program gets a process of its own,
 * as native Lua's does (bench/reference/compute.lua); the figure after records is reported beside it.
 */
async function isolatedFibMs(warmUp = 5) {
  const child = fork(__filename, [], { env: { ...process.env, WISP_BENCH_FIB_CHILD: '1' }, execArgv: ['--expose-gc'], stdio: 'inherit' });
  const run = () => new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('error', reject);
    child.send('run');
  });
  for (let i = 0; i < warmUp; i++) await run();
  return { run, close: () => child.kill() };
}

if (process.env.WISP_BENCH_FIB_CHILD) {
  const ours = oursFibMs();
  process.on('message', () => void ours().then((ms) => process.send(ms)));
}

/**
 * fib(27) on native Lua and ours, round by round (so both see the same load): the medians, and the median of
 * the rounds' ratios (the machine's load moves too much between two separate timings). fib_vs_native_lua is
 * ours in a process of its own (isolatedFibMs); fib_after_records_vs_native_lua ours in this one, after the
 * records workload.
 */
async function fibAgainstNative(rounds = 5) {
  const isolated = await isolatedFibMs();
  const mixed = oursFibMs();
  await mixed();
  const native = [];
  const alone = [];
  const after = [];
  try {
    for (let i = 0; i < rounds; i++) {
      const n = nativeLuaCompute(3, 'fib').fib;
      native.push(n);
      alone.push((await isolated.run()) / n);
      after.push((await mixed()) / n);
    }
  } finally {
    isolated.close();
  }
  return { native_lua_fib27_ms: median(native), fib_vs_native_lua: median(alone), fib_after_records_vs_native_lua: median(after) };
}

function erlang() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wisp-bench-erl-'));
  try {
    execFileSync('erlc', ['-o', dir, path.join(__dirname, 'reference', 'wisp_bench.erl')], { stdio: 'ignore' });
    const out = execFileSync('erl', ['-noshell', '-pa', dir, '-s', 'wisp_bench', 'main'], { encoding: 'utf8', timeout: 120000 });
    const [echo, spawn, ring] = out.trim().split(/\s+/).map(Number);
    return { erlang_echo_us: echo, erlang_spawn_exit_us: spawn, erlang_ring_hop_us: ring };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

module.exports = {
  targets: {},
  async run() {
    const results = await againstPristine();
    results.records_ms = await oursRecordsMs();
    if (has('lua5.4')) {
      Object.assign(results, { native_lua_yield_us: nativeLuaYieldUs(), ...(await fibAgainstNative()) });
      results.native_lua_records_ms = nativeLuaCompute(3, 'records').records;
    }
    if (has('erl') && has('erlc')) Object.assign(results, erlang());
    return results;
  },
};
