'use strict';
/** Shared benchmark plumbing: medians, awaiting a quiet scheduler, the results table and JSON. */
const fs = require('fs');
const path = require('path');

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Resolves once the VM's run queue is empty (every process is blocked or done). */
function settled(vm) {
  return new Promise((resolve) => {
    const check = () => (vm.sched.queued === 0 ? resolve() : setImmediate(check));
    setImmediate(check);
  });
}

function heapUsed() {
  global.gc();
  global.gc();
  return process.memoryUsage().heapUsed;
}

/** Runs `measure` `rounds` times and keeps the median. */
async function medianOf(rounds, measure) {
  const values = [];
  for (let i = 0; i < rounds; i++) values.push(await measure(i));
  return median(values);
}

let yieldVm = null;

/**
 * One blocking host call round trip in µs (time.sleep(0) in a loop: a yield to the scheduler and a resume),
 * measured now: the unit the in-run ratios divide by, taken next to each workload so both see the same load.
 */
async function yieldUs(n = 50000) {
  const { createVM } = require('../dist/modules');
  if (yieldVm === null) {
    const vm = createVM();
    const id = 'bench:yield';
    const source = 'local time = require("time") return { main = function(n) for i = 1, n do time.sleep(0) end end }';
    yieldVm = { vm, spec: { entryId: id, chunk: vm.compile(source, id), method: 'main', modules: new Set(['time']), imports: new Map() } };
  }
  return mainUs(yieldVm.vm, yieldVm.spec, n);
}

/** Runs `main(n)` of a compiled entry in one new process of `vm`; µs per iteration. */
async function mainUs(vm, spec, n) {
  const { LuaProcess } = require('../dist/engine/process');
  const { lua } = require('../dist/engine/lua');
  let done;
  const exit = new Promise((r) => (done = r));
  const t0 = performance.now();
  new LuaProcess(vm, spec, spec.entryId, done).start((T) => (lua.lua_pushinteger(T, n), 1));
  const r = await exit;
  if (r.error) throw new Error(r.error.message);
  return ((performance.now() - t0) * 1000) / n;
}

/**
 * Runs `measure` (µs per operation) `rounds` times, each right after a yield sample; the median cost and the
 * median of the per-round ratios cost / yield.
 */
async function pairedWithYield(rounds, measure) {
  const costs = [];
  const ratios = [];
  for (let i = 0; i < rounds; i++) {
    const y = await yieldUs();
    const c = await measure(i);
    costs.push(c);
    ratios.push(c / y);
  }
  return { us: median(costs), inYields: median(ratios) };
}

function report(results, targets) {
  const rows = Object.entries(results).map(([metric, value]) => {
    const t = targets[metric];
    const verdict = t === undefined ? '' : (t.max !== undefined ? value <= t.max : value >= t.min) ? 'ok' : 'MISSED';
    const target = t === undefined ? '' : t.max !== undefined ? `<= ${t.max}` : `>= ${t.min}`;
    return { metric, value: Number(value.toFixed(value < 100 ? 2 : 0)), target, verdict };
  });
  console.table(rows);
  const file = path.join(__dirname, 'results.json');
  let previous = {};
  try {
    previous = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {}
  fs.writeFileSync(file, JSON.stringify({ ...previous, ...results }, null, 2) + '\n');
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
}

module.exports = { median, settled, heapUsed, medianOf, yieldUs, mainUs, pairedWithYield, report };
