/**
 * The `env` module (spec.md beside this file): `get`, `set`, `get_all` over the runtime's env entries
 * (store.ts). Without a runtime (a bare VM) every call answers `environment registry not found`.
 */
import { lua, pushString, type LuaState } from '../../engine/lua';
import { pushError } from '../errors';
import { refuse } from '../refuse';
import { ErrorValue } from '../../kernel/value';
import type { EnvironmentAccess } from '../../api/environment';
import type { LuaVM } from '../../engine/vm';
import { luaModule } from '../module';
import { denied, securityGuard, type Guard } from '../guard';
import { functionTable } from '../../engine/binding';

function installEnv(vm: LuaVM, environment: EnvironmentAccess | undefined, guard: Guard): void {
  const namespaceOf = (T: LuaState): string => {
    const id = vm.currentProcess(T).spec.entryId;
    const colon = id.indexOf(':');
    return colon < 0 ? '' : id.slice(0, colon);
  };
  const failWith = (T: LuaState, e: ErrorValue, context: string): number => {
    lua.lua_pushnil(T);
    pushError(T, vm, new ErrorValue(`${context}: ${e.message}`, e.kind, false));
    return 2;
  };
  const keyAt = (T: LuaState): string | null => {
    if (lua.lua_type(T, 1) !== lua.LUA_TSTRING && lua.lua_type(T, 1) !== lua.LUA_TNUMBER) return null;
    return Buffer.from(lua.lua_tolstring(T, 1) as Uint8Array).toString('utf8');
  };
  vm.defineModule(
    'env',
    functionTable(vm, {
      get: (T) => {
        const key = keyAt(T);
        if (key === null || key === '') return refuse(T, vm, 'empty key', 'Invalid');
        if (!guard(T, 'env.get', key)) return denied(T, vm, `not allowed to access environment variable: ${key}`);
        if (environment === undefined) return refuse(T, vm, 'environment registry not found', 'Internal');
        const v = environment.get(key, namespaceOf(T));
        if (v instanceof ErrorValue) return failWith(T, v, 'get environment variable failed');
        pushString(T, v);
        return 1;
      },
      set: (T) => {
        const key = keyAt(T);
        if (key === null || key === '') return refuse(T, vm, 'empty key', 'Invalid');
        if (lua.lua_type(T, 2) !== lua.LUA_TSTRING && lua.lua_type(T, 2) !== lua.LUA_TNUMBER) {
          return refuse(T, vm, 'value must be a string', 'Invalid');
        }
        if (!guard(T, 'env.set', key)) return denied(T, vm, `not allowed to set environment variable: ${key}`);
        if (environment === undefined) return refuse(T, vm, 'environment registry not found', 'Internal');
        const value = Buffer.from(lua.lua_tolstring(T, 2) as Uint8Array).toString('utf8');
        const e = environment.set(key, value, namespaceOf(T));
        if (e !== null) return failWith(T, e, 'set environment variable failed');
        lua.lua_pushboolean(T, true);
        return 1;
      },
      get_all: (T) => {
        if (environment === undefined) return refuse(T, vm, 'environment registry not found', 'Internal');
        const all = environment.all();
        lua.lua_createtable(T, 0, all.size);
        for (const [k, v] of all) {
          // Only what the caller may read (as in Wippy: the others are left out, not an error).
          if (!guard(T, 'env.get', k)) continue;
          pushString(T, v);
          lua.lua_setfield(T, -2, k);
        }
        return 1;
      },
    }),
  );
}

export const envModule = luaModule({
  name: 'env',
  description: 'Environment variables',
  classes: ['nondeterministic'],
  install: (vm, ctx) => installEnv(vm, ctx.services.env, securityGuard(vm, ctx.services)),
});
