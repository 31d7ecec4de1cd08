/**
 * The `eval_runner` module (spec.md beside this file): Lua source run as a separate process in the caller's
 * VM, with only the modules it is given. `compile` checks a program; `run` compiles and runs it, blocking
 * the calling coroutine until it ends. The evaluated process is the caller's: it ends with the caller, and it
 * has the engine's preemption, memory limit and a bound on its resumes, as Wippy's eval host bounds steps.
 */
import { lauxlib, lua, checkJsString, pushString, pushStringList, toJsString, type LuaState } from '../../engine/lua';
import { argInstance, pushObject, pushSlot, type LuaTable } from '../../engine/slots';
import { exportValue, pushValue } from '../../engine/values';
import { LuaProcess, type ProcessSpec, type Resource } from '../../engine/process';
import type { Outcome } from '../../kernel/message';
import { LuaSyntaxError, type CompiledChunk } from '../../engine/loader';
import type { LuaVM } from '../../engine/vm';
import { ErrorValue, type Value } from '../../kernel/value';
import { NO_CONTEXT } from '../../kernel/router';
import { displayPath, isLuaEntry, type RegistryStore } from '../../registry';
import { mergeContext } from '../ctx';
import { fail } from '../errors';
import { luaModule, type LuaModule, type ModuleClass } from '../module';
import { functionTable, metatable, setDataField } from '../../engine/binding';

/** Classes eval'd code may not use unless the run allows them (Wippy's evalhost.ForbiddenClasses). */
const FORBIDDEN: readonly ModuleClass[] = ['process', 'storage', 'network'];

/** How many times an evaluated process may be resumed (Wippy's maxEvalSteps); each resume runs at most a slice. */
export const EVAL_LIMITS = { steps: 10_000 };

/** A compiled program: its source checked, its method and modules settled. */
class Program {
  constructor(
    readonly source: string,
    readonly method: string,
    readonly modules: readonly string[],
  ) {}
}

/** What `compile` and `run` read from their options. */
interface Options {
  modules: string[] | null;
  imports: Map<string, string>;
  allowClasses: string[];
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** An evaluated process: counts its resumes and is stopped past the bound. */
class EvalProcess extends LuaProcess {
  override taskRan(ms: number): void {
    super.taskRan(ms);
    if (this.steps > EVAL_LIMITS.steps && this.alive) this.terminate('eval exceeded maximum step limit');
  }
}

function installEvalRunner(vm: LuaVM, modules: readonly LuaModule<unknown>[], store: RegistryStore | undefined): void {
  let programMeta: LuaTable;
  const available = new Map(modules.filter((m) => !m.hidden).map((m) => [m.name, m]));

  /** The strings of the list at `idx` (a table), or null when absent. */
  const strings = (T: LuaState, idx: number, field: string): string[] | null => {
    lua.lua_getfield(T, idx, field);
    if (lua.lua_type(T, -1) !== lua.LUA_TTABLE) return lua.lua_settop(T, -2), null;
    const out: string[] = [];
    for (let i = 1; ; i++) {
      if (lua.lua_rawgeti(T, -1, i) === lua.LUA_TNIL) break;
      if (lua.lua_type(T, -1) === lua.LUA_TSTRING) out.push(toJsString(T, -1));
      lua.lua_settop(T, -2);
    }
    lua.lua_settop(T, -3);
    return out;
  };
  const stringMap = (T: LuaState, idx: number, field: string): Map<string, string> => {
    const out = new Map<string, string>();
    lua.lua_getfield(T, idx, field);
    if (lua.lua_type(T, -1) === lua.LUA_TTABLE) {
      lua.lua_pushnil(T);
      while (lua.lua_next(T, -2)) {
        if (lua.lua_type(T, -2) === lua.LUA_TSTRING && lua.lua_type(T, -1) === lua.LUA_TSTRING) out.set(toJsString(T, -2), toJsString(T, -1));
        lua.lua_settop(T, -2);
      }
    }
    lua.lua_settop(T, -2);
    return out;
  };
  const optionsAt = (T: LuaState, idx: number): Options => {
    if (lua.lua_type(T, idx) !== lua.LUA_TTABLE) return { modules: null, imports: new Map(), allowClasses: [] };
    return { modules: strings(T, idx, 'modules'), imports: stringMap(T, idx, 'imports'), allowClasses: strings(T, idx, 'allow_classes') ?? [] };
  };

  /** The modules a program gets, checked against the forbidden classes (Wippy's compiler). */
  const moduleList = (options: Options): string[] | ErrorValue => {
    const allowed = (m: LuaModule<unknown>): string | null => {
      const bad = m.classes.find((c) => FORBIDDEN.includes(c) && !options.allowClasses.includes(c));
      return bad === undefined ? null : `module "${m.name}" has forbidden class "${bad}"`;
    };
    if (options.modules === null || options.modules.length === 0) return [...available.values()].filter((m) => allowed(m) === null).map((m) => m.name);
    for (const name of options.modules) {
      const m = available.get(name);
      if (m === undefined) {
        return new ErrorValue(`module "${name}" is not available (have ${available.size} modules: ${[...available.keys()].join(', ')})`, 'NotFound', false);
      }
      const problem = allowed(m);
      if (problem !== null) return new ErrorValue(problem, 'Invalid', false);
    }
    return options.modules;
  };

  /** Compiles `source` as the program's chunk; modules and imports become globals on its first line. */
  const compile = (source: string, method: string, options: Options): { program: Program; chunk: CompiledChunk } | ErrorValue => {
    const list = moduleList(options);
    if (list instanceof ErrorValue) return list;
    const globals = [...list, ...options.imports.keys()].filter((n) => IDENTIFIER.test(n)).map((n) => `${n} = require("${n}"); `);
    try {
      const chunk = vm.compile(`${globals.join('')}${source}`, 'eval');
      return { program: new Program(source, method, list), chunk };
    } catch (e) {
      if (e instanceof LuaSyntaxError) return new ErrorValue(`parse error: ${e.message}`, 'Invalid', false);
      throw e;
    }
  };

  /** The imported libraries by alias, compiled; a missing one is NotFound. */
  const importsOf = (imports: Map<string, string>): Map<string, CompiledChunk> | ErrorValue => {
    const out = new Map<string, CompiledChunk>();
    const registry = store?.current;
    for (const [alias, id] of imports) {
      const entry = registry?.get(id);
      if (registry === undefined || entry === undefined || !isLuaEntry(entry)) return new ErrorValue(`failed to import "${alias}" (${id})`, 'NotFound', false);
      try {
        out.set(alias, vm.compile(entry.source, entry.id, displayPath(registry.root, entry.sourcePath ?? entry.file)));
      } catch (e) {
        if (e instanceof LuaSyntaxError) return new ErrorValue(`failed to import "${alias}" (${id}): ${e.message}`, 'NotFound', false);
        throw e;
      }
    }
    return out;
  };

  const failed = (T: LuaState, what: 'compile' | 'run', e: ErrorValue): number =>
    fail(T, vm, `${what} failed: ${e.message}`, 'Internal', { retryable: false, context: `${what} failed` });

  const checkProgram = (T: LuaState): Program => argInstance(T, 1, Program, 'eval.runner.Program expected');
  programMeta = metatable(vm, 'eval_runner.Program', {
    method: (T) => (pushString(T, checkProgram(T).method), 1),
    modules: (T) => (pushStringList(T, checkProgram(T).modules), 1),
  });

  vm.defineModule(
    'eval_runner',
    functionTable(vm, {
      compile: (T) => {
        const source = checkJsString(T, 1);
        const method = lua.lua_isnoneornil(T, 2) ? '' : checkJsString(T, 2);
        const options = optionsAt(T, 3);
        const compiled = compile(source, method, options);
        if (compiled instanceof ErrorValue) return failed(T, 'compile', compiled);
        pushObject(T, compiled.program, programMeta);
        lua.lua_pushnil(T);
        return 2;
      },
      run: (T) => {
        lauxlib.luaL_checktype(T, 1, lua.LUA_TTABLE);
        lua.lua_getfield(T, 1, 'source');
        const source = lua.lua_type(T, -1) === lua.LUA_TSTRING ? toJsString(T, -1) : '';
        lua.lua_getfield(T, 1, 'method');
        const method = lua.lua_type(T, -1) === lua.LUA_TSTRING ? toJsString(T, -1) : '';
        lua.lua_settop(T, 1);
        if (source === '') return fail(T, vm, 'source is required', 'Invalid', { retryable: false });
        const options = optionsAt(T, 1);
        const compiled = compile(source, method, options);
        if (compiled instanceof ErrorValue) return failed(T, 'compile', compiled);
        const imports = importsOf(options.imports);
        if (imports instanceof ErrorValue) return failed(T, 'run', imports);
        const args: Value[] = [];
        lua.lua_getfield(T, 1, 'args');
        if (lua.lua_type(T, -1) === lua.LUA_TTABLE) {
          for (let i = 1; lua.lua_rawgeti(T, -1, i) !== lua.LUA_TNIL; i++) {
            args.push(exportValue(T, -1));
            lua.lua_settop(T, -2);
          }
          lua.lua_settop(T, -2);
        }
        lua.lua_settop(T, 1);
        const values = (field: string): Map<string, Value> => {
          const out = new Map<string, Value>();
          lua.lua_getfield(T, 1, field);
          if (lua.lua_type(T, -1) === lua.LUA_TTABLE) {
            lua.lua_pushnil(T);
            while (lua.lua_next(T, -2)) {
              if (lua.lua_type(T, -2) === lua.LUA_TSTRING) out.set(toJsString(T, -2), exportValue(T, -1));
              lua.lua_settop(T, -2);
            }
          }
          lua.lua_settop(T, 1);
          return out;
        };
        const context = values('context');
        const custom = values('custom_modules');

        const caller = vm.currentProcess(T);
        const task = vm.sched.current;
        if (task === null) return lauxlib.luaL_error(T, 'eval_runner outside a process');
        const spec: ProcessSpec = { entryId: 'eval', chunk: compiled.chunk, method, modules: new Set(compiled.program.modules), imports };
        const onBehalf: Resource = { dispose: () => child.terminate('eval canceled: its caller ended') };
        const child: LuaProcess = new EvalProcess(vm, spec, `${caller.name}/eval`, (result: Outcome) => {
          caller.disown(onBehalf);
          vm.sched.wake(task, (R) => {
            if (result.error !== null) return failed(R, 'run', result.error);
            pushValue(R, result.value, vm);
            lua.lua_pushnil(R);
            return 2;
          });
        });
        child.context = mergeContext(caller.context, context.size > 0 ? context : NO_CONTEXT);
        // Evaluated code acts as its caller: it cannot shed the caller's actor and scope.
        child.security = caller.security;
        // Custom modules are globals of the evaluated code, as Wippy injects them.
        for (const [name, value] of custom) {
          pushSlot(vm.L, child.env);
          setDataField(vm.L, -1, name, () => pushValue(vm.L, value, vm));
          lua.lua_settop(vm.L, -2);
        }
        caller.own(onBehalf);
        child.start((R) => {
          for (const a of args) pushValue(R, a, vm);
          return args.length;
        });
        return vm.sched.block(T);
      },
    }),
  );
}

export const evalRunnerModule = luaModule({
  name: 'eval_runner',
  description: 'Execute untrusted Lua code via dispatcher',
  classes: ['process', 'nondeterministic'],
  install: (vm, ctx) => installEvalRunner(vm, ctx.modules, ctx.services.registry),
});
