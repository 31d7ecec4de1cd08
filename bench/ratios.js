'use strict';
/**
 * Speed as ratios inside one run (issue 14): the shared machine cannot hold absolute figures steady, but two
 * workloads measured minutes apart on it scale together. Costs are in yield round trips (`yield_us`: one
 * blocking host call); the VM is compared with unmodified Fengari.
 */
const ratio = (a, b) => (a !== undefined && b !== undefined ? a / b : undefined);

const targets = {
  echo_in_yields: { max: 6 },
  spawn_exit_in_yields: { max: 2.5 },
  ring_hop_in_yields: { max: 1.2 },
  vm_yield_speedup: { min: 2.0 },
  vm_compute_speedup: { min: 1.0 },
};

function derive(r) {
  const out = {
    echo_in_yields: ratio(r.echo_lua_us, r.yield_us),
    spawn_exit_in_yields: ratio(r.spawn_exit_us, r.yield_us),
    ring_hop_in_yields: ratio(r.ring_hop_us, r.yield_us),
    vm_yield_speedup: ratio(r.pristine_wrap_yield_us, r.yield_us),
    vm_compute_speedup: ratio(r.pristine_fib27_ms, r.fib27_ms),
    // For reference: how far the best systems are, in the same run.
    echo_vs_erlang: ratio(r.echo_lua_us, r.erlang_echo_us),
    spawn_exit_vs_erlang: ratio(r.spawn_exit_us, r.erlang_spawn_exit_us),
    yield_vs_native_lua: ratio(r.yield_us, r.native_lua_yield_us),
  };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined));
}

module.exports = { targets, derive };
