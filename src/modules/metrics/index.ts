/**
 * The `metrics` module (spec.md beside this file): counters, gauges and histograms recorded in the runtime's
 * collector (src/services/metrics/collector.ts), which the Prometheus exporter serves.
 */
import { lua, lauxlib, toJsString, type LuaState } from '../../engine/lua';
import { captureFrames, pushError } from '../errors';
import { ErrorValue } from '../../kernel/value';
import type { MetricLabels, MetricsCollector } from '../../api/metrics';
import type { LuaVM } from '../../engine/vm';
import type { JSFunction } from 'fengari';
import { luaModule } from '../module';
import { functionTable } from '../../engine/binding';

function installMetrics(vm: LuaVM, collector: MetricsCollector | undefined): void {
  /** String keys with string values; anything else is skipped, as in Wippy. */
  const labelsAt = (T: LuaState, idx: number): MetricLabels => {
    const labels = new Map<string, string>();
    if (lua.lua_type(T, idx) !== lua.LUA_TTABLE) return labels;
    lua.lua_pushnil(T);
    while (lua.lua_next(T, idx)) {
      if (lua.lua_type(T, -2) === lua.LUA_TSTRING && lua.lua_type(T, -1) === lua.LUA_TSTRING) labels.set(toJsString(T, -2), toJsString(T, -1));
      lua.lua_settop(T, -2);
    }
    return labels;
  };

  /** A recording function: `name`, then a value when `valued`, then labels; answers `true, nil`. */
  const recorder = (valued: boolean, record: (c: MetricsCollector, name: string, value: number, labels: MetricLabels) => void): JSFunction => (T) => {
    if (collector === undefined) {
      lua.lua_pushnil(T);
      pushError(T, vm, new ErrorValue('metrics collector not available', 'Internal', false, null, null, { frames: captureFrames(T) }));
      return 2;
    }
    lauxlib.luaL_checkstring(T, 1);
    const name = toJsString(T, 1);
    const value = valued ? lauxlib.luaL_checknumber(T, 2) : 1;
    record(collector, name, value, labelsAt(T, valued ? 3 : 2));
    lua.lua_pushboolean(T, true);
    lua.lua_pushnil(T);
    return 2;
  };

  vm.defineModule(
    'metrics',
    functionTable(vm, {
      counter_inc: recorder(false, (c, n, _v, l) => c.counterAdd(n, 1, l)),
      counter_add: recorder(true, (c, n, v, l) => c.counterAdd(n, v, l)),
      gauge_set: recorder(true, (c, n, v, l) => c.gaugeSet(n, v, l)),
      gauge_inc: recorder(false, (c, n, _v, l) => c.gaugeAdd(n, 1, l)),
      gauge_dec: recorder(false, (c, n, _v, l) => c.gaugeAdd(n, -1, l)),
      histogram: recorder(true, (c, n, v, l) => c.histogramObserve(n, v, l)),
    }),
  );
}

export const metricsModule = luaModule({
  name: 'metrics',
  description: 'Counters, gauges, and histograms',
  classes: ['io', 'nondeterministic'],
  install: (vm, ctx) => installMetrics(vm, ctx.services.metrics),
});
