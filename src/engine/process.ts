/**
 * A Lua process: a set of tasks (its main function and every `coroutine.spawn`ed function) sharing one globals
 * table in a VM. It ends when main returns or any task fails; then every task dies and every resource it owns
 * (timers, tickers, subscriptions) is released.
 */
import { lua, lauxlib, decodeUtf8, encode, toJsString, type LuaState } from './lua';
import { objectAt, popSlot, pushSlot, type Slot } from './slots';
import { Task, type TaskOwner } from './scheduler';
import { exportValue, ValueCopyError } from './values';
import { RESOURCE_BYTES, type HoldsValues, type MemoryRoot } from './memory';
import { ErrorValue, type Value } from '../kernel/value';
import { TERMINATION_REASON } from '../kernel/errors';
import type { Outcome } from '../kernel/message';
import type { LuaVM } from './vm';
import type { CompiledChunk } from './loader';
import { NO_CONTEXT, type ContextValues, type Router } from '../kernel/router';
import { DrainQueue } from '../util/drain-queue';
import type { SecurityContext } from '../lib/security';

export interface ProcessSpec {
  /** The entry id: chunk name in tracebacks, named in errors. */
  readonly entryId: string;
  readonly chunk: CompiledChunk;
  readonly method: string;
  /** Names `require` may load (the entry's `modules:`). */
  readonly modules: ReadonlySet<string>;
  /** `imports:` aliases → compiled library chunks. */
  readonly imports: ReadonlyMap<string, CompiledChunk>;
}

export type ProcessActivity = 'running' | 'runnable' | 'waiting';

/** Something a process owns that must be released when it ends. */
export interface Resource {
  dispose(): void;
}

/** What connects a process to the rest of the world (set by the host that runs it). */
export interface KernelLink {
  readonly pid: string;
  readonly host: string;
  readonly router: Router;
}

export class LuaProcess implements TaskOwner {
  /** Null for a process run outside any node (engine tests and benchmarks). */
  kernel: KernelLink | null = null;
  /** What `ctx` reads, and what it passes on to the processes it spawns and the functions it calls. */
  context: ContextValues = NO_CONTEXT;
  /** Who it acts as and what it may do (`security`); inherited by what it spawns and calls unless replaced. */
  security: SecurityContext | null = null;
  readonly env: Slot;
  /** `imports:` being loaded right now, in the order their `require`s began (a cycle is named from it). */
  loading: Map<string, true> | null = null;
  /** Modules already required from `imports:` (run once per process); made on the first. */
  private loaded: Map<string, Slot> | null = null;
  private main: Task | null = null;
  /** Its `coroutine.spawn`ed tasks and the resources it owns; most processes have none, so made on the first. */
  private spawned: Set<Task> | null = null;
  private resources: Set<Resource> | null = null;
  private result: Outcome | null = null;
  /** Wall-clock start (ms since the epoch), resumes and the time they took: what the live view shows. */
  readonly startedAt = Date.now();
  steps = 0;
  runMs = 0;

  constructor(
    readonly vm: LuaVM,
    readonly spec: ProcessSpec,
    /** How logs and errors name this process (its PID once it has one). */
    public name: string,
    private readonly onExit: (result: Outcome) => void,
  ) {
    this.env = vm.newEnv();
    vm.watchdog?.track(this);
  }

  get alive(): boolean {
    return this.result === null;
  }

  /** Starts main with arguments pushed by `pushArgs` (which returns how many it pushed). */
  start(pushArgs: (T: LuaState) => number = () => 0): void {
    const L = this.vm.L;
    const T = lua.lua_newthread(L);
    lua.lua_settop(L, -2);
    pushSlot(T, this.vm.bootFn);
    pushSlot(T, this.spec.chunk.fn);
    pushSlot(T, this.env);
    pushSlot(T, this.vm.key(this.spec.method));
    const task = new Task(T, this);
    task.startArgs = 3 + pushArgs(T);
    this.main = task;
    this.vm.sched.enqueue(task);
  }

  /** `coroutine.spawn(fn, ...)`: the child is queued first, then the caller, so the child runs first. */
  spawnCoroutine(T: LuaState): number {
    lauxlib.luaL_checktype(T, 1, lua.LUA_TFUNCTION);
    const n = lua.lua_gettop(T);
    const child = lua.lua_newthread(T);
    const threadSlot = popSlot(T);
    lua.lua_xmove(T, child, n);
    const task = new Task(child, this);
    task.startArgs = n - 1;
    (this.spawned ??= new Set()).add(task);
    this.vm.sched.enqueue(task);
    return this.vm.sched.reschedule(T, [threadSlot]);
  }

  /** The thread of its main function (null before start and after the end). */
  get mainThread(): LuaState | null {
    return this.main?.thread ?? null;
  }

  /** A module this process has required from its `imports:`. */
  loadedModule(name: string): Slot | undefined {
    return this.loaded?.get(name);
  }

  storeModule(name: string, module: Slot): void {
    (this.loaded ??= new Map()).set(name, module);
  }

  /** Its main task and every live `coroutine.spawn`ed one. */
  private *tasks(): Generator<Task> {
    if (this.main !== null) yield this.main;
    if (this.spawned !== null) yield* this.spawned;
  }

  /** What this process holds, for the memory watchdog: its globals, its threads, the modules it required. */
  memoryRoots(): MemoryRoot[] {
    const roots: MemoryRoot[] = [this.env];
    for (const task of this.tasks()) roots.push(task.thread as unknown as MemoryRoot);
    for (const slot of this.loaded?.values() ?? []) roots.push(slot);
    // What it owns lives in the runtime (timers, subscriptions): a loop of `time.after("1h")` holds a million.
    const resources = this.resources;
    if (resources !== null && resources.size > 0) {
      roots.push({
        ownBytes: RESOURCE_BYTES * resources.size,
        forEachValue: (fn) => {
          for (const r of resources) if (isHolder(r)) r.forEachValue(fn);
        },
      });
    }
    return roots;
  }

  /**
   * Where each of its threads is now (the live view's "current Lua stack"): the frames of its main function and
   * of its `coroutine.spawn`ed ones, innermost first, at most MAX_STACKS threads of MAX_FRAMES frames.
   */
  stacks(): ThreadStack[] {
    const out: ThreadStack[] = [];
    let n = 0;
    for (const task of this.tasks()) {
      if (out.length >= MAX_STACKS) break;
      out.push({ thread: task === this.main ? 'main' : `coroutine ${++n}`, state: task.state, frames: framesOf(task.thread) });
    }
    return out;
  }

  /** Lua threads it has: its main function and every live `coroutine.spawn`ed one. */
  get coroutines(): number {
    return (this.main === null ? 0 : 1) + (this.spawned?.size ?? 0);
  }

  /** running (on the thread now), runnable (queued) or waiting (every task blocked on a message, timer, ...). */
  get activity(): ProcessActivity {
    let queued = false;
    for (const task of this.tasks()) {
      if (task.state === 'running') return 'running';
      if (task.state === 'queued') queued = true;
    }
    return queued ? 'runnable' : 'waiting';
  }

  taskRan(ms: number): void {
    this.steps++;
    this.runMs += ms;
  }

  own(resource: Resource): void {
    (this.resources ??= new Set()).add(resource);
  }

  disown(resource: Resource): void {
    this.resources?.delete(resource);
  }

  /** Ends the process at once (its tasks never run again). */
  terminate(reason = TERMINATION_REASON): void {
    this.finish({ value: null, error: new ErrorValue(reason, 'Internal') });
  }

  taskReturned(task: Task): void {
    if (task !== this.main) {
      this.spawned?.delete(task);
      return;
    }
    const T = task.thread;
    const n = lua.lua_gettop(T);
    const failure = n >= 2 ? errorOf(T, 2) : null;
    if (failure !== null) return this.finish({ value: null, error: failure });
    let value: Value = null;
    try {
      if (n >= 1) value = exportValue(T, 1);
    } catch (e) {
      if (!(e instanceof ValueCopyError)) throw e;
      // The exit is still reported (monitors and links hear of it), with an error in place of the result.
      return this.finish({ value: null, error: new ErrorValue(`the result could not be copied: ${e.message}`, 'Invalid') });
    }
    this.finish({ value, error: null });
  }

  taskFailed(task: Task): void {
    const T = task.thread;
    const L = this.vm.L;
    const raisedString = task.killed === null && lua.lua_type(T, -1) === lua.LUA_TSTRING;
    const error =
      task.killed !== null
        ? new ErrorValue(task.killed, 'Internal')
        : (errorOf(T, -1) ?? new ErrorValue(this.vm.describeError(task)));
    // The traceback repeats the message: a huge one is cut there (it stays whole in the error itself).
    const shown = error.message.length > TRACEBACK_MESSAGE ? `${error.message.slice(0, TRACEBACK_MESSAGE)}…` : error.message;
    lauxlib.luaL_traceback(L, T, encode(shown), 0);
    const stack = toJsString(L, -1);
    lua.lua_settop(L, 0);
    const message = raisedString ? located(error.message, stack) : error.message;
    this.finish({ value: null, error: new ErrorValue(message, error.kind, error.retryable, error.details, stack) });
  }

  taskCrashed(_task: Task, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    const stack = error instanceof Error ? (error.stack ?? null) : null;
    this.finish({ value: null, error: new ErrorValue(`internal error: ${message}`, 'Internal', null, null, stack) });
  }

  /**
   * Ends the process now; what follows (releasing its resources, reporting its exit) runs through `ending`,
   * since releasing a resource may end another process (a `funcs.call` callee), whose end may end the next:
   * a chain of any length is a loop, never JS recursion.
   */
  private finish(result: Outcome): void {
    if (this.result !== null) return;
    this.result = result;
    this.vm.watchdog?.untrack(this);
    // Not through tasks(): a generator object for every process that ends.
    if (this.main !== null) this.vm.sched.cancel(this.main);
    if (this.spawned !== null) for (const task of this.spawned) this.vm.sched.cancel(task);
    this.spawned = null;
    this.main = null;
    ending.run(this);
  }

  /** Releases what it owned and reports its exit (once, from the `ending` loop). */
  wrapUp(): void {
    const resources = this.resources;
    this.resources = null;
    let failure: unknown = null;
    for (const resource of resources ?? []) {
      try {
        resource.dispose();
      } catch (e) {
        failure ??= e; // one resource's bug must not keep the others, or the exit, from being released
      }
    }
    this.onExit(this.result as Outcome);
    if (failure !== null) throw failure;
  }
}

/** Processes that have ended and wait to be wrapped up, in order (an end caused while wrapping up only queues). */
const ending = new DrainQueue<LuaProcess>((proc) => proc.wrapUp());

const isHolder = (r: Resource): r is Resource & HoldsValues => typeof (r as Partial<HoldsValues>).forEachValue === 'function';

/** How much of an error message a traceback repeats. */
const TRACEBACK_MESSAGE = 64 * 1024;

/**
 * A message raised by a library function without a position (Fengari's own "attempt to index a nil value"
 * from an iterator) gets the position of the Lua code that called it, as a Lua-raised error would have.
 * `error(msg, 0)` keeps its message: leaving the position out was the caller's choice.
 */
function located(message: string, stack: string): string {
  if (/^[^\s:]+(:[^\s:]+)*:\d+: /.test(message)) return message;
  const frames = stack.split('\n').slice(1).map((line) => line.trim());
  const first = frames.findIndex((f) => f !== 'stack traceback:');
  if (first < 0 || !frames[first].startsWith('[JS]:') || frames[first] === "[JS]: in function 'error'") return message;
  // The user's code that called the library: not a host function, not the prelude's Lua (require).
  const caller = frames.slice(first).find((f) => !f.startsWith('[JS]:') && !f.startsWith('wisp:') && /^\S+:\d+:/.test(f));
  return caller === undefined ? message : `${caller.slice(0, caller.indexOf(': '))}: ${message}`;
}

/** The error a value stands for (a string message or an error object), or null when it is no error. */
function errorOf(T: LuaState, idx: number): ErrorValue | null {
  const type = lua.lua_type(T, idx);
  if (type === lua.LUA_TSTRING) return new ErrorValue(toJsString(T, idx));
  if (type === lua.LUA_TUSERDATA) {
    const obj = objectAt(T, idx);
    if (obj instanceof ErrorValue) return obj;
  }
  return null;
}

/** One thread's place: innermost frame first. */
export interface ThreadStack {
  readonly thread: string;
  readonly state: string;
  readonly frames: { readonly source: string; readonly line: number; readonly name: string }[];
}

const MAX_STACKS = 16;
const MAX_FRAMES = 32;

/** The Lua frames of a thread that is parked (or this one, when a host function asks). */
function framesOf(T: LuaState): ThreadStack['frames'] {
  const frames: { source: string; line: number; name: string }[] = [];
  const ar = new lua.lua_Debug();
  for (let level = 0; frames.length < MAX_FRAMES && lua.lua_getstack(T, level, ar); level++) {
    lua.lua_getinfo(T, 'nSl', ar);
    if (ar.currentline < 0) continue; // a host function: where it waits is the Lua line that called it
    frames.push({
      source: ar.short_src === null ? '?' : decodeUtf8(ar.short_src),
      line: ar.currentline,
      name: ar.name === null ? '' : decodeUtf8(ar.name),
    });
  }
  return frames;
}
