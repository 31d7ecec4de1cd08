/**
 * The `security` module (spec.md beside this file): the running process's actor and scope, permission checks,
 * the registry's policies and named scopes, new actors and scopes, and token stores. Every object is
 * immutable; a process's actor and scope change only by being handed to what it calls or spawns.
 */
import { lua, lauxlib, checkJsString, pushString, raise, type LuaState } from '../../engine/lua';
import { argObject, pushObject, type LuaTable } from '../../engine/slots';
import { exportValue } from '../../engine/values';
import { ErrorValue, Table, type Value } from '../../kernel/value';
import { Actor, ConditionPolicy, ExprPolicy, NO_META, Scope, isAllowed, type Meta, type Policy } from '../../lib/security';
import { parseDuration } from '../../lib/duration';
import { pushError } from '../errors';
import { refuse } from '../refuse';
import { settle } from '../settle';
import { securityGuard } from '../guard';
import { luaModule } from '../module';
import type { LuaVM } from '../../engine/vm';
import type { ModuleServices } from '../../api/services';
import type { TokenStore } from '../../api/security';
import '../../api/security';
import { functionTable, metatable } from '../../engine/binding';
import { valueToPlain, pushPlain } from '../../engine/plain';

/** A token store as Lua holds it: usable until `close`. */
class TokenStoreHandle {
  closed = false;

  constructor(
    readonly id: string,
    readonly store: TokenStore,
  ) {}
}

/** Wippy's policies are the registry's; wisp makes no others, so a Policy userdata is one of these. */
function isPolicy(x: unknown): x is Policy {
  return x instanceof ConditionPolicy || x instanceof ExprPolicy;
}

/**
 * The most metadata an actor or a token carries, as JSON. Actors live outside any process's counted memory
 * (they travel with calls and spawns), so a script cannot make them large.
 */
export const MAX_META_BYTES = 64 * 1024;

/** A metadata table's string keys, as plain data (other keys are ignored, as in Wippy); nil or absent: none. */
function metaAt(T: LuaState, idx: number): Meta {
  if (lua.lua_isnoneornil(T, idx)) return NO_META;
  lauxlib.luaL_checktype(T, idx, lua.LUA_TTABLE);
  return metaOf(T, exportValue(T, idx), idx);
}

function metaOf(T: LuaState, t: Value, idx: number): Meta {
  if (!(t instanceof Table)) return NO_META;
  const out: Record<string, unknown> = {};
  for (const [k, v] of t.map) if (typeof k === 'string') out[k] = valueToPlain(v, { maxDepth: 64 });
  if (JSON.stringify(out).length > MAX_META_BYTES) return lauxlib.luaL_argerror(T, idx, `metadata larger than ${MAX_META_BYTES} bytes`);
  return Object.freeze(out);
}

function installSecurity(vm: LuaVM, services: ModuleServices): void {
  const guard = securityGuard(vm, services);
  let actorMeta: LuaTable;
  let scopeMeta: LuaTable;
  let policyMeta: LuaTable;
  let storeMeta: LuaTable;

  const pushActor = (T: LuaState, a: Actor): number => (pushObject(T, a, actorMeta), 1);
  const pushScope = (T: LuaState, s: Scope): number => (pushObject(T, s, scopeMeta), 1);
  const pushPolicy = (T: LuaState, p: Policy): number => (pushObject(T, p, policyMeta), 1);
  const checkActor = (T: LuaState, n: number): Actor => {
    const a = argObject(T, n);
    return a instanceof Actor ? a : lauxlib.luaL_argerror(T, n, 'Actor expected');
  };
  const checkScope = (T: LuaState, n: number): Scope => {
    const s = argObject(T, n);
    return s instanceof Scope ? s : lauxlib.luaL_argerror(T, n, 'Scope expected');
  };
  const checkPolicy = (T: LuaState, n: number): Policy => {
    const p = argObject(T, n);
    return isPolicy(p) ? p : lauxlib.luaL_argerror(T, n, 'Policy expected');
  };
  const checkStore = (T: LuaState): TokenStoreHandle => {
    const s = argObject(T, 1);
    return s instanceof TokenStoreHandle ? s : lauxlib.luaL_argerror(T, 1, 'TokenStore expected');
  };
  /** A policy named by id string, Policy, or `{ns=..., name=...}` (Wippy's three forms). */
  const policyIdAt = (T: LuaState, n: number): string => {
    if (lua.lua_type(T, n) === lua.LUA_TSTRING) return checkJsString(T, n);
    const p = argObject(T, n);
    if (isPolicy(p)) return p.id;
    if (lua.lua_type(T, n) === lua.LUA_TTABLE) {
      const t = exportValue(T, n);
      if (t instanceof Table) {
        const ns = t.get('ns');
        const name = t.get('name');
        if (typeof ns === 'string' && typeof name === 'string') return `${ns}:${name}`;
      }
      return lauxlib.luaL_argerror(T, n, 'table must have ns and name fields');
    }
    return lauxlib.luaL_argerror(T, n, 'policy id, Policy or {ns, name} table expected');
  };
  const evaluateWith = (T: LuaState, evaluate: (a: Actor, action: string, resource: string, meta: Meta) => string): number => {
    const actor = checkActor(T, 2);
    const action = checkJsString(T, 3);
    const resource = checkJsString(T, 4);
    pushString(T, evaluate(actor, action, resource, metaAt(T, 5)));
    return 1;
  };
  const current = (T: LuaState) => vm.currentProcess(T).security;

  actorMeta = metatable(vm,
    'security.Actor',
    {
      id: (T) => (pushString(T, checkActor(T, 1).id), 1),
      meta: (T) => (pushPlain(T, checkActor(T, 1).meta, vm), 1),
    },
    { __tostring: (T) => (pushString(T, `Actor{${checkActor(T, 1).id}}`), 1) },
  );

  policyMeta = metatable(vm,
    'security.Policy',
    {
      id: (T) => (pushString(T, checkPolicy(T, 1).id), 1),
      evaluate: (T) => {
        const p = checkPolicy(T, 1);
        return evaluateWith(T, (a, action, resource, meta) => p.evaluate(a, action, resource, meta));
      },
    },
    { __tostring: (T) => (pushString(T, `Policy{${checkPolicy(T, 1).id}}`), 1) },
  );

  scopeMeta = metatable(vm,
    'security.Scope',
    {
      with: (T) => {
        const s = checkScope(T, 1);
        const p = checkPolicy(T, 2);
        if (!guard(T, 'security.scope.create', 'with')) return raise(T, 'not allowed to add policy to scope');
        return pushScope(T, s.with(p));
      },
      without: (T) => {
        const s = checkScope(T, 1);
        const id = policyIdAt(T, 2);
        if (!guard(T, 'security.scope.create', 'without')) return raise(T, 'not allowed to remove policy from scope');
        return pushScope(T, s.without(id));
      },
      evaluate: (T) => {
        const s = checkScope(T, 1);
        return evaluateWith(T, (a, action, resource, meta) => s.evaluate(a, action, resource, meta));
      },
      contains: (T) => {
        const s = checkScope(T, 1);
        lua.lua_pushboolean(T, s.contains(policyIdAt(T, 2)));
        return 1;
      },
      policies: (T) => {
        const list = checkScope(T, 1).policies();
        lua.lua_createtable(T, list.length, 0);
        list.forEach((p, i) => {
          pushPolicy(T, p);
          lua.lua_rawseti(T, -2, i + 1);
        });
        return 1;
      },
    },
    { __tostring: (T) => (pushString(T, `Scope{${checkScope(T, 1).size} policies}`), 1) },
  );

  /** `nils` nils, then an error: the shape of a token store operation's failure. */
  const failWith = (T: LuaState, nils: number, message: string, kind: 'Internal' | 'Invalid'): number => {
    for (let i = 0; i < nils; i++) lua.lua_pushnil(T);
    pushError(T, vm, new ErrorValue(message, kind, false));
    return nils + 1;
  };
  /** Nils then the error, as the token store's operation `what` reports a failure (Wippy wraps them Internal). */
  const storeFailure = (nils: number, what: string) => (T: LuaState, e: unknown): number => {
    for (let i = 0; i < nils; i++) lua.lua_pushnil(T);
    const cause = e instanceof ErrorValue ? e.message : String(e);
    pushError(T, vm, new ErrorValue(`${what}: ${cause}`, 'Internal', false));
    return nils + 1;
  };
  const unwrap = async <V>(p: Promise<V | ErrorValue>): Promise<V> => {
    const v = await p;
    if (v instanceof ErrorValue) throw v;
    return v;
  };

  storeMeta = metatable(vm,
    'security.TokenStore',
    {
      validate: (T) => {
        const h = checkStore(T);
        const token = checkJsString(T, 2);
        if (h.closed) return failWith(T, 2, 'token store is closed', 'Internal');
        if (!guard(T, 'security.token.validate', h.id)) return failWith(T, 2, 'not allowed to validate token', 'Invalid');
        return settle(vm, T, () => unwrap(h.store.validate(token)), (R, grant) => (pushActor(R, grant.actor), pushScope(R, grant.scope), lua.lua_pushnil(R), 3), storeFailure(2, 'validate token'));
      },
      create: (T) => {
        const h = checkStore(T);
        const actor = checkActor(T, 2);
        const scope = checkScope(T, 3);
        if (h.closed) return failWith(T, 1, 'token store is closed', 'Internal');
        let expirationMs = 0;
        let meta: Meta = NO_META;
        if (!lua.lua_isnoneornil(T, 4)) {
          lauxlib.luaL_checktype(T, 4, lua.LUA_TTABLE);
          const opts = exportValue(T, 4);
          if (opts instanceof Table) {
            const exp = opts.get('expiration');
            const ms = expirationOf(exp);
            if (ms === null) return refuse(T, vm, 'invalid expiration format', 'Invalid');
            expirationMs = ms;
            meta = metaOf(T, opts.get('meta'), 4);
          }
        }
        if (!guard(T, 'security.token.create', h.id, meta)) return refuse(T, vm, 'not allowed to create token', 'Invalid');
        return settle(vm, T, () => unwrap(h.store.create(actor, scope, expirationMs, meta)), (R, token) => (pushString(R, token), lua.lua_pushnil(R), 2), storeFailure(1, 'create token'));
      },
      revoke: (T) => {
        const h = checkStore(T);
        const token = checkJsString(T, 2);
        if (h.closed) return failWith(T, 1, 'token store is closed', 'Internal');
        if (!guard(T, 'security.token.revoke', h.id)) return refuse(T, vm, 'not allowed to revoke token', 'Invalid');
        return settle(vm, T, () => unwrap(h.store.revoke(token)), (R) => (lua.lua_pushboolean(R, true), lua.lua_pushnil(R), 2), storeFailure(1, 'revoke token'));
      },
      close: (T) => {
        checkStore(T).closed = true;
        lua.lua_pushboolean(T, true);
        return 1;
      },
    },
    { __tostring: (T) => (pushString(T, `TokenStore{${checkStore(T).id}}`), 1) },
  );

  const noRegistry = (T: LuaState): number => refuse(T, vm, 'security registry not found', 'Internal');

  vm.defineModule(
    'security',
    functionTable(vm, {
      actor: (T) => {
        const a = current(T)?.actor ?? null;
        return a === null ? (lua.lua_pushnil(T), 1) : pushActor(T, a);
      },
      scope: (T) => {
        const s = current(T)?.scope ?? null;
        return s === null ? (lua.lua_pushnil(T), 1) : pushScope(T, s);
      },
      can: (T) => {
        const action = checkJsString(T, 1);
        const resource = checkJsString(T, 2);
        const meta = metaAt(T, 3);
        const c = current(T);
        // Unlike the modules' checks, `can` answers for this context only: no actor or scope, no permission.
        lua.lua_pushboolean(T, c !== null && c.actor !== null && c.scope !== null && isAllowed(c, true, action, resource, meta));
        return 1;
      },
      policy: (T) => {
        const id = checkJsString(T, 1);
        if (!guard(T, 'security.policy.get', id)) return refuse(T, vm, 'permission denied: access policy', 'Invalid');
        const book = services.security;
        if (book === undefined) return noRegistry(T);
        const p = book.policy(id);
        if (p instanceof ErrorValue) return refuse(T, vm, `get policy: ${p.message}`, 'Internal');
        pushPolicy(T, p);
        lua.lua_pushnil(T);
        return 2;
      },
      named_scope: (T) => {
        const id = checkJsString(T, 1);
        if (!guard(T, 'security.policy_group.get', id)) return refuse(T, vm, 'permission denied: access policy group', 'Invalid');
        const book = services.security;
        if (book === undefined) return noRegistry(T);
        const s = book.group(id);
        if (s instanceof ErrorValue) return refuse(T, vm, `get policy group: ${s.message}`, 'Internal');
        pushScope(T, s);
        lua.lua_pushnil(T);
        return 2;
      },
      new_scope: (T) => {
        if (!guard(T, 'security.scope.create', 'custom')) return raise(T, 'not allowed to create custom scopes');
        if (lua.lua_isnoneornil(T, 1)) return pushScope(T, Scope.EMPTY);
        lauxlib.luaL_checktype(T, 1, lua.LUA_TTABLE);
        const policies: Policy[] = [];
        lua.lua_pushnil(T);
        while (lua.lua_next(T, 1)) {
          const p = argObject(T, lua.lua_gettop(T));
          if (isPolicy(p)) policies.push(p);
          lua.lua_settop(T, -2);
        }
        return pushScope(T, Scope.of(policies));
      },
      new_actor: (T) => {
        const id = checkJsString(T, 1);
        if (!guard(T, 'security.actor.create', id)) return raise(T, `not allowed to create actor with ID: ${id}`);
        return pushActor(T, new Actor(id, metaAt(T, 2)));
      },
      token_store: (T) => {
        const id = checkJsString(T, 1);
        if (id === '') return refuse(T, vm, 'token store id is required', 'Invalid');
        if (!guard(T, 'security.token_store.get', id)) return refuse(T, vm, 'permission denied: access token store', 'Invalid');
        const resources = services.resources;
        if (resources === undefined) return refuse(T, vm, 'resource registry not found', 'Internal');
        const store = resources.get(id, 'token_store');
        if (store instanceof ErrorValue) return refuse(T, vm, `acquire token store: ${store.message}`, 'Internal');
        pushObject(T, new TokenStoreHandle(id, store), storeMeta);
        lua.lua_pushnil(T);
        return 2;
      },
    }),
  );
}

/** `expiration`: milliseconds, or a Go duration string; absent is 0 (the store's default); null when invalid. */
function expirationOf(v: Value): number | null {
  if (v === null) return 0;
  if (typeof v === 'number') return v >= 0 && Number.isFinite(v) ? v : null;
  if (typeof v === 'string') {
    try {
      const ns = parseDuration(v);
      return ns >= 0 ? ns / 1e6 : null;
    } catch {
      return null;
    }
  }
  return null;
}

export const securityModule = luaModule({
  name: 'security',
  description: 'Security actors, scopes, and policies',
  classes: ['security', 'nondeterministic'],
  install: (vm, ctx) => installSecurity(vm, ctx.services),
});
