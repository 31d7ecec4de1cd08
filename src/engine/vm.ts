/**
 * One Lua state: the shared sandbox, its chunks and `require` (loader.ts), preemption, and the scheduler of its
 * processes; modules build their tables with binding.ts. A host owns one VM; every process of the host is a Lua
 * thread in it with its own globals table.
 */
import { lua, lauxlib, lualib, luaType, byteString, encode, fromByteString, joinArgs, pushString, toJsString, raise,
  type LuaSource, type LuaState } from './lua';
import { popSlot, pushSlot, slotAt, tableAtTop, type LuaTable, type Slot } from './slots';
import { Scheduler, type Task } from './scheduler';
import { RunawayGuard } from './runaway';
import { PRELUDE } from './prelude';
import { LuaProcess } from './process';
import type { ValueContext } from './values';
import type { JSFunction } from 'fengari';
import { eraseTypes } from '../dialect/erase-types';
import type { MemoryWatchdog } from './watchdog';
import { ChunkCache, ModuleTable, type CompiledChunk } from './loader';
import { functionTable, readonlyView, setField, type Binder } from './binding';

export interface VmOptions {
  /** How long a thread may run before it is preempted (checked every `checkEvery` instructions). */
  sliceMs?: number;
  /** Instructions between two checks of the time slice. */
  checkEvery?: number;
  /** CPU a thread may use where it cannot be preempted before its process is killed (runaway.ts). */
  hardSliceMs?: number;
  /** How long one scheduler batch may run before the event loop gets its turn. */
  batchMs?: number;
  /** Source transformation applied to every chunk before compiling; default: Luau type-annotation erasure. */
  eraseTypes?: (source: string, progress?: (() => void) | null) => string;
  /** Where global `print` goes (it gets the calling thread, to report the caller's location). */
  print?: PrintSink;
}

export type PrintSink = (proc: LuaProcess, text: string, T: LuaState) => void;

export class LuaVM implements ValueContext, Binder {
  readonly L: LuaState;
  readonly sched: Scheduler;
  /** Metatable of error userdata (set by the errors module). */
  errorMeta: LuaTable;
  private readonly requestTag = { wisp: 'host request' };
  private readonly preempted = new WeakSet<LuaState>(); // weak: a failed process's coroutines must not stay reachable
  private readonly modules = new ModuleTable((name) => this.key(name));
  private readonly keys = new Map<string, Slot>();
  private readonly base: Slot;
  private readonly envMeta: Slot;
  readonly readonlyFn: Slot;
  readonly bootFn: Slot;
  private readonly tostringFn: Slot;
  /** The memory watchdog watching this VM (it sets itself here when attached), which its processes report to. */
  watchdog: MemoryWatchdog | null = null;
  /** Called first at every count-hook tick: the memory watchdog (src/engine/watchdog.ts). */
  hookTick: ((T: LuaState) => void) | null = null;
  private readonly eraseTypes: (source: string, progress?: (() => void) | null) => string;
  private readonly chunks: ChunkCache;
  private readonly sliceMs: number;
  private readonly guard: RunawayGuard;
  private printSink: PrintSink;
  /** The VM's creator chose where `print` goes (the logger module leaves it there). */
  readonly printChosen: boolean;

  constructor(options: VmOptions = {}) {
    this.eraseTypes = options.eraseTypes ?? eraseTypes;
    this.printChosen = options.print !== undefined;
    this.printSink = options.print ?? ((proc, text) => process.stderr.write(`[${proc.name}] ${text}\n`));
    const L = (this.L = lauxlib.luaL_newstate());
    this.chunks = new ChunkCache(L, this.eraseTypes);
    this.sched = new Scheduler(L, this.requestTag, { batchMs: options.batchMs ?? 4 });
    lua.lua_atnativeerror(L, (T) => {
      const e = lua.lua_touserdata(T, 1);
      pushString(T, e instanceof Error ? e.message : String(e)); // becomes the Lua error value
      return 1;
    });
    for (const [name, open] of [
      ['_G', lualib.luaopen_base],
      ['coroutine', lualib.luaopen_coroutine],
      ['table', lualib.luaopen_table],
      ['string', lualib.luaopen_string],
      ['math', lualib.luaopen_math],
      ['utf8', lualib.luaopen_utf8],
      ['os', lualib.luaopen_os],
    ] as const) {
      lauxlib.luaL_requiref(L, name, open, 1);
      lua.lua_settop(L, 0);
    }
    lua.lua_pushjsfunction(L, luaType);
    lua.lua_setglobal(L, 'type');
    const exports = this.runPrelude();
    this.base = exports.base;
    this.envMeta = exports.env_meta;
    this.readonlyFn = exports.readonly;
    this.bootFn = exports.boot;
    lua.lua_getglobal(L, 'tostring');
    this.tostringFn = popSlot(L);
    lua.lua_newtable(L);
    this.errorMeta = tableAtTop(L);
    lua.lua_settop(L, 0);
    // Installed last, on the main thread, so every thread created from now on inherits it. The slice is timed,
    // not counted: the same instruction count takes 30x longer before V8 has optimised Fengari's interpreter.
    this.sliceMs = options.sliceMs ?? 2;
    const hook = (T: LuaState): void => this.preempt(T);
    this.guard = new RunawayGuard(this.sched, options.hardSliceMs ?? 1000, hook);
    L.l_G.wisp_match_hook = (T) => this.checkpoint(T);
    lua.lua_sethook(L, hook, lua.LUA_MASKCOUNT, options.checkEvery ?? 1000);
  }

  /**
   * The message of the error value on top of a failed task's stack that is neither a string nor an error
   * object (it is popped): `tostring` of it, run on the task's behalf so a __tostring is watched by the
   * runaway guard, or "(error object is a T value)" when that fails.
   */
  describeError(task: Task): string {
    const T = task.thread;
    const L = this.L;
    const type = lua.lua_type(T, -1);
    if (type === lua.LUA_TNIL || type === lua.LUA_TNONE) return 'nil';
    const top = lua.lua_gettop(L);
    lua.lua_checkstack(L, 3);
    pushSlot(L, this.tostringFn);
    lua.lua_xmove(T, L, 1);
    const ok = this.sched.runAs(task, () => lua.lua_pcall(L, 1, 1, 0) === lua.LUA_OK) && lua.lua_type(L, -1) === lua.LUA_TSTRING;
    const message = ok ? toJsString(L, -1) : `(error object is a ${typeName(type)} value)`;
    lua.lua_settop(L, top);
    return message;
  }

  /**
   * A checkpoint in long host work done for the running task on thread T (a regular-expression match, a
   * decode, a fan-out): past its slice such work counts as code that cannot yield, so the runaway guard kills
   * the process once it has used its hard slice (src/engine/spec.md "Runaway code").
   */
  checkpoint(T: LuaState): void {
    if (this.pastSlice()) this.guard.stuck(T);
  }

  /** Whether the running task has used its slice. */
  pastSlice(): boolean {
    return performance.now() - this.sched.resumedAt >= this.sliceMs;
  }

  /** Sends global `print` somewhere else (the logger module does, unless the VM options chose a sink). */
  printTo(sink: PrintSink): void {
    this.printSink = sink;
  }

  /** The process whose code is running now (host functions use it); raises if called outside a process. */
  currentProcess(T: LuaState): LuaProcess {
    const task = this.sched.current;
    if (task === null || !(task.owner instanceof LuaProcess)) return raise(T, 'not inside a process');
    return task.owner;
  }

  /** Compiles a chunk once per distinct (name, source bytes); a string source is compiled as its UTF-8. */
  compile(source: LuaSource, chunkName: string, file?: string): CompiledChunk {
    return this.chunks.compile(source, chunkName, file);
  }

  /** A fresh globals table for one process: `_G` is itself, everything else comes from the shared base. */
  newEnv(): Slot {
    const L = this.L;
    lua.lua_createtable(L, 0, 1);
    pushSlot(L, this.key('_G'));
    lua.lua_pushvalue(L, -2);
    lua.lua_rawset(L, -3);
    pushSlot(L, this.envMeta);
    lua.lua_setmetatable(L, -2);
    return popSlot(L);
  }

  /** An interned Lua string for a table key: one TString object, hashed once. */
  key(name: string): Slot {
    let slot = this.keys.get(name);
    if (slot === undefined) {
      pushString(this.L, name);
      slot = popSlot(this.L);
      this.keys.set(name, slot);
    }
    return slot;
  }

  /**
   * Makes a module available to `require(name)` when an entry lists it, as a read-only view (userdata modules,
   * such as logger, are immutable already and are not wrapped).
   */
  defineModule(name: string, value: Slot): void {
    const L = this.L;
    pushSlot(L, value);
    const isTable = lua.lua_type(L, -1) === lua.LUA_TTABLE;
    lua.lua_settop(L, -2);
    this.modules.define(name, isTable ? readonlyView(this, value, name) : value);
  }

  /** Makes a defined module a global of every process, which `require` also hands out unlisted. */
  exposeModule(name: string): void {
    this.defineGlobal(name, this.modules.makeGlobal(name));
  }

  /** Sets (or replaces) a global every process sees, in the shared base (runtime types, casts, `type`). */
  defineGlobal(name: string, value: Slot): void {
    pushSlot(this.L, this.base);
    setField(this, this.L, -1, name, () => pushSlot(this.L, value));
    lua.lua_settop(this.L, -2);
  }

  /**
   * The count hook. A thread past its slice yields when it and the task's main thread can (a user coroutine's
   * yield travels up through the prelude's resume); where it cannot, the runaway guard decides.
   */
  private preempt(T: LuaState): void {
    if (this.hookTick !== null) this.hookTick(T);
    const task = this.sched.current;
    if (task === null || task.state !== 'running') return;
    if (task.killed !== null) this.guard.raiseIfKilled(T);
    if (performance.now() - this.sched.resumedAt < this.sliceMs) return;
    if (!lua.lua_isyieldable(T) || (T !== task.thread && !lua.lua_isyieldable(task.thread))) {
      this.guard.stuck(T);
      return;
    }
    if (T !== task.thread) this.preempted.add(T);
    lua.lua_yield(T, 0);
  }

  private runPrelude(): Record<'base' | 'env_meta' | 'readonly' | 'boot', Slot> {
    const L = this.L;
    if (lauxlib.luaL_loadbufferx(L, encode(PRELUDE), null, encode('=wisp:prelude'), encode('t')) !== lua.LUA_OK) {
      throw new Error(`prelude: ${toJsString(L, -1)}`);
    }
    lua.lua_pushlightuserdata(L, this.requestTag);
    pushSlot(L, functionTable(this, this.hostFunctions()));
    if (lua.lua_pcall(L, 2, 1, 0) !== lua.LUA_OK) throw new Error(`prelude: ${toJsString(L, -1)}`);
    const get = (name: string): Slot => {
      lua.lua_getfield(L, -1, name);
      return popSlot(L);
    };
    const result = { base: get('base'), env_meta: get('env_meta'), readonly: get('readonly'), boot: get('boot') };
    lua.lua_settop(L, 0);
    return result;
  }

  private hostFunctions(): Record<string, JSFunction> {
    return {
      was_preempted: (T) => {
        lua.lua_pushboolean(T, this.preempted.delete(lua.lua_tothread(T, 1) as LuaState));
        return 1;
      },
      raise_if_killed: (T) => {
        this.guard.raiseIfKilled(T);
        return 0;
      },
      stuck: (T) => {
        this.guard.stuck(T);
        return 0;
      },
      current_env: (T) => {
        pushSlot(T, this.currentProcess(T).env);
        return 1;
      },
      spawn: (T) => this.currentProcess(T).spawnCoroutine(T),
      erase_types: (T) => {
        // As bytes, so a chunk given to load() keeps raw bytes in its string literals.
        const source = byteString(lua.lua_tolstring(T, 1) ?? new Uint8Array(0));
        const erased = this.eraseTypes(source, () => this.checkpoint(T));
        if (erased === source) lua.lua_settop(T, 1);
        else lua.lua_pushstring(T, fromByteString(erased));
        return 1;
      },
      collectgarbage: (T) => {
        const opt = lua.lua_type(T, 1) === lua.LUA_TSTRING ? toJsString(T, 1) : 'collect';
        if (opt === 'count') lua.lua_pushnumber(T, process.memoryUsage().heapUsed / 1024);
        else lua.lua_pushinteger(T, 0);
        return 1;
      },
      print: (T) => {
        this.printSink(this.currentProcess(T), joinArgs(T, ' '), T);
        return 0;
      },
      require: (T) => this.modules.require(T, this.currentProcess(T)),
      store_module: (T) => {
        const proc = this.currentProcess(T);
        proc.storeModule(toJsString(T, 1), slotAt(T, 2));
        proc.loading?.delete(toJsString(T, 1));
        return 0;
      },
    };
  }
}

const TYPE_NAMES = ['nil', 'boolean', 'userdata', 'number', 'string', 'table', 'function', 'userdata', 'thread'];

export function typeName(type: number): string {
  return TYPE_NAMES[type] ?? 'unknown';
}


