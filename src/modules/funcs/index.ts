/**
 * The `funcs` module (spec.md beside this file): calls `function.lua` entries, each in a fresh process on the
 * runtime's function host, and `process.lua` entries on their `meta.default_host`, on the caller's behalf:
 * the callee inherits the caller's context and dies with the caller. `call` blocks only the calling
 * coroutine; `async` returns a Future whose channel carries the result once.
 */
import { lua, lauxlib, checkJsString, pushString, type LuaState } from '../../engine/lua';
import { argObject, objectSlot, pushObject, pushSlot, type LuaTable } from '../../engine/slots';
import { exportArgs, pushValue } from '../../engine/values';
import { pushError } from '../errors';
import { CallSettings, mergeContext, settingsMethods } from '../ctx';
import { FUNCTION_HOST } from '../../kernel/pid';
import { ErrorValue, LuaFloat, type Value } from '../../kernel/value';
import { splitId, type RegistryStore } from '../../registry';
import type { Outcome } from '../../kernel/message';
import type { Channel } from '../../engine/channel';
import type { ChannelApi } from '../channel';
import type { PayloadApi } from '../payload';
import type { LuaVM } from '../../engine/vm';
import type { Resource } from '../../engine/process';
import { after, type Timer } from '../../util/timer';
import type { Result, ContextValues } from '../../kernel/router';
import { retries, retryDelayMs, retryPolicy } from './retry';
import { parseDuration } from '../../lib/duration';
import type { JSFunction } from 'fengari';
import type { HoldsValues } from '../../engine/memory';
import { luaModule } from '../module';
import { securityGuard, type Guard } from '../guard';
import type { SecurityContext } from '../../lib/security';
import { channelModule } from '../channel';
import { payloadModule } from '../payload';
import { functionTable, metatable } from '../../engine/binding';

/** What a call carries besides its arguments (immutable: every `with_*` makes a new one). */
class Executor extends CallSettings {}

/**
 * One function call as another module makes it (contract instances do): what to call, with what, and how.
 */
export interface FunctionCall {
  /** The full id of a function.lua entry (or a process.lua with meta.default_host). */
  readonly target: string;
  readonly args: readonly Value[];
  /** Values overlaying the caller's context for the callee. */
  readonly context: ContextValues;
  /** `timeout` and `retry` are honoured; other options are kept and ignored. */
  readonly options: ContextValues;
  /** The callee's actor and scope (absent: the caller's, which functions inherit). */
  readonly security?: SecurityContext | null;
}

/** What the funcs module offers other modules: its calls, with its errors, futures and limits. */
export interface FuncsApi {
  /** Calls for the running process, blocking its coroutine; the result, or nil and the error. */
  call(T: LuaState, call: FunctionCall): number;
  /** Starts the call; a Future, or nil and the error when it cannot start. */
  async(T: LuaState, call: FunctionCall): number;
}

/**
 * A started call: how to cancel it and, once it ended, how. What it holds (an unread result) is memory of the
 * process that holds the Future, so the watchdog counts it there (HoldsValues).
 */
class Future implements HoldsValues {
  outcome: Outcome | null = null;
  canceled = false;
  channel: Channel | null = null;

  constructor(
    readonly label: string,
    readonly cancel: () => void,
  ) {}

  forEachValue(fn: (v: Value) => void): void {
    if (this.outcome === null) return;
    fn(this.outcome.value);
    if (this.outcome.error !== null) fn(this.outcome.error);
  }
}

/** A call in flight: its current attempt can be canceled; `settle` is called once with its outcome. */
interface Running {
  readonly label: string;
  cancel(): void;
}

/** The `timeout` option in ms (a number of ms, or a Go duration string), null when there is none. */
function timeoutOf(v: Value | undefined): number | null | ErrorValue {
  if (v === undefined || v === null) return null;
  const n = v instanceof LuaFloat ? v.value : v;
  if (typeof n === 'number' && n > 0 && Number.isFinite(n)) return n;
  if (typeof v === 'string') {
    try {
      const ns = parseDuration(v);
      if (ns > 0) return ns / 1e6;
    } catch {
      // reported below
    }
  }
  return new ErrorValue('option timeout must be a positive number of milliseconds or a duration string', 'Invalid', false);
}

const CANCELED = (): ErrorValue => new ErrorValue('call canceled', 'Canceled', false);

function installFuncs(vm: LuaVM, channels: ChannelApi, payloads: PayloadApi, store: RegistryStore | undefined, guard: Guard): FuncsApi {
  const sched = vm.sched;
  let executorMeta: LuaTable;
  let futureMeta: LuaTable;

  /** The host to run `target` on, or why it cannot be called. */
  const hostFor = (target: string): string | ErrorValue => {
    if (target === '') return new ErrorValue('function target must not be empty', 'Invalid', false);
    const [ns, name] = splitId(target);
    if (ns === '' || name === '') return new ErrorValue(`invalid function target "${target}": expected namespace:name`, 'Invalid', false);
    const registry = store?.current;
    const entry = registry?.get(target);
    if (entry === undefined) {
      const record = registry?.record(target);
      if (record !== undefined) return new ErrorValue(`entry ${target} has kind ${record.kind}, which wisp cannot call`, 'Invalid', false);
      return new ErrorValue(`function not found: ${target}`, 'NotFound', false);
    }
    if (entry.kind === 'function.lua') return FUNCTION_HOST;
    if (entry.kind === 'process.lua') {
      const host = entry.meta.default_host;
      if (typeof host === 'string' && host !== '') return host;
      return new ErrorValue(`process ${target} has no meta.default_host to run on`, 'Invalid', false);
    }
    return new ErrorValue(`entry ${target} is a ${entry.kind}, not a function.lua or process.lua`, 'Invalid', false);
  };

  /**
   * Runs `call` for the running process: the callee is spawned (again after a retryable failure, as the
   * `retry` option allows), terminated if the caller ends first or the `timeout` option runs out, and `settle`
   * gets the call's outcome once.
   */
  const launch = (T: LuaState, call: FunctionCall, settle: (outcome: Outcome) => void): Running | ErrorValue => {
    const proc = vm.currentProcess(T);
    const link = proc.kernel;
    if (link === null) return new ErrorValue('funcs needs a running node', 'Internal', false);
    const { target, args } = call;
    const host = hostFor(target);
    if (host instanceof ErrorValue) return host;
    const timeoutMs = timeoutOf(call.options.get('timeout'));
    if (timeoutMs instanceof ErrorValue) return timeoutMs;
    const policy = retryPolicy(call.options);
    const context = mergeContext(proc.context, call.context);
    const security = call.security === undefined ? proc.security : call.security;
    let pid: string | null = null;
    let attempts = 0;
    let settled = false;
    let pause: Timer | null = null;
    const spawn = (): Result<string> => link.router.spawn({ entry: target, host, args, parent: link.pid, monitor: false, link: false, context, security });
    const finish = (outcome: Outcome): void => {
      if (settled) return;
      settled = true;
      timer?.cancel();
      pause?.cancel();
      proc.disown(onBehalf);
      if (pid !== null) link.router.terminate(link.pid, pid);
      settle(outcome);
    };
    const watch = (child: string): void => {
      pid = child;
      attempts++;
      link.router.onExit(child, (exit) => {
        if (settled || child !== pid) return;
        pid = null;
        if (exit.error === null || policy === null || !retries(policy, exit.error, attempts)) return finish(exit);
        pause = after(retryDelayMs(policy, attempts), () => {
          pause = null;
          if (settled) return;
          const r = spawn();
          if (r.ok) watch(r.value);
          else finish({ value: null, error: r.error });
        });
      });
    };
    const first = spawn();
    if (!first.ok) return first.error;
    const onBehalf: Resource = { dispose: () => finish({ value: null, error: CANCELED() }) };
    proc.own(onBehalf);
    const timer = timeoutMs === null ? null : after(timeoutMs, () => {
      finish({ value: null, error: new ErrorValue(`call to ${target} timed out after ${timeoutMs} ms`, 'Timeout', true) });
    });
    watch(first.value);
    return { label: first.value, cancel: () => finish({ value: null, error: CANCELED() }) };
  };

  const pushOutcome = (T: LuaState, outcome: Outcome): number => {
    if (outcome.error !== null) return lua.lua_pushnil(T), pushError(T, vm, outcome.error), 2;
    pushValue(T, outcome.value, vm);
    return 1;
  };

  const call = (T: LuaState, request: FunctionCall): number => {
    const task = sched.current;
    let outcome: Outcome | null = null;
    const running = launch(T, request, (o) => {
      outcome = o;
      if (task !== null) sched.wake(task, (R) => pushOutcome(R, o));
    });
    if (running instanceof ErrorValue) return lua.lua_pushnil(T), pushError(T, vm, running), 2;
    if (outcome !== null) return pushOutcome(T, outcome);
    return sched.block(T);
  };

  /** The channel's one value: a payload on success, the error object on failure; then it is closed. */
  const deliver = (f: Future): void => {
    const ch = f.channel;
    const outcome = f.outcome;
    if (ch === null || outcome === null) return;
    ch.offer(outcome.error !== null ? objectSlot(vm.L, outcome.error, vm.errorMeta) : payloads.payloadSlot(outcome.value));
    ch.close();
  };

  const async = (T: LuaState, request: FunctionCall): number => {
    let future: Future | null = null;
    let early: Outcome | null = null;
    const running = launch(T, request, (outcome) => {
      if (future === null) return void (early = outcome);
      future.outcome = future.canceled ? { value: null, error: CANCELED() } : outcome;
      deliver(future);
    });
    if (running instanceof ErrorValue) return lua.lua_pushnil(T), pushError(T, vm, running), 2;
    const made = new Future(running.label, () => {
      made.canceled = true;
      running.cancel();
    });
    made.outcome = early;
    future = made;
    pushObject(T, made, futureMeta);
    return 1;
  };

  /** A call from Lua: the target at `targetAt`, the arguments after it. */
  const fromStack = (T: LuaState, exec: Executor, targetAt: number): FunctionCall | ErrorValue => {
    const target = checkJsString(T, targetAt);
    if (!guard(T, 'funcs.call', target)) return new ErrorValue(`not allowed: ${target}`, 'PermissionDenied', false);
    const args = exportArgs(T, targetAt + 1);
    if (args instanceof ErrorValue) return args;
    const security = exec.securityFor(vm.currentProcess(T).security);
    return { target, args, context: exec.context, options: exec.options, security };
  };
  const callFrom = (T: LuaState, exec: Executor, targetAt: number): number => {
    const request = fromStack(T, exec, targetAt);
    return request instanceof ErrorValue ? (lua.lua_pushnil(T), pushError(T, vm, request), 2) : call(T, request);
  };
  const asyncFrom = (T: LuaState, exec: Executor, targetAt: number): number => {
    const request = fromStack(T, exec, targetAt);
    return request instanceof ErrorValue ? (lua.lua_pushnil(T), pushError(T, vm, request), 2) : async(T, request);
  };

  const checkExecutor = (T: LuaState): Executor => {
    const e = argObject(T, 1);
    return e instanceof Executor ? e : lauxlib.luaL_argerror(T, 1, 'funcs.Executor expected');
  };
  const checkFuture = (T: LuaState): Future => {
    const f = argObject(T, 1);
    return f instanceof Future ? f : lauxlib.luaL_argerror(T, 1, 'Future expected');
  };
  const pushExecutor = (T: LuaState, e: Executor): number => (pushObject(T, e, executorMeta), 1);

  executorMeta = metatable(vm,
    'funcs.Executor',
    {
      ...settingsMethods(checkExecutor, (_, context, options) => new Executor(context, options), pushExecutor, { guard, vm, prefix: 'funcs', raises: false }),
      call: (T) => callFrom(T, checkExecutor(T), 2),
      async: (T) => asyncFrom(T, checkExecutor(T), 2),
    },
    { __tostring: (T) => (checkExecutor(T), pushString(T, 'funcs.Executor'), 1) },
  );

  const response: JSFunction = (T) => {
    const f = checkFuture(T);
    if (f.channel === null) {
      f.channel = channels.create(1);
      deliver(f);
    }
    pushSlot(T, f.channel.identity as never);
    return 1;
  };
  futureMeta = metatable(vm,
    'Future',
    {
      response,
      channel: response,
      is_complete: (T) => (lua.lua_pushboolean(T, checkFuture(T).outcome !== null), 1),
      is_canceled: (T) => (lua.lua_pushboolean(T, checkFuture(T).canceled), 1),
      result: (T) => {
        const f = checkFuture(T);
        if (f.outcome === null) return lua.lua_pushnil(T), lua.lua_pushnil(T), 2;
        if (f.outcome.error !== null) return pushOutcome(T, f.outcome);
        pushSlot(T, payloads.payloadSlot(f.outcome.value));
        lua.lua_pushnil(T);
        return 2;
      },
      error: (T) => {
        const f = checkFuture(T);
        const error = f.outcome?.error ?? null;
        if (error === null) return lua.lua_pushnil(T), lua.lua_pushboolean(T, false), 2;
        pushError(T, vm, error);
        lua.lua_pushboolean(T, true);
        return 2;
      },
      cancel: (T) => {
        const f = checkFuture(T);
        if (f.outcome === null && !f.canceled) f.cancel();
        return 0;
      },
    },
    { __tostring: (T) => (pushString(T, `Future{${checkFuture(T).label}}`), 1) },
  );

  const plain = new Executor();
  vm.defineModule(
    'funcs',
    functionTable(vm, {
      call: (T) => callFrom(T, plain, 1),
      async: (T) => asyncFrom(T, plain, 1),
      new: (T) => pushExecutor(T, new Executor()),
    }),
  );
  return { call, async };
}

export const funcsModule = luaModule<FuncsApi>({
  name: 'funcs',
  description: 'Function calls',
  classes: ['process'],
  needs: [channelModule, payloadModule],
  install: (vm, ctx) => installFuncs(vm, ctx.api(channelModule), ctx.api(payloadModule), ctx.services.registry, securityGuard(vm, ctx.services)),
});
