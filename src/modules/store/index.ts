/**
 * The `store` module (Wippy's runtime/lua/modules/store; contract in ./spec.md): `store.get(id)` gives a Store
 * over a `store.*` entry's `store` facet (src/api/store.ts). Values are copied in and out (a table read twice
 * is two tables); calls block only the calling task. A Store is a hold on the store, released by
 * `release()` or when its process ends.
 */
import { lua, checkJsString, decodeUtf8, pushString, type LuaState } from '../../engine/lua';
import { objectArg, pushObject, type LuaTable } from '../../engine/slots';
import { exportValue, pushValue, ValueCopyError } from '../../engine/values';
import { ErrorValue, type Value } from '../../kernel/value';
import { fail, pushError } from '../errors';
import { denied, securityGuard, type Guard } from '../guard';
import { luaModule } from '../module';
import { settle } from '../settle';
import type { LuaVM } from '../../engine/vm';
import type { Resource } from '../../engine/process';
import type { Resources } from '../../api/resources';
import type { KeyValueStore, StoreHold } from '../../api/store';
import { functionTable, metatable } from '../../engine/binding';

/** A process's hold on a store. */
class StoreHandle implements Resource {
  constructor(
    readonly id: string,
    readonly store: KeyValueStore,
    private hold: StoreHold | null,
  ) {}
  get released(): boolean {
    return this.hold === null;
  }
  release(): void {
    this.hold?.release();
    this.hold = null;
  }
  dispose(): void {
    this.release();
  }
}

const DENIED_VERB = { get: 'read', set: 'write', has: 'check existence of', delete: 'delete' } as const;

function installStore(vm: LuaVM, resources: Resources | undefined, guard: Guard): void {
  const invalid = (T: LuaState, message: string): number => fail(T, vm, message, 'Invalid', { retryable: false });
  const failure = (context: string) => (T: LuaState, e: unknown): number => {
    if (e instanceof ErrorValue) return lua.lua_pushnil(T), pushError(T, vm, new ErrorValue(e.message, e.kind, e.retryable, null, null, { context })), 2;
    return fail(T, vm, e instanceof Error ? e.message : String(e), 'Internal', { context });
  };
  /**
   * The Store argument and its key when usable and the caller may `op` the key (Wippy's `store.key.<op>` on the
   * store id, the key in the metadata), else the count of the `nil, err` pushed. Wippy raises these denials;
   * here they are the call's `nil, PermissionDenied`, like every other refusal of the call.
   */
  const keyed = (T: LuaState, op: 'get' | 'set' | 'has' | 'delete'): { h: StoreHandle; key: string } | number => {
    const h = objectArg(T, 1, StoreHandle, 'store expected');
    if (h.released) return invalid(T, 'store is released');
    const key = checkJsString(T, 2);
    if (key === '') return invalid(T, 'key is required');
    if (!guard(T, `store.key.${op}`, h.id, { key })) return denied(T, vm, `not allowed to ${DENIED_VERB[op]} key: ${key}`);
    return { h, key };
  };
  const pushBoolean = (T: LuaState, b: boolean): number => (lua.lua_pushboolean(T, b), lua.lua_pushnil(T), 2);

  const storeMeta: LuaTable = metatable(vm,
    'store.Store',
    {
      get: (T) => {
        const a = keyed(T, 'get');
        if (typeof a === 'number') return a;
        return settle(vm, T, () => a.h.store.get(a.key), (R, v: Value) => (pushValue(R, v, vm), lua.lua_pushnil(R), 2), failure('store get'));
      },
      set: (T) => {
        const a = keyed(T, 'set');
        if (typeof a === 'number') return a;
        if (lua.lua_isnoneornil(T, 3)) return invalid(T, 'value is required');
        let ttlMs = 0;
        if (!lua.lua_isnoneornil(T, 4)) {
          const seconds = lua.lua_tonumber(T, 4);
          if (lua.lua_type(T, 4) !== lua.LUA_TNUMBER || !Number.isFinite(seconds)) return invalid(T, 'ttl must be a number of seconds');
          ttlMs = seconds > 0 ? seconds * 1000 : 0;
        }
        let value: Value;
        try {
          value = exportValue(T, 3);
        } catch (e) {
          if (e instanceof ValueCopyError) return invalid(T, e.message);
          throw e;
        }
        if (value === null) return invalid(T, `a ${decodeUtf8(lua.lua_typename(T, lua.lua_type(T, 3)))} value cannot be stored`);
        return settle(vm, T, () => a.h.store.set(a.key, value, ttlMs), (R) => pushBoolean(R, true), failure('store set'));
      },
      has: (T) => {
        const a = keyed(T, 'has');
        if (typeof a === 'number') return a;
        return settle(vm, T, () => a.h.store.has(a.key), pushBoolean, failure('store has'));
      },
      delete: (T) => {
        const a = keyed(T, 'delete');
        if (typeof a === 'number') return a;
        return settle(vm, T, () => a.h.store.delete(a.key), pushBoolean, failure('store delete'));
      },
      release: (T) => {
        const h = objectArg(T, 1, StoreHandle, 'store expected');
        h.release();
        vm.currentProcess(T).disown(h);
        lua.lua_pushboolean(T, true);
        return 1;
      },
    },
    {
      __tostring: (T) => {
        const h = objectArg(T, 1, StoreHandle, 'store expected');
        pushString(T, h.released ? 'store.Store{released}' : 'store.Store{}');
        return 1;
      },
    },
  );

  const get = (T: LuaState): number => {
    const id = checkJsString(T, 1);
    if (id === '') return invalid(T, 'resource id is required');
    if (!guard(T, 'store.get', id)) return denied(T, vm, `not allowed to access store: ${id}`);
    if (resources === undefined) return fail(T, vm, 'no resources in this runtime', 'Internal', { retryable: false });
    const store = resources.get(id, 'store');
    if (store instanceof ErrorValue) return lua.lua_pushnil(T), pushError(T, vm, store), 2;
    const hold = store.acquire();
    if (hold instanceof ErrorValue) return lua.lua_pushnil(T), pushError(T, vm, hold), 2;
    const handle = new StoreHandle(id, store, hold);
    vm.currentProcess(T).own(handle);
    pushObject(T, handle, storeMeta);
    lua.lua_pushnil(T);
    return 2;
  };

  vm.defineModule('store', functionTable(vm, { get }));
}

export const storeModule = luaModule({
  name: 'store',
  description: 'Key-value stores (store.memory, store.sql): get/set with TTL, has, delete, release',
  classes: ['storage', 'io', 'nondeterministic'],
  install: (vm, ctx) => installStore(vm, ctx.services.resources, securityGuard(vm, ctx.services)),
});
