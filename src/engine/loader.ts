/**
 * Compiling and loading Lua for the engine: the chunk cache of a VM, the boot-time syntax check, `require`, and
 * the one-line errors of each (a syntax error names the entry, its file and line; an import cycle names the chain).
 */
import { lua, lauxlib, byteString, encode, fromByteString, raise, toJsString, type LuaSource, type LuaState } from './lua';
import { popSlot, pushSlot, type Slot } from './slots';
import type { LuaProcess, ProcessSpec } from './process';
import { eraseTypes } from '../dialect/erase-types';

/** A chunk compiled once per distinct (name, source); each process instantiates it with its own globals. */
export interface CompiledChunk {
  readonly name: string;
  readonly fn: Slot;
  /** The source file, as error messages name it. */
  readonly file?: string;
}

/** A Lua syntax error in an entry's source: names the entry, the file and the line. */
export class LuaSyntaxError extends Error {
  constructor(
    readonly entry: string,
    readonly file: string | undefined,
    readonly line: number | undefined,
    readonly reason: string,
  ) {
    super(`${file ?? entry}${line === undefined ? '' : `:${line}`}: syntax error: ${reason} (entry ${entry})`);
    this.name = 'LuaSyntaxError';
  }
}

/** The chunks of one Lua state, compiled once per distinct (name, source bytes). */
export class ChunkCache {
  private readonly chunks = new Map<string, CompiledChunk>();

  constructor(
    private readonly L: LuaState,
    private readonly erase: (source: string, progress?: (() => void) | null) => string,
  ) {}

  /** A string source is compiled as its UTF-8; type annotations are erased first. */
  compile(source: LuaSource, chunkName: string, file?: string): CompiledChunk {
    const bytes = byteString(source);
    const key = `${chunkName}\0${bytes}`;
    const cached = this.chunks.get(key);
    if (cached !== undefined) return cached;
    loadChunk(this.L, this.erase(bytes), chunkName, file);
    const chunk = { name: chunkName, fn: popSlot(this.L), file };
    this.chunks.set(key, chunk);
    return chunk;
  }
}

let syntaxState: LuaState | null = null;

/**
 * Compiles `source` in a bare state and throws a LuaSyntaxError if it is not valid (after type erasure).
 * Lets the runtime reject a broken entry at boot, before any host has a VM.
 */
export function checkSyntax(source: LuaSource, chunkName: string, file?: string, erase: (s: string) => string = eraseTypes): void {
  const L = (syntaxState ??= lauxlib.luaL_newstate());
  loadChunk(L, erase(byteString(source)), chunkName, file);
  lua.lua_settop(L, 0);
}

/**
 * Loads a chunk whose first statement binds `_ENV` to its first argument (on the user's first line, so every
 * line number stays right) and leaves the function on the stack; throws a LuaSyntaxError otherwise. `source` is
 * a byte string (see byteString), so the chunk gets the source's bytes exactly.
 */
function loadChunk(L: LuaState, source: string, chunkName: string, file: string | undefined): void {
  const bytes = fromByteString(`local _ENV = ...; ${source}`);
  const status = lauxlib.luaL_loadbufferx(L, bytes, null, encode(`=${chunkName}`), encode('t'));
  if (status === lua.LUA_OK) return;
  const message = toJsString(L, -1);
  lua.lua_settop(L, -2);
  throw syntaxError(chunkName, file, message);
}

/** What `require` hands out besides a process's own imports: wisp's modules, and which of them are globals. */
export class ModuleTable {
  private readonly modules = new Map<string, Slot>();
  /** Modules that are globals anyway, so `require` hands them out even when `modules:` does not list them. */
  private readonly globals = new Set<string>();

  constructor(private readonly key: (name: string) => Slot) {}

  /** Makes `value` what `require(name)` answers when an entry lists the module. */
  define(name: string, value: Slot): void {
    this.modules.set(name, value);
  }

  /** Marks a defined module as a global, which `require` also hands out unlisted; its value. */
  makeGlobal(name: string): Slot {
    const value = this.modules.get(name);
    if (value === undefined) throw new Error(`module ${name} is not defined`);
    this.globals.add(name);
    return value;
  }

  /** `require(name)` for `proc`: answers ('value', module) or ('chunk', library chunk to run once in the process). */
  require(T: LuaState, proc: LuaProcess): number {
    const name = toJsString(T, 1);
    const loaded = proc.loadedModule(name);
    const spec = proc.spec;
    if (loaded !== undefined) return pushPair(T, this.key('value'), loaded);
    const library = spec.imports.get(name);
    if (library !== undefined) {
      // Still loading: a cycle when that chunk is running below us; else a load that failed (and was caught).
      const loading = (proc.loading ??= new Map());
      if (loading.has(name) && onStack(T, library.fn)) raise(T, cycleMessage(spec, [...loading.keys()], name));
      loading.delete(name);
      loading.set(name, true);
      return pushPair(T, this.key('chunk'), library.fn);
    }
    const module = this.modules.get(name);
    if (spec.modules.has(name) || this.globals.has(name)) {
      if (module !== undefined) return pushPair(T, this.key('value'), module);
      return raise(T, `module '${name}' (listed in modules: of ${spec.entryId}) is not provided by wisp`);
    }
    return raise(T, `module '${name}' is not available to ${spec.entryId}: add it to the entry's modules: (or imports:)`);
  }
}

function pushPair(T: LuaState, kind: Slot, value: Slot): number {
  pushSlot(T, kind);
  pushSlot(T, value);
  return 2;
}

/** Whether function `fn` is running on thread T (at any level of its call stack). */
export function onStack(T: LuaState, fn: Slot): boolean {
  const ar = new lua.lua_Debug();
  for (let level = 0; lua.lua_getstack(T, level, ar); level++) {
    lua.lua_getinfo(T, 'f', ar);
    pushSlot(T, fn);
    const same = lua.lua_rawequal(T, -1, -2);
    lua.lua_settop(T, -3);
    if (same) return true;
  }
  return false;
}

/** `import cycle: app:a (src/a.lua) requires app:b (src/b.lua), which requires app:a again`. */
export function cycleMessage(spec: ProcessSpec, loading: string[], name: string): string {
  const chain = loading.slice(loading.indexOf(name));
  const named = (alias: string): string => {
    const chunk = spec.imports.get(alias);
    return chunk === undefined ? alias : `${chunk.name}${chunk.file === undefined ? '' : ` (${chunk.file})`}`;
  };
  const first = spec.imports.get(name)?.name ?? name;
  if (chain.length === 1) return `import cycle: ${named(name)} requires itself`;
  return `import cycle: ${named(chain[0])} requires ${chain.slice(1).map(named).join(', which requires ')}, which requires ${first} again`;
}

function syntaxError(chunkName: string, file: string | undefined, message: string): LuaSyntaxError {
  const prefix = `${chunkName}:`;
  const rest = message.startsWith(prefix) ? message.slice(prefix.length) : message;
  const m = /^(\d+): ([^]*)$/.exec(rest);
  return m ? new LuaSyntaxError(chunkName, file, Number(m[1]), m[2]) : new LuaSyntaxError(chunkName, file, undefined, rest);
}
