/**
 * `x.get(id)` of the modules over service entries (fs, exec): the entry's facet wrapped in the module's object,
 * or `nil, err`: an empty id is INVALID, a missing runtime INTERNAL, and the resource lookup's own error
 * (NotFound, Invalid, Unavailable) is passed on.
 */
import { checkJsString, lua, type LuaState } from '../engine/lua';
import { pushObject, type LuaTable } from '../engine/slots';
import { fail, pushError } from './errors';
import { ErrorValue } from '../kernel/value';
import type { Facets, FacetName, Resources } from '../api/resources';
import type { LuaVM } from '../engine/vm';

export function pushResource<K extends FacetName>(
  T: LuaState,
  vm: LuaVM,
  resources: Resources | undefined,
  facet: K,
  wrap: (value: Facets[K]) => object,
  meta: LuaTable,
): number {
  const id = checkJsString(T, 1);
  if (id === '') return fail(T, vm, 'resource id cannot be empty', 'Invalid', { retryable: false });
  if (resources === undefined) return fail(T, vm, 'no resources in this runtime', 'Internal', { retryable: false });
  const value = resources.get(id, facet);
  if (value instanceof ErrorValue) {
    lua.lua_pushnil(T);
    pushError(T, vm, value);
    return 2;
  }
  pushObject(T, wrap(value as Facets[K]), meta);
  lua.lua_pushnil(T);
  return 2;
}
