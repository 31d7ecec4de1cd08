/**
 * The `system` module (spec.md beside this file): memory, GC, runtime and OS process facts, hosts and their
 * processes, supervisor states, `exit`, `modules`, and the standalone node's answers for node/cluster/raft/lock.
 * Everything a process reads is a fresh copy (the runtime snapshot, src/hosts/snapshot.ts); nothing here lets
 * a process change another.
 */
import { availableParallelism, hostname } from 'os';
import { getHeapStatistics } from 'v8';
import { PerformanceObserver } from 'perf_hooks';
import { lua, pushNumber, toJsString, type LuaState } from '../../engine/lua';
import { refuse } from '../refuse';
import type { LuaVM } from '../../engine/vm';
import type { ServiceView, SystemAccess, SystemSnapshot } from '../../api/system';
import type { JSFunction } from 'fengari';
import { denied, securityGuard, type Guard } from '../guard';
import { luaModule, type LuaModule } from '../module';
import { functionTable, nestTable } from '../../engine/binding';
import type { Slot } from '../../engine/slots';
import { pushPlain } from '../../engine/plain';
import { settle } from '../settle';



/** A full GC stops every process; a script calling collect() in a loop gets at most one a second. */
const GC_MIN_INTERVAL_MS = 1000;
const NS_PER_MS = 1e6;

function installSystem(vm: LuaVM, access: SystemAccess | undefined, modules: readonly LuaModule<unknown>[], guard: Guard): void {
  /** `fn`, answering nil and Wippy's `permission denied: <action> on <resource>` when the caller may not. */
  const guarded = (action: string, resource: string, fn: JSFunction): JSFunction => (T) =>
    guard(T, action, resource) ? fn(T) : denied(T, vm, `permission denied: ${action} on ${resource}`, 'Invalid');
  /** A nested table whose every function reads `resource` (system.read). */
  const readGuarded = (resource: string, fns: Record<string, JSFunction>): Slot =>
    functionTable(vm, Object.fromEntries(Object.entries(fns).map(([k, fn]) => [k, guarded('system.read', resource, fn)])));
  // Knobs Go has and V8 does not: kept so a script reads back what it set, with no effect (spec.md).
  let gcPercent = 100;
  let maxProcs = availableParallelism();
  let lastGc = -Infinity;

  const push = (T: LuaState, value: unknown): number => {
    pushPlain(T, value, vm);
    return 1;
  };
  const pushTwo = (T: LuaState, value: unknown): number => {
    push(T, value);
    lua.lua_pushnil(T);
    return 2;
  };
  const num = (T: LuaState, n: number): number => {
    pushNumber(T, n);
    lua.lua_pushnil(T);
    return 2;
  };
  /**
   * `answer` with the node's snapshot; with several threads it is gathered from each, and the caller waits.
   * `answer` pushes on the state it is given (the caller's, or the one resumed once the threads answered).
   */
  const withSnapshot = (T: LuaState, what: string, answer: (R: LuaState, s: SystemSnapshot) => number): number => {
    if (access === undefined) return refuse(T, vm, `${what} not available`, 'Internal');
    return settle(vm, T, () => access.snapshot(), answer, (R, e) => refuse(R, vm, `${what}: ${e instanceof Error ? e.message : String(e)}`, 'Internal'));
  };
  const integerArg = (T: LuaState, i: number): number | null => (lua.lua_isinteger(T, i) ? lua.lua_tointeger(T, i) : null);

  const memoryStats = (): Record<string, number> => {
    const h = getHeapStatistics();
    const mem = process.memoryUsage();
    return {
      alloc: h.used_heap_size + h.external_memory,
      total_alloc: h.total_heap_size + h.external_memory,
      sys: mem.rss,
      heap_alloc: h.used_heap_size,
      heap_sys: h.total_heap_size,
      heap_idle: h.total_heap_size - h.used_heap_size,
      heap_in_use: h.used_heap_size,
      heap_released: Math.max(0, h.total_heap_size - h.total_physical_size),
      heap_objects: Math.max(1, Math.round(h.used_heap_size / ESTIMATED_OBJECT_BYTES)),
      stack_in_use: 0,
      stack_sys: 0,
      mspan_in_use: 0,
      mspan_sys: 0,
      num_gc: countGcs(),
      next_gc: h.total_heap_size,
    };
  };

  const serviceState = (v: ServiceView): Record<string, unknown> => ({
    id: v.id,
    status: v.state,
    desired: v.state === 'Stopping' || v.state === 'Stopped' ? 'Stopped' : 'Running',
    retry_count: v.retry_count,
    last_update: v.changed_at * NS_PER_MS,
    started_at: (v.started_at ?? 0) * NS_PER_MS,
    ...(v.next_retry_at === null ? {} : { details: `next retry in ${Math.max(0, v.next_retry_at - Date.now())}ms` }),
  });

  const table = (fns: Record<string, JSFunction>): Slot => functionTable(vm, fns);
  const api = table({
    exit: guarded('system.exit', '', (T) => {
      const code = lua.lua_isnoneornil(T, 1) ? 0 : integerArg(T, 1);
      if (code === null) return refuse(T, vm, 'exit code must be an integer', 'Invalid');
      if (access?.exit == null) return refuse(T, vm, 'system exit not available', 'Internal');
      const exit = access.exit;
      setImmediate(() => exit(code)); // after this process's turn: shutdown CANCELs it like every other
      lua.lua_pushboolean(T, true);
      lua.lua_pushnil(T);
      return 2;
    }),
    modules: guarded('system.read', 'modules', (T) => {
      const list = modules.filter((m) => !m.hidden).map((m) => ({ name: m.name, description: m.description, class: [...m.classes] }));
      return pushTwo(T, list);
    }),
  });

  nestTable(vm, api, 'memory', table({
    stats: guarded('system.read', 'memory', (T) => pushTwo(T, memoryStats())),
    allocated: guarded('system.read', 'memory', (T) => num(T, memoryStats().alloc)),
    heap_objects: guarded('system.read', 'memory', (T) => num(T, memoryStats().heap_objects)),
    set_limit: guarded('system.control', 'memory_limit', (T) => {
      const limit = integerArg(T, 1);
      if (limit === null) return refuse(T, vm, 'limit must be an integer', 'Invalid');
      if (limit < -1) return refuse(T, vm, 'limit must be -1 (unlimited) or a number of bytes', 'Invalid');
      return refuse(T, vm, 'the heap limit is fixed when wisp starts (node --max-old-space-size=MiB)', 'Invalid');
    }),
    get_limit: guarded('system.read', 'memory_limit', (T) => num(T, getHeapStatistics().heap_size_limit)),
  }), 'system.memory');

  nestTable(vm, api, 'gc', table({
    collect: guarded('system.gc', 'gc', (T) => {
      const now = performance.now();
      if (now - lastGc >= GC_MIN_INTERVAL_MS) {
        lastGc = now;
        vm.watchdog?.fullGc();
      }
      lua.lua_pushboolean(T, true);
      lua.lua_pushnil(T);
      return 2;
    }),
    set_percent: guarded('system.gc', 'gc_percent', (T) => {
      const percent = integerArg(T, 1);
      if (percent === null) return refuse(T, vm, 'percent must be an integer', 'Invalid');
      const previous = gcPercent;
      gcPercent = percent;
      return num(T, previous < 0 ? 100 : previous);
    }),
    get_percent: guarded('system.read', 'gc_percent', (T) => num(T, gcPercent < 0 ? 100 : gcPercent)),
  }), 'system.gc');

  nestTable(vm, api, 'runtime', table({
    goroutines: guarded('system.read', 'goroutines', (T) =>
      withSnapshot(T, 'runtime information', (R, s) => num(R, (s.threads?.length ?? 1) + s.processes.reduce((n, p) => n + p.coroutines, 0))),
    ),
    max_procs: guarded('system.read', 'gomaxprocs', (T) => {
      if (lua.lua_isnoneornil(T, 1)) return num(T, maxProcs);
      const n = integerArg(T, 1);
      if (n === null || n <= 0) return refuse(T, vm, 'max_procs must be > 0', 'Invalid');
      const previous = maxProcs;
      maxProcs = n;
      return num(T, previous);
    }),
    cpu_count: guarded('system.read', 'cpu', (T) => num(T, availableParallelism())),
  }), 'system.runtime');

  nestTable(vm, api, 'process', table({
    pid: guarded('system.read', 'pid', (T) => num(T, process.pid)),
    hostname: guarded('system.read', 'hostname', (T) => pushTwo(T, hostname())),
    cwd: guarded('system.read', 'cwd', (T) => pushTwo(T, process.cwd())),
  }), 'system.process');

  nestTable(vm, api, 'node', readGuarded('node', {
    id: (T) => withSnapshot(T, 'relay node', (R, s) => pushTwo(R, s.node.name ?? 'local')),
    addr: (T) => refuse(T, vm, 'address unavailable: this node is not in a cluster', 'Internal'),
    role: (T) => pushTwo(T, 'non-member'),
  }), 'system.node');

  nestTable(vm, api, 'cluster', readGuarded('cluster', {
    members: (T) => withSnapshot(T, 'cluster information', (R, s) => pushTwo(R, [{ id: s.node.name ?? 'local', is_local: true }])),
    leader: (T) => pushTwo(T, ''),
    size: (T) => num(T, 1),
  }), 'system.cluster');

  const noRaft: JSFunction = (T) => refuse(T, vm, 'raft not available: this node is not in a cluster', 'Internal');
  nestTable(vm, api, 'raft', table({ is_leader: noRaft, is_member: noRaft, role: noRaft, term: noRaft, commit_index: noRaft, stats: noRaft }), 'system.raft');
  const noLocks: JSFunction = (T) => refuse(T, vm, 'global registry unavailable: this node is not in a cluster', 'Internal');
  nestTable(vm, api, 'lock', table({ acquire: noLocks, release: noLocks }), 'system.lock');

  nestTable(vm, api, 'supervisor', readGuarded('supervisor', {
    state: (T) => {
      const id = lua.lua_type(T, 1) === lua.LUA_TSTRING ? toJsString(T, 1) : '';
      if (id === '') return refuse(T, vm, 'service ID required', 'Invalid');
      return withSnapshot(T, 'service info', (R, s) => {
        const v = s.services.find((x) => x.id === id);
        if (v === undefined) return refuse(R, vm, `get service state: service not found: ${id}`, 'Internal');
        return pushTwo(R, serviceState(v));
      });
    },
    states: (T) => withSnapshot(T, 'service info', (R, s) => pushTwo(R, s.services.map(serviceState))),
  }), 'system.supervisor');

  nestTable(vm, api, 'hosts', readGuarded('hosts', {
    list: (T) => withSnapshot(T, 'host inspector', (R, s) => pushTwo(R, hostRows(s))),
    processes: (T) => {
      const host = lua.lua_type(T, 1) === lua.LUA_TSTRING ? toJsString(T, 1) : '';
      if (host === '') return refuse(T, vm, 'host ID required', 'Invalid');
      return withSnapshot(T, 'host inspector', (R, s) => pushTwo(R, s.processes.filter((p) => p.host === host).map((p) => ({
        pid: p.pid,
        host: p.host,
        source: p.entry,
        state: p.state,
        steps: p.steps,
        started_at: (p.started_at ?? 0) * NS_PER_MS,
        ...(p.parent === null ? {} : { parent: p.parent }),
        ...(p.thread === undefined ? {} : { thread: p.thread }),
        stats: { mailbox: p.mailbox, coroutines: p.coroutines, run_ms: p.run_ms, names: p.names },
      }))));
    },
  }), 'system.hosts');

  vm.defineModule('system', api);
}

/**
 * The Lua hosts, one row each: with several threads every host exists on every thread, and its row adds up
 * the threads' (`workers`: how many threads run it).
 */
function hostRows(s: SystemSnapshot): Record<string, number | string>[] {
  const rows = new Map<string, { id: string; workers: number; processes: number; executed: number; stolen: number; queue_depth: number }>();
  for (const h of s.hosts) {
    if (h.kind === 'internal') continue;
    const row = rows.get(h.id);
    if (row === undefined) rows.set(h.id, { id: h.id, workers: 1, processes: h.processes, executed: h.executed, stolen: 0, queue_depth: h.queue_depth });
    else {
      row.workers++;
      row.processes += h.processes;
      row.executed += h.executed;
      row.queue_depth += h.queue_depth;
    }
  }
  return [...rows.values()];
}

/** V8 does not count heap objects; heap_objects is the heap in use over this (a trend, not a census). */
const ESTIMATED_OBJECT_BYTES = 64;

/** Completed GCs of this isolate, counted from the first `system.memory` call on (V8 keeps no total). */
let gcs = 0;
let counting = false;
function countGcs(): number {
  if (!counting) {
    counting = true;
    new PerformanceObserver((list) => (gcs += list.getEntries().length)).observe({ entryTypes: ['gc'] });
  }
  return gcs;
}

export const systemModule = luaModule({
  name: 'system',
  description: 'System runtime, process, and cluster (node/cluster/raft/lock) introspection',
  classes: ['process', 'nondeterministic'],
  install: (vm, ctx) => installSystem(vm, ctx.services.system, ctx.modules, securityGuard(vm, ctx.services)),
});
