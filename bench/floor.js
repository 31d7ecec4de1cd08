'use strict';
/**
 * The floor of the in-run ratios (issue 14): the kernel benchmarks' own scripts (the tutorial relay and worker,
 * bench.lua's spawner and ring_node, the Lua echo client) on a minimal actor runtime written in Lua
 * (bench/floor/runtime.lua), in the unit of that runtime's own yield (time.sleep(0) through its Lua scheduler).
 * What a ratio is here is what these scripts cost when the runtime around them costs almost nothing: on our
 * Fengari, on the pristine release, and on native Lua 5.4 when `lua5.4` is installed. Reference rows only.
 */
const path = require('path');
const { execFileSync } = require('child_process');
const { floorState, ROOT } = require('./floor/fengari');

const FENGARI = { rounds: 3, yield_n: 30000, echo_n: 3000, spawn_n: 5000, ring_size: 1000, ring_hops: 50000 };
const NATIVE = { rounds: 5, yield_n: 500000, echo_n: 50000, spawn_n: 50000, ring_size: 1000, ring_hops: 500000 };
const ORDER = ['rounds', 'yield_n', 'echo_n', 'spawn_n', 'ring_size', 'ring_hops'];

/**
 * The rows of one VM: its floor yield in µs and the three workloads in its yields. (Native Lua's yield row is
 * native_lua_floor_yield_us: native_lua_yield_us, from bench/vm.js, is a bare coroutine.wrap loop.)
 */
function rows(prefix, yieldRow, r) {
  return {
    [yieldRow]: r.yield_us,
    [`${prefix}_echo_in_yields`]: r.echo_in_yields,
    [`${prefix}_spawn_exit_in_yields`]: r.spawn_exit_in_yields,
    [`${prefix}_ring_hop_in_yields`]: r.ring_hop_in_yields,
  };
}

function native() {
  try {
    execFileSync('sh', ['-c', 'command -v lua5.4'], { stdio: 'ignore' });
  } catch {
    return {};
  }
  const args = [path.join(__dirname, 'floor', 'native.lua'), ROOT, ...ORDER.map((k) => String(NATIVE[k]))];
  const out = execFileSync('lua5.4', args, { encoding: 'utf8', timeout: 120000 });
  const r = Object.fromEntries(out.trim().split('\n').map((line) => line.split('\t')).map(([k, v]) => [k, Number(v)]));
  return rows('native_lua', 'native_lua_floor_yield_us', r);
}

module.exports = {
  targets: {},
  async run() {
    const ours = floorState(require('fengari')).call('measure', FENGARI);
    const pristine = floorState(require('fengari-pristine')).call('measure', FENGARI);
    return {
      ...rows('floor', 'floor_yield_us', ours),
      floor_echo_us: ours.echo_us,
      floor_spawn_exit_us: ours.spawn_exit_us,
      floor_ring_hop_us: ours.ring_hop_us,
      ...rows('pristine_floor', 'pristine_floor_yield_us', pristine),
      ...native(),
    };
  },
};
