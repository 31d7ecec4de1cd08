/**
 * Error values (spec.md beside this file): userdata wrapping an ErrorValue, with Wippy's semantics (go-lua's errors library):
 * - `tostring(e)`, `..` and every string-library argument give the message only; `errors.wrap(e, ctx)` keeps
 *   the context apart (its message is the message of `e`, its context shows in `e:stack()`).
 * - Methods `kind` (`""` when unknown, = `errors.UNKNOWN`), `message`, `retryable` (nil when unset),
 *   `details` (nil when empty; only string keys are kept, as in Wippy), `stack` (the frames where the error
 *   object was made, the wrap contexts first).
 * - The `errors` global: `new`, `wrap`, `is`, `call_stack` and the kind constants.
 */
import { lua, lauxlib, pushString, raise, toJsString, tostringAt, type LuaState, decodeUtf8 } from '../../engine/lua';
import { objectAt, pushObject } from '../../engine/slots';
import { exportValue, pushValue } from '../../engine/values';
import { ErrorValue, LuaFloat, Table, type ErrorKind, type StackFrame, type Value } from '../../kernel/value';
import type { LuaVM } from '../../engine/vm';
import { checkStringSize, MAX_STRING_BYTES, STRING_TOO_LARGE } from '../../engine/limits';
import { luaModule } from '../module';
import { functionTable, metatable } from '../../engine/binding';

const KINDS: Record<string, ErrorKind> = {
  NOT_FOUND: 'NotFound',
  ALREADY_EXISTS: 'AlreadyExists',
  INVALID: 'Invalid',
  PERMISSION_DENIED: 'PermissionDenied',
  UNAVAILABLE: 'Unavailable',
  INTERNAL: 'Internal',
  CANCELED: 'Canceled',
  CONFLICT: 'Conflict',
  TIMEOUT: 'Timeout',
  RATE_LIMITED: 'RateLimited',
  UNKNOWN: '',
};

/** At most this many frames are kept for `e:stack()` and `errors.call_stack(e)`. */
const MAX_FRAMES = 32;

export function pushError(T: LuaState, vm: LuaVM, e: ErrorValue): void {
  pushObject(T, e, vm.errorMeta);
}

/** The Lua stack of thread T from `level` up (level 0 is the running host function), as Wippy captures it. */
export function captureFrames(T: LuaState, level = 0): StackFrame[] {
  const frames: StackFrame[] = [];
  const ar = new lua.lua_Debug();
  for (let l = level; frames.length < MAX_FRAMES && lua.lua_getstack(T, l, ar); l++) {
    lua.lua_getinfo(T, 'nSl', ar);
    frames.push({
      level: l,
      source: ar.short_src === null ? '?' : decodeUtf8(ar.short_src),
      line: ar.currentline,
      name: ar.name === null ? '' : decodeUtf8(ar.name),
      what: ar.what === null ? '' : decodeUtf8(ar.what),
    });
  }
  return frames;
}

export interface FailOptions {
  /** Whether retrying can help; unset (nil in Lua) by default. */
  retryable?: boolean;
  /** The operation that failed, kept apart from the message as `errors.wrap` does (`time.parse`). */
  context?: string;
  /** The value before the error: nil (the default), or false for calls that answer `false, err`. */
  first?: false;
}

/**
 * The `nil, err` convention: pushes both and returns 2. The error carries the caller's Lua stack, as the errors
 * Wippy's modules make with NewLuaError.
 */
export function fail(T: LuaState, vm: LuaVM, message: string, kind: ErrorKind = '', options: FailOptions = {}): number {
  if (options.first === false) lua.lua_pushboolean(T, false);
  else lua.lua_pushnil(T);
  const origin = { frames: captureFrames(T), context: options.context };
  pushError(T, vm, new ErrorValue(message, kind, options.retryable ?? null, null, null, origin));
  return 2;
}

function errorAt(T: LuaState, idx: number): ErrorValue | null {
  const e = objectAt(T, idx);
  return e instanceof ErrorValue ? e : null;
}

/** What Go's `error.Error()` gives for an error: its message, after its context when it has one. */
function fullMessage(e: ErrorValue): string {
  return e.origin.context === undefined ? e.message : `${e.origin.context}: ${e.message}`;
}

/**
 * `e:stack()`: for e and each error it wraps, its context line, then its frames. Bounded as every Lua string
 * is: past the limit it raises STRING_TOO_LARGE (before building more than the limit).
 */
function stackText(T: LuaState, e: ErrorValue): string {
  const parts: string[] = [];
  let length = 0;
  const add = (s: string): void => {
    length += s.length;
    if (length > MAX_STRING_BYTES) raise(T, STRING_TOO_LARGE);
    parts.push(s);
  };
  for (let cur: ErrorValue | undefined = e; cur !== undefined; cur = cur.origin.cause) {
    if (cur.origin.context !== undefined) add(`${cur.origin.context}\n`);
    for (const f of cur.origin.frames ?? []) add(`  ${f.source}:${f.line} (${f.name})\n`);
    if (cur.origin.frames === undefined && cur.stack !== null) add(`${cur.stack}\n`);
  }
  const text = parts.join('');
  checkStringSize(T, text);
  return text;
}

/**
 * Details as Wippy keeps them: a map with string keys only (recursively; other keys are dropped), integers and
 * floats kept apart. The copy is the one messages get (iterative, bounded depth: a value nested too deep is an
 * error), then filtered without recursion; cycles and shared parts stay shared.
 */
function detailsAt(T: LuaState, idx: number): Table {
  const copy = exportValue(T, idx);
  if (!(copy instanceof Table)) return new Table();
  const filtered = new Map<Table, Table>([[copy, new Table()]]);
  const work: Table[] = [copy];
  for (let from = work.pop(); from !== undefined; from = work.pop()) {
    const to = filtered.get(from) as Table;
    for (const [k, v] of from.map) {
      if (typeof k !== 'string' && !(k instanceof Uint8Array)) continue;
      const key = typeof k === 'string' ? k : decodeUtf8(k);
      if (!(v instanceof Table)) {
        to.map.set(key, v);
        continue;
      }
      let t = filtered.get(v);
      if (t === undefined) {
        filtered.set(v, (t = new Table()));
        work.push(v);
      }
      to.map.set(key, t);
    }
  }
  return filtered.get(copy) as Table;
}

/** Non-empty details, or null (so that `e:details()` is nil, as in Wippy). */
function nonEmpty(d: Value): Value {
  return d instanceof Table && d.map.size === 0 ? null : d;
}

function installErrors(vm: LuaVM): void {
  // Methods called on something else answer what Wippy's do: an empty kind/message/stack, nil otherwise.
  const method = (get: (T: LuaState, e: ErrorValue) => void, otherwise: (T: LuaState) => void) => (T: LuaState): number => {
    const e = errorAt(T, 1);
    if (e === null) otherwise(T);
    else get(T, e);
    return 1;
  };
  const pushEmpty = (T: LuaState): void => pushString(T, '');
  vm.errorMeta = metatable(vm,
    'error',
    {
      kind: method((T, e) => pushString(T, e.kind), pushEmpty),
      message: method((T, e) => pushString(T, e.message), pushEmpty),
      retryable: method(
        (T, e) => (e.retryable === null ? lua.lua_pushnil(T) : lua.lua_pushboolean(T, e.retryable)),
        (T) => lua.lua_pushnil(T),
      ),
      details: method(
        (T, e) => {
          const d = nonEmpty(e.details);
          if (d === null) lua.lua_pushnil(T);
          else pushValue(T, d, vm);
        },
        (T) => lua.lua_pushnil(T),
      ),
      stack: method((T, e) => pushString(T, stackText(T, e)), pushEmpty),
    },
    {
      __tostring: (T) => (pushString(T, errorAt(T, 1)?.message ?? ''), 1),
      __concat: (T) => {
        // As Lua's own `..` (bounded by the string limit): the two sides as strings, then lua_concat.
        lauxlib.luaL_tolstring(T, 1);
        lauxlib.luaL_tolstring(T, 2);
        lua.lua_concat(T, 2);
        return 1;
      },
      __eq: (T) => {
        const a = errorAt(T, 1);
        const b = errorAt(T, 2);
        lua.lua_pushboolean(T, a !== null && a === b);
        return 1;
      },
    },
  );
  // Lets an error stand where the string library wants a string (scripts/fengari-patches/03-checkstring-coerce.js).
  pushError(vm.L, vm, new ErrorValue(''));
  lua.lua_getmetatable(vm.L, -1);
  lua.lua_pushboolean(vm.L, true);
  lua.lua_setfield(vm.L, -2, '__wisp_coerce');
  lua.lua_settop(vm.L, -3);

  const api = functionTable(vm,
    {
      new: (T) => {
        let e: ErrorValue;
        const type = lua.lua_type(T, 1);
        if (type === lua.LUA_TSTRING) e = new ErrorValue(toJsString(T, 1));
        else if (type === lua.LUA_TTABLE) {
          lua.lua_getfield(T, 1, 'message');
          if (lua.lua_isnil(T, -1)) return lauxlib.luaL_argerror(T, 1, 'message field is required');
          if (lua.lua_type(T, -1) !== lua.LUA_TSTRING) return lauxlib.luaL_argerror(T, 1, 'message must be a string');
          const message = toJsString(T, -1);
          lua.lua_getfield(T, 1, 'kind');
          const kind = lua.lua_type(T, -1) === lua.LUA_TSTRING ? toJsString(T, -1) : '';
          lua.lua_getfield(T, 1, 'retryable');
          const retryable = lua.lua_type(T, -1) === lua.LUA_TBOOLEAN ? lua.lua_toboolean(T, -1) : null;
          lua.lua_getfield(T, 1, 'details');
          const details = lua.lua_type(T, -1) === lua.LUA_TTABLE ? detailsAt(T, -1) : null;
          e = new ErrorValue(message, kind, retryable, details);
        } else {
          if (type === lua.LUA_TNONE) return lauxlib.luaL_argerror(T, 1, 'value expected');
          return lauxlib.luaL_argerror(T, 1, 'expected string or table');
        }
        pushError(T, vm, new ErrorValue(e.message, e.kind, e.retryable, e.details, null, { frames: captureFrames(T) }));
        return 1;
      },
      wrap: (T) => {
        if (lua.lua_gettop(T) < 1) return lauxlib.luaL_argerror(T, 1, 'value expected');
        if (lua.lua_gettop(T) < 2) return lauxlib.luaL_argerror(T, 2, 'value expected');
        const parent = errorAt(T, 1);
        if (parent === null && lua.lua_type(T, 1) !== lua.LUA_TSTRING) {
          return lauxlib.luaL_argerror(T, 1, 'expected string or error object');
        }
        const contextError = errorAt(T, 2);
        if (contextError === null && lua.lua_type(T, 2) !== lua.LUA_TSTRING) {
          return lauxlib.luaL_argerror(T, 2, 'expected string or error object');
        }
        const message = parent === null ? toJsString(T, 1) : fullMessage(parent);
        checkStringSize(T, message); // a wrapped error's context joins its message: wraps of wraps grow
        const context = contextError === null ? toJsString(T, 2) : contextError.message;
        const e = new ErrorValue(
          message,
          parent?.kind ?? '',
          parent?.retryable ?? null,
          parent === null ? null : nonEmpty(parent.details),
          null,
          { context, cause: parent ?? undefined, frames: captureFrames(T) },
        );
        pushError(T, vm, e);
        return 1;
      },
      is: (T) => {
        if (lua.lua_gettop(T) < 1) return lauxlib.luaL_argerror(T, 1, 'value expected');
        lauxlib.luaL_checkstring(T, 2);
        const kind = toJsString(T, 2);
        const e = errorAt(T, 1);
        lua.lua_pushboolean(T, e !== null && e.kind === kind);
        return 1;
      },
      call_stack: (T) => {
        const frames = errorAt(T, 1)?.origin.frames;
        if (frames === undefined || frames.length === 0) {
          lua.lua_pushnil(T);
          return 1;
        }
        const list = Table.from({}, frames.map((f) => Table.from({ level: f.level, source: f.source, line: f.line, name: f.name, type: f.what })));
        lua.lua_pushthread(T);
        const thread = tostringAt(T, -1).replace(/^thread: /, '');
        lua.lua_settop(T, -2);
        pushValue(T, Table.from({ thread, frames: list }), vm);
        return 1;
      },
    },
    KINDS,
  );
  vm.defineModule('errors', api);
}

export const errorsModule = luaModule({
  name: 'errors',
  description: 'Structured errors',
  classes: ['deterministic'],
  global: true,
  install: (vm) => installErrors(vm),
});
