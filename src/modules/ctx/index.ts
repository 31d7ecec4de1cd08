/**
 * The `ctx` module (spec.md beside this file): read-only access to the values a process or function call
 * was given by whoever started it, and the one place context tables from Lua become context values.
 */
import { lua, lauxlib, checkJsString, encode, toJsString, type LuaState } from '../../engine/lua';
import { exportValue, pushValue } from '../../engine/values';
import { refuse } from '../refuse';
import type { LuaVM } from '../../engine/vm';
import type { HoldsValues } from '../../engine/memory';
import { NO_CONTEXT, type ContextValues } from '../../kernel/router';
import type { JSFunction } from 'fengari';
import type { Value } from '../../kernel/value';
import { luaModule } from '../module';
import { argObject } from '../../engine/slots';
import { raise } from '../../engine/lua';
import { Actor, Scope, overlaySecurity, type SecurityContext } from '../../lib/security';
import { denied, type Guard } from '../guard';
import { functionTable } from '../../engine/binding';

/**
 * `base` overlaid with the string-keyed fields of the table at `idx` (other keys are ignored, as in Wippy).
 * Values are copied now: a later change to the table changes nothing.
 */
export function contextFrom(T: LuaState, idx: number, base: ContextValues): ContextValues {
  lauxlib.luaL_checktype(T, idx, lua.LUA_TTABLE);
  const out = new Map<string, Value>(base);
  lua.lua_pushnil(T);
  while (lua.lua_next(T, idx)) {
    if (lua.lua_type(T, -2) === lua.LUA_TSTRING) out.set(toJsString(T, -2), exportValue(T, -1));
    lua.lua_settop(T, -2);
  }
  return out;
}

/** `base` overlaid with `over` (explicit values win). */
export function mergeContext(base: ContextValues, over: ContextValues): ContextValues {
  if (over.size === 0) return base;
  if (base.size === 0) return over;
  return new Map([...base, ...over]);
}

/** What a builder (`funcs.Executor`, `process.Spawner`) passes to what it calls or spawns; immutable. */
export class CallSettings implements HoldsValues {
  /** An actor and/or scope given with `with_actor`/`with_scope` (null: the caller's pass on). */
  security: SecurityContext | null = null;

  constructor(
    readonly context: ContextValues = NO_CONTEXT,
    readonly options: ContextValues = NO_CONTEXT,
  ) {}

  /** The values it holds: memory of the process that holds the builder (the memory meter walks them). */
  forEachValue(fn: (v: Value) => void): void {
    for (const v of this.context.values()) fn(v);
    for (const v of this.options.values()) fn(v);
  }

  /** The security context the callee gets: the caller's, with what this builder was given in its place. */
  securityFor(caller: SecurityContext | null): SecurityContext | null {
    const own = this.security;
    return own === null ? caller : overlaySecurity(caller, own.actor, own.scope);
  }
}

/** How a builder's `with_*` are guarded: Wippy's `<prefix>.context` and `<prefix>.security` permissions. */
export interface SettingsGuard {
  readonly guard: Guard;
  readonly vm: LuaVM;
  /** `funcs`, `process`, `contract`. */
  readonly prefix: string;
  /** Whether a denial raises (process spawners, as in Wippy) instead of returning nil and the error. */
  readonly raises: boolean;
}

/**
 * The methods both builders share: `with_context`/`with_options` return a new builder (made by `make` from
 * the old one and the new values), `with_actor`/`with_scope` one that passes that actor or scope on (the
 * security module's objects), each allowed by the caller's own permissions.
 */
export function settingsMethods<B extends CallSettings>(
  check: (T: LuaState) => B,
  make: (from: B, context: ContextValues, options: ContextValues) => B,
  push: (T: LuaState, b: B) => number,
  guarded?: SettingsGuard,
): Record<string, JSFunction> {
  const derive = (T: LuaState, from: B, context: ContextValues, options: ContextValues, security: SecurityContext | null): number => {
    const next = make(from, context, options);
    next.security = security;
    return push(T, next);
  };
  /** Whether the caller may do `kind` (context or security); when not, what to return (or it raises). */
  const refused = (T: LuaState, kind: 'context' | 'security'): number | null => {
    if (guarded === undefined || guarded.guard(T, `${guarded.prefix}.${kind}`, kind)) return null;
    const subject = guarded.prefix === 'process' ? 'spawn processes' : guarded.prefix === 'funcs' ? 'call functions' : 'use contracts';
    const message = `not allowed to ${subject} with custom ${kind === 'context' ? 'context' : 'security context'}`;
    if (guarded.raises) return raise(T, message);
    return denied(T, guarded.vm, message);
  };
  const securityArg = <S>(T: LuaState, what: 'actor' | 'scope', is: (v: unknown) => v is S): S => {
    if (lua.lua_isnoneornil(T, 2)) return lauxlib.luaL_argerror(T, 2, `${what} cannot be nil`);
    const v = argObject(T, 2);
    return is(v) ? v : lauxlib.luaL_argerror(T, 2, `${what === 'actor' ? 'Actor' : 'Scope'} expected`);
  };
  return {
    with_context: (T) => {
      const b = check(T);
      const no = refused(T, 'context');
      if (no !== null) return no;
      return derive(T, b, contextFrom(T, 2, b.context), b.options, b.security);
    },
    with_options: (T) => {
      const b = check(T);
      return derive(T, b, b.context, contextFrom(T, 2, b.options), b.security);
    },
    with_actor: (T) => {
      const b = check(T);
      const no = refused(T, 'security');
      if (no !== null) return no;
      const actor = securityArg(T, 'actor', (v): v is Actor => v instanceof Actor);
      return derive(T, b, b.context, b.options, { actor, scope: b.security?.scope ?? null });
    },
    with_scope: (T) => {
      const b = check(T);
      const no = refused(T, 'security');
      if (no !== null) return no;
      const scope = securityArg(T, 'scope', (v): v is Scope => v instanceof Scope);
      return derive(T, b, b.context, b.options, { actor: b.security?.actor ?? null, scope });
    },
  };
}

function installCtx(vm: LuaVM): void {
  const contextOf = (T: LuaState): ContextValues => vm.currentProcess(T).context;
  vm.defineModule(
    'ctx',
    functionTable(vm, {
      get: (T) => {
        const key = checkJsString(T, 1);
        if (key === '') return refuse(T, vm, 'context key must not be empty', 'Invalid');
        const values = contextOf(T);
        if (!values.has(key)) return refuse(T, vm, `context key not found: ${key}`, 'NotFound');
        pushValue(T, values.get(key) as Value, vm);
        return 1;
      },
      all: (T) => {
        const values = contextOf(T);
        lua.lua_createtable(T, 0, values.size);
        for (const [key, value] of values) {
          pushValue(T, value, vm);
          lua.lua_setfield(T, -2, encode(key));
        }
        lua.lua_pushnil(T);
        return 2;
      },
    }),
  );
}

export const ctxModule = luaModule({
  name: 'ctx',
  description: 'Call context values',
  classes: ['process'],
  install: (vm) => installCtx(vm),
});
