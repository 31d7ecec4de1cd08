/**
 * The `expr` module (spec.md beside this file): expr-lang expressions from Lua, over the library in
 * src/lib/expr. `eval` keeps compiled programs in a bounded LRU cache, as Wippy's does.
 */
import { checkpointed } from '../../lib/checkpoint';
import { lauxlib, lua, checkJsString, type LuaState } from '../../engine/lua';
import { argObject, pushObject, type LuaTable } from '../../engine/slots';
import type { LuaVM } from '../../engine/vm';
import { compile, ExprError, EvalError, goType, type Program, type Value } from '../../lib/expr';
import { fail } from '../errors';
import { luaModule } from '../module';
import { ConvertError, pushResult, valueAt } from './convert';
import { functionTable, metatable } from '../../engine/binding';

/** Wippy's cache capacity; sources are also bounded in total so a script cannot pin much memory. */
const CACHE_ENTRIES = 1000;
const CACHE_SOURCE_CHARS = 1 << 20;

/** Compiled programs by source, least recently used first. */
class ProgramCache {
  private readonly programs = new Map<string, Program>();
  private chars = 0;

  get(source: string): Program | undefined {
    const p = this.programs.get(source);
    if (p !== undefined) {
      this.programs.delete(source);
      this.programs.set(source, p);
    }
    return p;
  }

  set(source: string, program: Program): void {
    if (source.length > CACHE_SOURCE_CHARS / 16) return;
    this.programs.set(source, program);
    this.chars += source.length;
    while (this.programs.size > CACHE_ENTRIES || this.chars > CACHE_SOURCE_CHARS) {
      const oldest = this.programs.keys().next().value as string;
      this.programs.delete(oldest);
      this.chars -= oldest.length;
    }
  }
}

const cache = new ProgramCache();

/** A compiled program as Lua holds it. */
class ProgramHandle {
  constructor(readonly program: Program) {}
}

function installExpr(vm: LuaVM): void {
  const internal = (T: LuaState, message: string, context: string): number => fail(T, vm, message, 'Internal', { context, retryable: false });
  const invalid = (T: LuaState, message: string): number => fail(T, vm, message, 'Invalid', { retryable: false });

  /** The optional env argument, or null; a ConvertError becomes the caller's error. */
  const envAt = (T: LuaState, idx: number): Value => (lua.lua_isnoneornil(T, idx) ? null : valueAt(T, idx));

  const run = (T: LuaState, program: Program, env: Value, context: string): number => {
    let result: Value;
    try {
      result = checkpointed(() => vm.checkpoint(T), () => program.run(env)); // its `matches` report to the runaway guard
    } catch (e) {
      if (e instanceof ExprError || e instanceof EvalError) return internal(T, e.message, context);
      throw e;
    }
    const top = lua.lua_gettop(T);
    try {
      pushResult(T, result);
    } catch (e) {
      lua.lua_settop(T, top);
      if (e instanceof EvalError) return internal(T, e.message, 'failed to convert result');
      throw e;
    }
    lua.lua_pushnil(T);
    return 2;
  };

  /** Compiles or reports; `env` is the compile-time type hint (Go's expr.Env takes a map only). */
  const compileOrFail = (T: LuaState, source: string, env: Value): Program | number => {
    if (env !== null && !(env instanceof Map)) return internal(T, `unknown type ${goType(env)}`, 'compile failed');
    try {
      return compile(source, { env });
    } catch (e) {
      if (e instanceof ExprError) return internal(T, e.message, 'compile failed');
      throw e;
    }
  };

  /** The env argument converted, or the number of results of the `nil, err` pushed instead. */
  const converted = (T: LuaState, idx: number, context: string): { env: Value } | { failed: number } => {
    try {
      return { env: envAt(T, idx) };
    } catch (e) {
      if (e instanceof ConvertError) return { failed: internal(T, e.message, context) };
      throw e;
    }
  };

  const programMeta: LuaTable = metatable(vm, 'expr.Program', {
    run: (T) => {
      const handle = argObject(T, 1);
      if (!(handle instanceof ProgramHandle)) return lauxlib.luaL_argerror(T, 1, 'expected expr.Program');
      const arg = converted(T, 2, 'run failed');
      if ('failed' in arg) return arg.failed;
      return run(T, handle.program, arg.env, 'run failed');
    },
  });

  vm.defineModule(
    'expr',
    functionTable(vm, {
      compile: (T) => {
        const source = checkJsString(T, 1);
        if (source === '') return invalid(T, 'expression cannot be empty');
        const arg = converted(T, 2, 'compile failed');
        if ('failed' in arg) return arg.failed;
        const program = compileOrFail(T, source, arg.env);
        if (typeof program === 'number') return program;
        pushObject(T, new ProgramHandle(program), programMeta);
        lua.lua_pushnil(T);
        return 2;
      },
      eval: (T) => {
        const source = checkJsString(T, 1);
        if (source === '') return invalid(T, 'expression cannot be empty');
        const arg = converted(T, 2, 'eval failed');
        if ('failed' in arg) return arg.failed;
        let program = cache.get(source);
        if (program === undefined) {
          try {
            program = compile(source);
          } catch (e) {
            if (e instanceof ExprError) return internal(T, e.message, 'compile failed');
            throw e;
          }
          cache.set(source, program);
        }
        return run(T, program, arg.env, 'eval failed');
      },
    }),
  );
}

export const exprModule = luaModule({
  name: 'expr',
  description: 'Expression language evaluation',
  classes: ['deterministic'],
  install: (vm) => installExpr(vm),
});
