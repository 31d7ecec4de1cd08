/**
 * The `stream` module (spec.md beside this file): the Lua face of a ByteStream (src/lib/byte-stream.ts) that
 * another module hands out (an HTTP response with `stream = true`, a request body, a file). The module table
 * itself is empty, as in Wippy. A stream belongs to the process that got it and is closed when it ends.
 */
import { lua, lauxlib, checkJsString, pushNumber, pushString, type LuaState } from '../../engine/lua';
import { argObject, pushObject } from '../../engine/slots';
import { captureFrames, pushError } from '../errors';
import { ErrorValue } from '../../kernel/value';
import { settle } from '../settle';
import { messageOf } from '../../lib/message';
import { DEFAULT_CHUNK, NOT_READABLE, type ByteStream, type Maybe, type StreamInfo, type Whence } from '../../lib/byte-stream';
import { Scanner, SPLIT_MODES, type SplitMode } from '../../lib/scanner';
import { MAX_STRING_BYTES } from '../../engine/limits';
import type { LuaVM } from '../../engine/vm';
import type { LuaProcess, Resource } from '../../engine/process';
import { luaModule } from '../module';
import { functionTable, metatable, setField } from '../../engine/binding';

/** Wippy's message for a stream that was closed (and so removed from the process's resources). */
const NOT_FOUND = 'stream not found';

export interface StreamApi {
  /**
   * Gives `stream` to `proc`, which closes it when it ends. False when the process has ended already: the
   * stream is closed then.
   */
  adopt(proc: LuaProcess, stream: ByteStream): boolean;
  /** Pushes the Lua stream object for a stream adopted by the process whose thread `T` is. */
  push(T: LuaState, stream: ByteStream): void;
  /** The stream behind a Lua stream object argument, or null (a closed stream is null too). */
  streamAt(T: LuaState, n: number): ByteStream | null;
}

/** One stream as the process holds it. */
class Held implements Resource {
  open = true;
  constructor(
    readonly stream: ByteStream,
    readonly owner: LuaProcess,
  ) {}

  dispose(): void {
    this.release();
  }

  /** Closes the stream (errors ignored: nobody is left to hear them). */
  release(): void {
    if (!this.open) return;
    this.open = false;
    try {
      const r = this.stream.close();
      if (r instanceof Promise) r.catch(() => {});
    } catch {
      // already gone
    }
  }
}

class StreamObject {
  constructor(readonly held: Held) {}
}

class ScannerObject {
  text: Uint8Array = new Uint8Array(0);
  constructor(readonly scanner: Scanner) {}
}

function installStream(vm: LuaVM): StreamApi {
  const held = new WeakMap<ByteStream, Held>();

  /** `first, err`: a non-retryable Internal error with `context` kept apart, as Wippy's WrapErrorWithLua. */
  const failWith = (T: LuaState, pushFirst: () => void, message: string, context: string): number => {
    pushFirst();
    pushError(T, vm, new ErrorValue(message, 'Internal', false, null, null, { frames: captureFrames(T), context }));
    return 2;
  };
  const pushNil = (T: LuaState): void => lua.lua_pushnil(T);

  const streamArg = (T: LuaState): Held => {
    const s = argObject(T, 1);
    if (!(s instanceof StreamObject)) return lauxlib.luaL_argerror(T, 1, 'Stream expected');
    return s.held;
  };

  /** Runs `op` on an open stream, answering `first, err` when it is closed or fails. */
  const operate = <V>(T: LuaState, context: string, failFirst: (T: LuaState) => void, op: (s: ByteStream) => Maybe<V>, answer: (R: LuaState, v: V) => number): number => {
    const h = streamArg(T);
    if (!h.open) return failWith(T, () => failFirst(T), NOT_FOUND, context);
    return settle<V>(
      vm,
      T,
      () => op(h.stream),
      answer,
      (R, e) => failWith(R, () => failFirst(R), messageOf(e), context),
    );
  };

  const pushBytes = (R: LuaState, bytes: Uint8Array | null): number => {
    if (bytes === null) {
      lua.lua_pushnil(R);
      lua.lua_pushnil(R);
      return 2;
    }
    lua.lua_pushstring(R, bytes);
    lua.lua_pushnil(R);
    return 2;
  };

  const pushTrue = (R: LuaState): number => (lua.lua_pushboolean(R, true), lua.lua_pushnil(R), 2);
  const pushFalse = (T: LuaState): void => lua.lua_pushboolean(T, false);

  const pushInfo = (R: LuaState, info: StreamInfo): number => {
    lua.lua_createtable(R, 0, 5);
    setField(vm, R, -1, 'size', () => pushNumber(R, info.size));
    setField(vm, R, -1, 'position', () => pushNumber(R, info.position));
    setField(vm, R, -1, 'readable', () => lua.lua_pushboolean(R, info.readable));
    setField(vm, R, -1, 'writable', () => lua.lua_pushboolean(R, info.writable));
    setField(vm, R, -1, 'seekable', () => lua.lua_pushboolean(R, info.seekable));
    lua.lua_pushnil(R);
    return 2;
  };

  const scannerMeta = metatable(vm, 'stream.Scanner', {
    scan: (T) => {
      const s = argObject(T, 1);
      if (!(s instanceof ScannerObject)) return lauxlib.luaL_argerror(T, 1, 'Scanner expected');
      return settle(
        vm,
        T,
        () => s.scanner.scan(),
        (R, token) => {
          s.text = token ?? new Uint8Array(0);
          lua.lua_pushboolean(R, token !== null);
          lua.lua_pushnil(R);
          return 2;
        },
        (R, e) => failWith(R, () => pushFalse(R), messageOf(e), 'scanner scan'),
      );
    },
    text: (T) => {
      const s = argObject(T, 1);
      if (!(s instanceof ScannerObject)) return lauxlib.luaL_argerror(T, 1, 'Scanner expected');
      lua.lua_pushstring(T, s.text);
      return 1;
    },
    err: (T) => {
      const s = argObject(T, 1);
      if (!(s instanceof ScannerObject)) return lauxlib.luaL_argerror(T, 1, 'Scanner expected');
      if (s.scanner.error === null) lua.lua_pushnil(T);
      else pushString(T, s.scanner.error);
      return 1;
    },
  });

  const streamMeta = metatable(vm, 'stream.Stream', {
    read: (T) => {
      let size = lua.lua_isnoneornil(T, 2) ? 0 : lauxlib.luaL_checknumber(T, 2);
      if (!(size > 0)) size = DEFAULT_CHUNK;
      const max = Math.min(Math.floor(size), MAX_STRING_BYTES) || 1;
      return operate(T, 'stream read', pushNil, (s) => s.read(max), pushBytes);
    },
    write: (T) => {
      lauxlib.luaL_checkstring(T, 2);
      const data = lua.lua_tolstring(T, 2) as Uint8Array;
      return operate(T, 'stream write', (R) => lua.lua_pushinteger(R, 0), (s) => s.write(data), (R, n: number) => (pushNumber(R, n), lua.lua_pushnil(R), 2));
    },
    seek: (T) => {
      let whence: Whence = 'set';
      if (lua.lua_type(T, 2) !== lua.LUA_TNONE) {
        const w = checkJsString(T, 2);
        if (w !== 'set' && w !== 'cur' && w !== 'end') return lauxlib.luaL_argerror(T, 2, "invalid whence: must be 'set', 'cur', or 'end'");
        whence = w;
      }
      const offset = lua.lua_type(T, 3) === lua.LUA_TNONE ? 0 : Math.trunc(lauxlib.luaL_checknumber(T, 3));
      return operate(T, 'stream seek', (R) => lua.lua_pushinteger(R, -1), (s) => s.seek(whence, offset), (R, pos: number) => (pushNumber(R, pos), lua.lua_pushnil(R), 2));
    },
    flush: (T) => operate(T, 'stream flush', pushFalse, (s) => s.flush(), (R) => pushTrue(R)),
    stat: (T) => operate(T, 'stream stat', pushNil, (s) => s.stat(), pushInfo),
    close: (T) => {
      const h = streamArg(T);
      if (!h.open) return failWith(T, () => pushFalse(T), NOT_FOUND, 'stream close');
      h.open = false;
      h.owner.disown(h);
      return settle(vm, T, () => h.stream.close(), (R) => pushTrue(R), (R, e) => failWith(R, () => pushFalse(R), messageOf(e), 'stream close'));
    },
    scanner: (T) => {
      let mode: SplitMode = 'lines';
      if (lua.lua_type(T, 2) !== lua.LUA_TNONE) {
        const m = checkJsString(T, 2);
        if (!(SPLIT_MODES as readonly string[]).includes(m)) return lauxlib.luaL_argerror(T, 2, "invalid split type: must be 'lines', 'words', 'bytes', or 'runes'");
        mode = m as SplitMode;
      }
      const h = streamArg(T);
      if (!h.open) return failWith(T, () => pushNil(T), NOT_FOUND, 'scanner create');
      if (!h.stream.stat().readable) return failWith(T, () => pushNil(T), NOT_READABLE, 'scanner create');
      pushObject(T, new ScannerObject(new Scanner(h.stream, mode)), scannerMeta);
      return 1;
    },
  });

  vm.defineModule('stream', functionTable(vm, {}));

  return {
    adopt(proc, stream) {
      const h = new Held(stream, proc);
      if (!proc.alive) {
        h.release();
        return false;
      }
      held.set(stream, h);
      proc.own(h);
      return true;
    },
    push(T, stream) {
      const h = held.get(stream);
      if (h === undefined) throw new Error('stream pushed before it was adopted');
      pushObject(T, new StreamObject(h), streamMeta);
    },
    streamAt(T, n) {
      const s = argObject(T, n);
      return s instanceof StreamObject && s.held.open ? s.held.stream : null;
    },
  };
}

export const streamModule = luaModule<StreamApi>({
  name: 'stream',
  description: 'Stream read/write operations',
  classes: ['io', 'nondeterministic'],
  install: (vm) => installStream(vm),
});
