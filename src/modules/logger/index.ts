/**
 * The `logger` module (spec.md beside this file) and global `print`. The module value is a Logger userdata, used with
 * colon calls; each record carries `pid` and `location` ("<entry-id>:<line>") and goes to the runtime's sink.
 */
import { lua, lauxlib, checkJsString, pushString, raise, toJsString, tostringAt, type LuaState } from '../../engine/lua';
import { argObject, objectSlot, pushObject } from '../../engine/slots';
import { exportValue } from '../../engine/values';
import { type Value } from '../../kernel/value';
import type { LuaVM, PrintSink } from '../../engine/vm';
import type { LuaProcess } from '../../engine/process';
import type { JSFunction } from 'fengari';
import type { LogLevel, LogSink } from '../../api/logging';
import { luaModule } from '../module';
import { metatable } from '../../engine/binding';
import { valueToPlain } from '../../engine/plain';

export const SILENT: LogSink = { enabled: () => false, write: () => undefined };

class Logger {
  constructor(
    readonly name: string | null,
    readonly fields: Readonly<Record<string, unknown>>,
  ) {}
}

/** "app:relay:22" for the Lua function `level` frames up (luaL_where gives "app:relay:22: "). */
function location(T: LuaState, level: number): string {
  lauxlib.luaL_where(T, level);
  const where = toJsString(T, -1).replace(/: $/, '');
  lua.lua_settop(T, -2);
  return where;
}

/** How deep log fields are rendered (sinks serialise them with JSON.stringify, which recurses). */
const FIELD_DEPTH = 32;

function fieldsAt(T: LuaState, idx: number): Record<string, unknown> {
  if (lua.lua_type(T, idx) !== lua.LUA_TTABLE) return {};
  const plain = valueToPlain(exportValue(T, idx) as Value, { maxDepth: FIELD_DEPTH });
  return plain !== null && typeof plain === 'object' && !Array.isArray(plain) ? (plain as Record<string, unknown>) : { fields: plain };
}

/** Standard fields of every record a process writes. */
function origin(proc: LuaProcess | null, T: LuaState): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  if (proc?.kernel) fields.pid = proc.kernel.pid;
  const where = location(T, 1);
  if (where !== '') fields.location = where;
  return fields;
}

function installLogger(vm: LuaVM, sink: LogSink): PrintSink {
  const current = (T: LuaState): LuaProcess | null => (vm.sched.current === null ? null : vm.currentProcess(T));
  const checkLogger = (T: LuaState): Logger => {
    const l = argObject(T, 1);
    return l instanceof Logger ? l : lauxlib.luaL_argerror(T, 1, 'logger expected (use logger:info, with a colon)');
  };
  const method = (level: LogLevel): JSFunction => (T) => {
    const logger = checkLogger(T);
    if (!sink.enabled(level)) return 0;
    const message = tostringAt(T, 2);
    const fields = { ...origin(current(T), T), ...logger.fields, ...fieldsAt(T, 3) };
    sink.write({ level, message, logger: logger.name, fields });
    return 0;
  };
  const meta = metatable(vm,
    'logger',
    {
      debug: method('debug'),
      info: method('info'),
      warn: method('warn'),
      error: method('error'),
      with: (T) => {
        const logger = checkLogger(T);
        pushObject(T, new Logger(logger.name, { ...logger.fields, ...fieldsAt(T, 2) }), meta);
        return 1;
      },
      named: (T) => {
        const logger = checkLogger(T);
        const name = checkJsString(T, 2);
        if (name === '') return raise(T, 'name cannot be empty');
        pushObject(T, new Logger(logger.name === null ? name : `${logger.name}.${name}`, logger.fields), meta);
        return 1;
      },
    },
    { __tostring: (T) => (pushString(T, `logger(${checkLogger(T).name ?? 'root'})`), 1) },
  );
  vm.defineModule('logger', objectSlot(vm.L, new Logger(null, {}), meta));
  return (proc, text, T) => {
    if (sink.enabled('info')) sink.write({ level: 'info', message: text, logger: null, fields: origin(proc, T) });
    else sink.hiddenPrint?.(proc?.kernel?.pid ?? null);
  };
}

export const loggerModule = luaModule({
  name: 'logger',
  description: 'Structured logging',
  classes: ['process'],
  install: (vm, ctx) => {
    const print = installLogger(vm, ctx.services.logs ?? SILENT);
    if (!vm.printChosen) vm.printTo(print);
  },
});
