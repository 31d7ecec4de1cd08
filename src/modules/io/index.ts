/**
 * The `io` module (spec.md beside this file): terminal I/O for the process a terminal host runs. Anywhere else every call
 * answers `nil, "no terminal context"`. `require("io")` gives this module; Lua's standard io is absent.
 */
import { lua, lauxlib, joinArgs, pushString, pushStringList, type LuaState } from '../../engine/lua';
import { fail } from '../errors';
import type { LuaVM } from '../../engine/vm';
import type { LuaProcess } from '../../engine/process';
import type { JSFunction } from 'fengari';
import type { Terminal } from '../../api/terminal';
import { luaModule } from '../module';
import { settle } from '../settle';
import { messageOf } from '../../lib/message';
import { functionTable } from '../../engine/binding';


const terminals = new WeakMap<LuaProcess, Terminal>();

export function attachTerminal(proc: LuaProcess, terminal: Terminal): void {
  terminals.set(proc, terminal);
}

function installIo(vm: LuaVM): void {
  /** Runs `fn` with the caller's terminal, or answers nil, "no terminal context". */
  const withTerminal = (fn: (T: LuaState, terminal: Terminal) => number): JSFunction => (T) => {
    const terminal = terminals.get(vm.currentProcess(T));
    return terminal === undefined ? fail(T, vm, 'no terminal context', 'Unavailable') : fn(T, terminal);
  };
  const blockOn = (T: LuaState, pending: Promise<string | null>): number =>
    settle(
      vm,
      T,
      () => pending,
      (R, text) => (text !== null ? (pushString(R, text), 1) : fail(R, vm, 'EOF', 'Unavailable')),
      (R, e) => fail(R, vm, messageOf(e), 'Internal'),
    );
  const ok = (T: LuaState): number => (lua.lua_pushboolean(T, true), 1);

  vm.defineModule(
    'io',
    functionTable(vm, {
      print: withTerminal((T, t) => (t.write(`${joinArgs(T, '\t')}\n`), ok(T))),
      write: withTerminal((T, t) => (t.write(joinArgs(T, '')), ok(T))),
      eprint: withTerminal((T, t) => (t.writeError(`${joinArgs(T, '\t')}\n`), ok(T))),
      readline: withTerminal((T, t) => blockOn(T, t.readLine())),
      read: withTerminal((T, t) => blockOn(T, t.read(lauxlib.luaL_optinteger(T, 1, 1024)))),
      flush: withTerminal((T) => ok(T)),
      raw: withTerminal((T) => ok(T)),
      args: withTerminal((T, t) => (pushStringList(T, t.args), 1)),
    }),
  );
}

export const ioModule = luaModule({
  name: 'io',
  description: 'Terminal input and output',
  classes: ['process'],
  install: (vm) => installIo(vm),
});
