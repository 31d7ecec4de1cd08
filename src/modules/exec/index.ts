/**
 * The `exec` module (spec.md beside this file): `exec.get(id)` gives an Executor over an `exec.native` entry;
 * its processes (src/lib/native-process.ts) run without a shell, each in a process group that dies with it.
 * A process belongs to the Lua process that made it: when that ends, the group is told to stop (SIGTERM, then
 * SIGKILL after a second). stdout and stderr are streams of the `stream` module.
 */
import { lua, lauxlib, checkJsString, toJsString, type LuaState } from '../../engine/lua';
import { argInstance, pushObject } from '../../engine/slots';
import { fail } from '../errors';
import { settle } from '../settle';
import { messageOf } from '../../lib/message';
import type { ErrorKind } from '../../kernel/value';
import { ExecRefused, type NativeProcess } from '../../lib/native-process';
import type { ByteStream } from '../../lib/byte-stream';
import type { Resources } from '../../api/resources';
import type { ProcessExecutor } from '../../api/exec';
import type { LuaVM } from '../../engine/vm';
import type { LuaProcess, Resource } from '../../engine/process';
import type { JSFunction } from 'fengari';
import { streamModule, type StreamApi } from '../stream';
import { luaModule } from '../module';
import { denied, securityGuard, type Guard } from '../guard';
import { pushResource } from '../resource';
import '../../api/exec';
import { functionTable, metatable } from '../../engine/binding';

class Executor {
  released = false;
  constructor(readonly executor: ProcessExecutor) {}
}

/** A process as its Lua process holds it. */
class Proc implements Resource {
  closed = false;
  started = false;
  private readonly streams = new Map<'stdout' | 'stderr', ByteStream>();
  constructor(
    readonly process: NativeProcess,
    readonly owner: LuaProcess,
  ) {}

  /** The Lua process ended: the group is told to stop, and killed if it does not. */
  dispose(): void {
    this.closed = true;
    this.process.stop(false);
  }

  stream(which: 'stdout' | 'stderr', streams: StreamApi): ByteStream {
    let s = this.streams.get(which);
    if (s === undefined) {
      s = which === 'stdout' ? this.process.stdout() : this.process.stderr();
      this.streams.set(which, s);
      streams.adopt(this.owner, s);
    }
    return s;
  }
}

function installExec(vm: LuaVM, resources: Resources | undefined, streams: StreamApi, guard: Guard): void {
  /** `nil, err` with a non-retryable error of `kind`, `context` kept apart as Wippy's WrapErrorWithLua does. */
  const failWith = (R: LuaState, message: string, kind: ErrorKind, context?: string): number => fail(R, vm, message, kind, { retryable: false, context });
  const ok = (R: LuaState): number => (lua.lua_pushboolean(R, true), lua.lua_pushnil(R), 2);
  const executorArg = (T: LuaState): Executor => argInstance(T, 1, Executor, 'exec.Executor expected');
  const procArg = (T: LuaState): Proc => argInstance(T, 1, Proc, 'exec.Process expected');

  /** Wippy's checks before an operation on a started, open process; null when it may go on. */
  const refuse = (T: LuaState, p: Proc): number | null => {
    if (p.closed) return failWith(T, 'process is closed', 'Invalid');
    if (!p.started) return failWith(T, 'process not started: call start() first', 'Invalid');
    return null;
  };

  const streamMethod = (which: 'stdout' | 'stderr'): JSFunction => (T) => {
    const p = procArg(T);
    if (p.closed) return failWith(T, 'process is closed', 'Invalid');
    streams.push(T, p.stream(which, streams));
    lua.lua_pushnil(T);
    return 2;
  };

  const procMeta = metatable(vm, 'exec.Process', {
    start: (T) => {
      const p = procArg(T);
      if (p.closed) return failWith(T, 'process is closed', 'Invalid');
      if (p.started) return failWith(T, 'process already started', 'Invalid');
      p.started = true;
      return settle(vm, T, () => p.process.start(), ok, (R, e) => failWith(R, messageOf(e), 'Internal', 'start process'));
    },
    wait: (T) => {
      const p = procArg(T);
      const refused = refuse(T, p);
      if (refused !== null) return refused;
      p.closed = true; // as in Wippy, waiting closes the process object
      p.owner.disown(p);
      return settle(
        vm,
        T,
        () => p.process.wait(),
        (R, status) => {
          if ('error' in status) return failWith(R, status.error.message, 'Internal', 'process exit');
          lua.lua_pushinteger(R, status.code);
          lua.lua_pushnil(R);
          return 2;
        },
        (R, e) => failWith(R, messageOf(e), 'Internal', 'wait process'),
      );
    },
    signal: (T) => {
      const p = procArg(T);
      const sig = lauxlib.luaL_checkinteger(T, 2);
      const refused = refuse(T, p);
      if (refused !== null) return refused;
      try {
        p.process.signal(sig);
      } catch (e) {
        return failWith(T, messageOf(e), 'Internal', 'send signal');
      }
      return ok(T);
    },
    write_stdin: (T) => {
      const p = procArg(T);
      const data = lauxlib.luaL_checklstring(T, 2) as Uint8Array;
      const refused = refuse(T, p);
      if (refused !== null) return refused;
      return settle(vm, T, () => p.process.writeStdin(data), ok, (R, e) => failWith(R, messageOf(e), 'Internal', 'write stdin'));
    },
    stdout_stream: streamMethod('stdout'),
    stderr_stream: streamMethod('stderr'),
    close: (T) => {
      const p = procArg(T);
      const force = lua.lua_gettop(T) >= 2 && lua.lua_toboolean(T, 2);
      if (!p.closed) {
        p.closed = true;
        p.owner.disown(p);
        p.process.stop(force);
      }
      return ok(T);
    },
  });

  const envOption = (T: LuaState): Record<string, string> | undefined => {
    lua.lua_getfield(T, 3, 'env');
    if (lua.lua_type(T, -1) !== lua.LUA_TTABLE) {
      lua.lua_settop(T, -2);
      return undefined;
    }
    const env: Record<string, string> = {};
    const t = lua.lua_gettop(T);
    lua.lua_pushnil(T);
    while (lua.lua_next(T, t)) {
      if (lua.lua_type(T, -2) === lua.LUA_TSTRING && (lua.lua_type(T, -1) === lua.LUA_TSTRING || lua.lua_type(T, -1) === lua.LUA_TNUMBER)) {
        const key = toJsString(T, -2);
        if (key !== '' && !key.includes('=') && !key.includes('\0')) env[key] = toJsString(T, -1);
      }
      lua.lua_settop(T, -2);
    }
    lua.lua_settop(T, -2);
    return env;
  };

  const executorMeta = metatable(vm, 'exec.Executor', {
    exec: (T) => {
      const e = executorArg(T);
      const cmd = checkJsString(T, 2);
      if (e.released) return failWith(T, 'executor is released', 'Invalid');
      if (cmd === '') return failWith(T, 'command cannot be empty', 'Invalid');
      if (!guard(T, 'exec.run', cmd)) return denied(T, vm, 'permission denied: execute command', 'Invalid');
      let workDir: string | undefined;
      let env: Record<string, string> | undefined;
      if (lua.lua_type(T, 3) === lua.LUA_TTABLE) {
        lua.lua_getfield(T, 3, 'work_dir');
        workDir = lua.lua_type(T, -1) === lua.LUA_TSTRING ? toJsString(T, -1) : undefined;
        lua.lua_settop(T, -2);
        env = envOption(T);
      }
      if (cmd.includes('\0') || (workDir ?? '').includes('\0') || Object.values(env ?? {}).some((v) => v.includes('\0'))) {
        return failWith(T, 'command, work_dir and env may not contain NUL bytes', 'Invalid');
      }
      let native: NativeProcess;
      try {
        native = e.executor.newProcess(cmd, { workDir, env });
      } catch (err) {
        if (err instanceof ExecRefused) return failWith(T, err.message, 'PermissionDenied');
        return failWith(T, messageOf(err), 'Internal', 'create process');
      }
      const proc = vm.currentProcess(T);
      const p = new Proc(native, proc);
      proc.own(p);
      pushObject(T, p, procMeta);
      lua.lua_pushnil(T);
      return 2;
    },
    release: (T) => {
      executorArg(T).released = true;
      return ok(T);
    },
  });

  const get: JSFunction = (T) => {
    const id = checkJsString(T, 1);
    if (id !== '' && !guard(T, 'exec.get', id)) return denied(T, vm, 'permission denied: access executor', 'Invalid');
    return pushResource(T, vm, resources, 'exec', (executor) => new Executor(executor), executorMeta);
  };

  vm.defineModule('exec', functionTable(vm, { get }));
}

export const execModule = luaModule({
  name: 'exec',
  description: 'Process execution',
  classes: ['io', 'process', 'nondeterministic'],
  needs: [streamModule],
  install: (vm, ctx) => installExec(vm, ctx.services.resources, ctx.api(streamModule), securityGuard(vm, ctx.services)),
});
