'use strict';
/**
 * Speed as ratios inside one run (issue 14): the shared machine cannot hold absolute figures steady, so every
 * ratio with a target is measured in pairs, round by round (bench/harness.js pairedWithYield, bench/vm.js): a
 * workload in yield round trips (`*_in_yields`), our VM against unmodified Fengari (`vm_*_speedup`). The
 * reference rows (Erlang, native Lua) are divided here, from the run's medians.
 */
const ratio = (a, b) => (a !== undefined && b !== undefined ? a / b : undefined);

const targets = {
  echo_in_yields: { max: 6 },
  spawn_exit_in_yields: { max: 2.5 },
  ring_hop_in_yields: { max: 1.2 },
  vm_yield_speedup: { min: 2.0 },
  vm_compute_speedup: { min: 1.0 },
  // Issue 27's single-thread bounds, each against its reference measured in the same run (bench/vm.js; the fib
  // ratio is made there, round by round).
  echo_vs_erlang: { max: 5 },
  spawn_exit_vs_erlang: { max: 5 },
  ring_hop_vs_erlang: { max: 7 },
  fib_vs_native_lua: { max: 8 },
};

function derive(r) {
  const out = {
    // For reference: how far the best systems are, in the same run.
    echo_vs_erlang: ratio(r.echo_lua_us, r.erlang_echo_us),
    spawn_exit_vs_erlang: ratio(r.spawn_exit_us, r.erlang_spawn_exit_us),
    ring_hop_vs_erlang: ratio(r.ring_hop_us, r.erlang_ring_hop_us),
    records_vs_native_lua: ratio(r.records_ms, r.native_lua_records_ms),
    yield_vs_native_lua: ratio(r.yield_us, r.native_lua_yield_us),
    // Each ratio against its floor on native Lua 5.4 (bench/floor.js: the same scripts on a Lua runtime that costs
    // almost nothing, in that runtime's own yields, a coroutine switch in C): how many of its own yields wisp
    // spends on a flow for each one the reference VM would spend with nothing around the scripts.
    echo_vs_native_floor: ratio(r.echo_in_yields, r.native_lua_echo_in_yields),
    spawn_exit_vs_native_floor: ratio(r.spawn_exit_in_yields, r.native_lua_spawn_exit_in_yields),
    ring_hop_vs_native_floor: ratio(r.ring_hop_in_yields, r.native_lua_ring_hop_in_yields),
    // A queue round trip (publish, a consumer's function process, ack) against the kernel's echo round trip.
    queue_roundtrip_vs_echo: ratio(r.queue_roundtrip_per_s, r.echo_per_s),
  };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined));
}

module.exports = { targets, derive };
