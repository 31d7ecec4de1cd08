/**
 * The `fs` module (spec.md beside this file): `fs.get(id)` gives an FS object over an `fs.directory` entry's
 * ConfinedDirectory (src/lib/confined-dir.ts, every path confined to the directory), with Wippy's methods,
 * results and error kinds. Each call blocks only the calling coroutine; files belong to the process that
 * opened them and are closed when it ends.
 */
import { lua, lauxlib, checkJsString, pushNumber, pushOwnedBytes, pushString, toJsString, type LuaState } from '../../engine/lua';
import { argInstance, argObject, pushObject } from '../../engine/slots';
import { fail } from '../errors';

/** What a failed call answers before its error. */
type FirstValue = null | false;
import { settle } from '../settle';
import { messageOf } from '../../lib/message';
import { MAX_STRING_BYTES } from '../../engine/limits';
import type { ErrorKind } from '../../kernel/value';
import { FsError, type FsStat, type FsVolume, type OpenMode, FileStream } from '../../lib/confined-dir';
import type { ByteStream, Whence } from '../../lib/byte-stream';
import type { LuaVM } from '../../engine/vm';
import type { LuaProcess, Resource } from '../../engine/process';
import type { JSFunction } from 'fengari';
import { streamModule } from '../stream';
import { luaModule } from '../module';
import { denied, securityGuard, type Guard } from '../guard';
import { pushResource } from '../resource';
import '../../api/fs';
import { functionTable, metatable, nestTable, setField } from '../../engine/binding';

const DEFAULT_READ = 4096;
/** write_file copies a stream in chunks of this size. */
const COPY_CHUNK = 64 * 1024;
const MODES: readonly string[] = ['r', 'w', 'wx', 'a'];

class Volume {
  /** The working directory, relative to the root (`.` is the root). */
  cwd = '.';
  constructor(readonly volume: FsVolume) {}
}

/** An open file as its process holds it: closed when the process ends. */
class OpenFile implements Resource {
  /** Whether the stream module holds it too (for `scanner`). */
  shared = false;
  constructor(
    readonly file: FileStream,
    readonly owner: LuaProcess,
  ) {}

  dispose(): void {
    void this.file.close().catch(() => undefined);
  }
}

/** What the fs module offers other modules (excel reads and writes files through it). */
export interface FsApi {
  /** The open file behind an fs.File argument, or null for anything else (a closed file too). */
  fileAt(T: LuaState, n: number): ByteStream | null;
}

function installFs(vm: LuaVM, resources: import('../../api/resources').Resources | undefined, streams: import('../stream').StreamApi, guard: Guard): FsApi {
  /** `first, err` with a non-retryable error of `kind` (`first` nil or false). */
  const failKind = (R: LuaState, first: FirstValue, message: string, kind: ErrorKind): number =>
    fail(R, vm, message, kind, { retryable: false, ...(first === false ? { first } : {}) });
  const fsFailure = (first: FirstValue) => (R: LuaState, e: unknown): number =>
    e instanceof FsError ? failKind(R, first, e.message, e.kind) : failKind(R, first, messageOf(e), 'Internal');
  const ok = (R: LuaState): number => (lua.lua_pushboolean(R, true), lua.lua_pushnil(R), 2);
  const volumeArg = (T: LuaState): Volume => argInstance(T, 1, Volume, 'fs.FS expected');
  const fileArg = (T: LuaState): OpenFile => argInstance(T, 1, OpenFile, 'fs.File expected');

  const pushStat = (R: LuaState, s: FsStat): number => {
    lua.lua_createtable(R, 0, 6);
    setField(vm, R, -1, 'name', () => pushString(R, s.name));
    setField(vm, R, -1, 'size', () => pushNumber(R, s.size));
    setField(vm, R, -1, 'mode', () => pushNumber(R, s.mode));
    setField(vm, R, -1, 'modified', () => pushNumber(R, s.modified));
    setField(vm, R, -1, 'is_dir', () => lua.lua_pushboolean(R, s.isDir));
    setField(vm, R, -1, 'type', () => pushString(R, s.isDir ? 'directory' : 'file'));
    lua.lua_pushnil(R);
    return 2;
  };

  /** The path argument: a string, and not empty unless `emptyAllowed`. */
  const pathArg = (T: LuaState, emptyAllowed = false): string | null => {
    const path = checkJsString(T, 2);
    if (path === '' && !emptyAllowed) return null;
    return path;
  };

  /** Runs an operation of the volume for the caller, answering `first, err` on failure. */
  const run = <V>(T: LuaState, first: FirstValue, work: () => Promise<V>, answer: (R: LuaState, v: V) => number): number =>
    settle(vm, T, () => work(), answer, fsFailure(first));

  const fileMeta = metatable(vm, 'fs.File', {
    read: (T) => {
      const f = fileArg(T);
      const size = lua.lua_isnoneornil(T, 2) ? DEFAULT_READ : lauxlib.luaL_checkinteger(T, 2);
      if (size <= 0) return failKind(T, null, 'size must be positive', 'Invalid');
      if (f.file.isClosed) return failKind(T, null, 'file already closed', 'Invalid');
      return run(T, null, () => f.file.read(Math.min(size, MAX_STRING_BYTES)), (R, bytes) => {
        if (bytes === null) return failKind(R, null, 'EOF', 'NotFound');
        pushOwnedBytes(R, bytes);
        lua.lua_pushnil(R);
        return 2;
      });
    },
    write: (T) => {
      const f = fileArg(T);
      const data = lauxlib.luaL_checklstring(T, 2) as Uint8Array;
      if (data.length === 0) return failKind(T, false, 'data cannot be empty', 'Invalid');
      if (f.file.isClosed) return failKind(T, false, 'file already closed', 'Invalid');
      return run(T, false, () => f.file.write(data), ok);
    },
    seek: (T) => {
      const f = fileArg(T);
      const whence = checkJsString(T, 2);
      const offset = lua.lua_isnoneornil(T, 3) ? 0 : Math.trunc(lauxlib.luaL_checknumber(T, 3));
      if (whence !== 'set' && whence !== 'cur' && whence !== 'end') return failKind(T, null, `invalid whence: ${whence}`, 'Invalid');
      if (f.file.isClosed) return failKind(T, null, 'file already closed', 'Invalid');
      return run(T, null, () => f.file.seek(whence as Whence, offset), (R, pos) => (pushNumber(R, pos), lua.lua_pushnil(R), 2));
    },
    stat: (T) => {
      const f = fileArg(T);
      if (f.file.isClosed) return failKind(T, null, 'file already closed', 'Invalid');
      return run(T, null, () => f.file.fileStat(), pushStat);
    },
    sync: (T) => {
      const f = fileArg(T);
      if (f.file.isClosed) return failKind(T, false, 'file already closed', 'Invalid');
      return run(T, false, () => f.file.flush(), ok);
    },
    close: (T) => {
      const f = fileArg(T);
      if (f.file.isClosed) return failKind(T, false, 'file already closed', 'Invalid');
      f.owner.disown(f);
      return run(T, false, () => f.file.close(), ok);
    },
    scanner: (T) => {
      const f = fileArg(T);
      if (f.file.isClosed) return failKind(T, null, 'file already closed', 'Invalid');
      // The stream module's scanner, over the same open file.
      if (!f.shared) {
        f.shared = true;
        streams.adopt(f.owner, f.file);
      }
      const split = lua.lua_gettop(T) >= 2;
      streams.push(T, f.file);
      lua.lua_getfield(T, -1, 'scanner');
      lua.lua_insert(T, -2);
      if (split) lua.lua_pushvalue(T, 2);
      lua.lua_call(T, split ? 2 : 1, lua.LUA_MULTRET);
      return lua.lua_gettop(T) - (split ? 2 : 1);
    },
  });

  const openMode = (T: LuaState, n: number, fallback: string | null): OpenMode | null => {
    const mode = fallback !== null && lua.lua_isnoneornil(T, n) ? fallback : checkJsString(T, n);
    return MODES.includes(mode) ? (mode as OpenMode) : null;
  };

  /** Writes all of `source` (bytes or a stream, read in chunks) to `file`, then closes it. */
  const copyInto = async (file: FileStream, source: Uint8Array | ByteStream): Promise<void> => {
    try {
      if (source instanceof Uint8Array) {
        if (source.length > 0) await file.write(source);
        return;
      }
      for (;;) {
        const chunk = await source.read(COPY_CHUNK);
        if (chunk === null) return;
        await file.write(chunk);
      }
    } finally {
      await file.close();
    }
  };

  const writeFile: JSFunction = (T) => {
    const v = volumeArg(T);
    const path = pathArg(T);
    if (path === null) return failKind(T, false, 'path cannot be empty', 'Invalid');
    if (lua.lua_isnoneornil(T, 3)) return failKind(T, false, 'data cannot be nil', 'Invalid');
    const mode = openMode(T, 4, 'w');
    if (mode === null || mode === 'r') return failKind(T, false, `invalid mode: ${toJsString(T, 4)}`, 'Invalid');
    let source: Uint8Array | ByteStream;
    if (lua.lua_type(T, 3) === lua.LUA_TSTRING) source = lua.lua_tolstring(T, 3) as Uint8Array;
    else {
      const stream = streams.streamAt(T, 3);
      if (stream === null) return failKind(T, false, 'data must be a string or a stream', 'Invalid');
      source = stream;
    }
    return run(T, false, async () => copyInto((await v.volume.open(path, mode, v.cwd)) as FileStream, source), ok);
  };

  const readFile: JSFunction = (T) => {
    const v = volumeArg(T);
    const path = pathArg(T);
    if (path === null) return failKind(T, null, 'path cannot be empty', 'Invalid');
    return run(T, null, () => v.volume.readFile(path, MAX_STRING_BYTES, v.cwd), (R, bytes) => (pushOwnedBytes(R, bytes), lua.lua_pushnil(R), 2));
  };

  const fsMeta = metatable(vm, 'fs.FS', {
    pwd: (T) => {
      const v = volumeArg(T);
      pushString(T, v.cwd === '.' ? '/' : `/${v.cwd}`);
      lua.lua_pushnil(T);
      return 2;
    },
    chdir: (T) => {
      const v = volumeArg(T);
      const path = pathArg(T);
      if (path === null) return failKind(T, false, 'path cannot be empty', 'Invalid');
      return run(
        T,
        false,
        async () => ({ rel: v.volume.resolve(path, v.cwd), stat: await v.volume.stat(path, v.cwd) }),
        (R, { rel, stat }) => {
          if (!stat.isDir) return failKind(R, false, `chdir ${path}: not a directory`, 'Invalid');
          v.cwd = rel;
          return ok(R);
        },
      );
    },
    open: (T) => {
      const v = volumeArg(T);
      const path = pathArg(T);
      if (path === null) return failKind(T, null, 'path cannot be empty', 'Invalid');
      const mode = openMode(T, 3, null);
      if (mode === null) return failKind(T, null, `invalid mode: ${toJsString(T, 3)}`, 'Invalid');
      const proc = vm.currentProcess(T);
      return run(
        T,
        null,
        () => v.volume.open(path, mode, v.cwd),
        (R, file) => {
          const held = new OpenFile(file as FileStream, proc);
          proc.own(held);
          pushObject(R, held, fileMeta);
          lua.lua_pushnil(R);
          return 2;
        },
      );
    },
    stat: (T) => {
      const v = volumeArg(T);
      const path = pathArg(T);
      if (path === null) return failKind(T, null, 'path cannot be empty', 'Invalid');
      return run(T, null, () => v.volume.stat(path, v.cwd), pushStat);
    },
    mkdir: (T) => {
      const v = volumeArg(T);
      const path = pathArg(T);
      if (path === null) return failKind(T, false, 'path cannot be empty', 'Invalid');
      return run(T, false, () => v.volume.mkdir(path, v.cwd), ok);
    },
    remove: (T) => {
      const v = volumeArg(T);
      const path = pathArg(T);
      if (path === null) return failKind(T, false, 'path cannot be empty', 'Invalid');
      return run(T, false, () => v.volume.remove(path, v.cwd), ok);
    },
    readdir: (T) => {
      const v = volumeArg(T);
      const path = pathArg(T);
      if (path === null) return failKind(T, null, 'path cannot be empty', 'Invalid');
      return run(
        T,
        null,
        async () => {
          const stat = await v.volume.stat(path, v.cwd);
          if (!stat.isDir) throw new FsError(`readdir ${path}: not a directory`, 'Invalid');
          return v.volume.readdir(path, v.cwd);
        },
        (R, entries) => {
          let next = 0;
          lua.lua_pushcclosure(
            R,
            (I: LuaState) => {
              const e = entries[next++];
              if (e === undefined) {
                lua.lua_pushnil(I);
                return 1;
              }
              lua.lua_createtable(I, 0, 2);
              setField(vm, I, -1, 'name', () => pushString(I, e.name));
              setField(vm, I, -1, 'type', () => pushString(I, e.isDir ? 'directory' : 'file'));
              return 1;
            },
            0,
          );
          lua.lua_pushnil(R);
          return 2;
        },
      );
    },
    exists: (T) => {
      const v = volumeArg(T);
      const path = checkJsString(T, 2);
      return run(
        T,
        false,
        () =>
          v.volume.stat(path, v.cwd).then(
            () => true,
            (e: unknown) => {
              if (e instanceof FsError && e.kind === 'Invalid' && e.message.startsWith('path')) throw e; // traversal, NUL
              return false;
            },
          ),
        (R, found) => (lua.lua_pushboolean(R, found), lua.lua_pushnil(R), 2),
      );
    },
    isdir: (T) => {
      const v = volumeArg(T);
      const path = checkJsString(T, 2);
      return run(T, false, () => v.volume.stat(path, v.cwd), (R, stat) => (lua.lua_pushboolean(R, stat.isDir), lua.lua_pushnil(R), 2));
    },
    readfile: readFile,
    read_file: readFile,
    writefile: writeFile,
    write_file: writeFile,
  });

  const get: JSFunction = (T) => {
    const name = checkJsString(T, 1);
    if (name !== '' && !guard(T, 'fs.get', name)) return denied(T, vm, `not allowed to access filesystem: ${name}`);
    return pushResource(T, vm, resources, 'fs', (volume) => new Volume(volume), fsMeta);
  };

  const mod = functionTable(vm, { get });
  nestTable(vm, mod, 'type', functionTable(vm, {}, { FILE: 'file', DIR: 'directory' }), 'fs.type');
  nestTable(vm, mod, 'seek', functionTable(vm, {}, { SET: 'set', CUR: 'cur', END: 'end' }), 'fs.seek');
  vm.defineModule('fs', mod);
  return {
    fileAt: (T, n) => {
      const f = argObject(T, n);
      return f instanceof OpenFile && !f.file.isClosed ? f.file : null;
    },
  };
}

export const fsModule = luaModule<FsApi>({
  name: 'fs',
  description: 'Filesystem operations',
  classes: ['storage', 'io', 'nondeterministic'],
  needs: [streamModule],
  install: (vm, ctx) => installFs(vm, ctx.services.resources, ctx.api(streamModule), securityGuard(vm, ctx.services)),
});
