/**
 * The `contract` module (spec.md beside this file): `contract.definition` entries read as Contract objects,
 * and `contract.binding` entries (running as src/services/contract) opened as Instances whose methods are
 * function calls made through the funcs module's machinery: the same errors, futures, context inheritance,
 * `timeout` and `retry` options.
 */
import { lauxlib, lua, checkJsString, pushString, pushStringList, toJsString, type LuaState } from '../../engine/lua';
import { argObject, argInstance, pushObject, type LuaTable } from '../../engine/slots';
import { exportArgs } from '../../engine/values';
import type { LuaVM } from '../../engine/vm';
import '../../api/contract';
import type { Resources } from '../../api/resources';
import { NO_CONTEXT, type ContextValues } from '../../kernel/router';
import { ErrorValue, LuaFloat, type Value } from '../../kernel/value';
import { defaultBindingOf, type ContractBindingEntry, type ContractDefinitionEntry, type ContractMethod, type ContractSchema, type RegistryStore } from '../../registry';
import { CallSettings, contextFrom, settingsMethods } from '../ctx';
import { fail, pushError } from '../errors';
import { funcsModule, type FuncsApi } from '../funcs';
import { denied, securityGuard, type Guard } from '../guard';
import { luaModule } from '../module';
import { functionTable, metatable, pushRecord } from '../../engine/binding';
import { pushPlain } from '../../engine/plain';

/** A contract definition as Lua holds it, with the context and options bindings opened from it get. */
class ContractWrapper extends CallSettings {
  constructor(
    readonly definition: ContractDefinitionEntry,
    context: ContextValues = NO_CONTEXT,
    options: ContextValues = NO_CONTEXT,
  ) {
    super(context, options);
  }
}

/** An opened binding: the contracts it implements, the scope its calls carry and their options. */
class Instance {
  constructor(
    readonly binding: ContractBindingEntry,
    readonly contracts: readonly ContractDefinitionEntry[],
    readonly scope: ContextValues,
    readonly options: ContextValues,
    /** The wrapper's actor and scope given with with_actor/with_scope (null: the caller's). */
    readonly security: CallSettings | null = null,
  ) {}
}

/** `"ns:binding?key=value&..."`: the id and the query's values (Go's url.ParseQuery, first value of a key). */
export function parseBindingId(text: string): { id: string; query: Map<string, Value> | null } | ErrorValue {
  const at = text.indexOf('?');
  if (at < 0) return { id: text, query: null };
  const query = new Map<string, Value>();
  for (const part of text.slice(at + 1).split('&')) {
    if (part === '') continue;
    if (part.includes(';')) return new ErrorValue('invalid semicolon separator in query', 'Invalid', false);
    const eq = part.indexOf('=');
    let key: string;
    let value: string;
    try {
      key = decodeURIComponent((eq < 0 ? part : part.slice(0, eq)).replace(/\+/g, ' '));
      value = eq < 0 ? '' : decodeURIComponent(part.slice(eq + 1).replace(/\+/g, ' '));
    } catch {
      return new ErrorValue(`invalid URL escape in query "${part}"`, 'Invalid', false);
    }
    if (!query.has(key)) query.set(key, queryValue(value));
  }
  return { id: text.slice(0, at), query };
}

const INTEGER = /^[+-]?\d+$/;
const FLOAT = /^[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?)$/;
const SPECIAL = /^[+-]?(inf|infinity|nan)$/i;

/** As Wippy types a query value: true/false, an integer, a float, else the string. */
function queryValue(v: string): Value {
  if (v === 'true') return true;
  if (v === 'false') return false;
  if (INTEGER.test(v) && Number.isSafeInteger(Number(v))) return Number(v);
  if (FLOAT.test(v)) {
    const n = Number(v);
    return Number.isInteger(n) ? new LuaFloat(n) : n;
  }
  if (SPECIAL.test(v)) return /nan/i.test(v) ? NaN : v.startsWith('-') ? -Infinity : Infinity;
  return v;
}

const overlay = (...layers: (ContextValues | null)[]): ContextValues => {
  const out = new Map<string, Value>();
  for (const layer of layers) for (const [k, v] of layer ?? []) out.set(k, v);
  return out;
};

function installContract(vm: LuaVM, funcs: FuncsApi, store: RegistryStore | undefined, resources: Resources | undefined, guard: Guard): void {
  let wrapperMeta: LuaTable;
  let instanceMeta: LuaTable;
  const noRegistry = (T: LuaState): number => fail(T, vm, 'contract registry not found', 'Internal', { retryable: false });

  const definitionOf = (id: string): ContractDefinitionEntry | null => {
    const entry = store?.current.get(id);
    return entry !== undefined && entry.kind === 'contract.definition' ? (entry as ContractDefinitionEntry) : null;
  };

  /** The running binding `id`, or the error that says why it cannot be opened. */
  const bindingOf = (id: string): ContractBindingEntry | ErrorValue => {
    const facet = resources?.get(id, 'contract');
    if (facet === undefined || facet instanceof ErrorValue) return new ErrorValue(`contract binding '${id}' not found`, 'NotFound', false);
    return facet.binding;
  };

  /** Bindings that implement `contract` and are running, in registry order. */
  const implementationsOf = (contract: string): string[] => {
    if (store === undefined) return [];
    const ids: string[] = [];
    for (const e of store.current.entries()) {
      if (e.kind !== 'contract.binding' || !(e as ContractBindingEntry).contracts.some((c) => c.contract === contract)) continue;
      if (!(bindingOf(e.id) instanceof ErrorValue)) ids.push(e.id);
    }
    return ids;
  };

  /** Opens binding `id` (Wippy's instantiator): nil, err when it is not running or names a missing contract. */
  const open = (T: LuaState, id: string, scope: ContextValues, options: ContextValues, settings: CallSettings | null = null): number => {
    if (!guard(T, 'contract.open', id)) return denied(T, vm, `not allowed to open binding: ${id}`);
    const binding = bindingOf(id);
    if (binding instanceof ErrorValue) return lua.lua_pushnil(T), pushError(T, vm, binding), 2;
    const contracts: ContractDefinitionEntry[] = [];
    for (const bound of binding.contracts) {
      const definition = definitionOf(bound.contract);
      if (definition === null) return fail(T, vm, `failed to load contract '${bound.contract}'`, 'Internal', { retryable: true });
      contracts.push(definition);
    }
    pushObject(T, new Instance(binding, contracts, scope, options, settings), instanceMeta);
    lua.lua_pushnil(T);
    return 2;
  };

  const tableAt = (T: LuaState, idx: number): ContextValues | null => (lua.lua_type(T, idx) === lua.LUA_TTABLE ? contextFrom(T, idx, NO_CONTEXT) : null);

  const pushSchemas = (T: LuaState, schemas: readonly ContractSchema[]): void => {
    lua.lua_createtable(T, schemas.length, 0);
    schemas.forEach((s, i) => {
      pushRecord(T, { format: s.format, definition: s.definition === null ? null : () => pushPlain(T, s.definition, vm) });
      lua.lua_rawseti(T, -2, i + 1);
    });
  };

  const pushMethod = (T: LuaState, m: ContractMethod): void => {
    pushRecord(T, {
      name: m.name,
      description: m.description,
      input_schemas: m.inputSchemas.length > 0 ? () => pushSchemas(T, m.inputSchemas) : null,
      output_schemas: m.outputSchemas.length > 0 ? () => pushSchemas(T, m.outputSchemas) : null,
    });
  };


  const checkWrapper = (T: LuaState): ContractWrapper => argInstance(T, 1, ContractWrapper, 'Contract expected');
  const checkInstance = (T: LuaState): Instance => argInstance(T, 1, Instance, 'Instance expected');
  const pushWrapper = (T: LuaState, w: ContractWrapper): number => (pushObject(T, w, wrapperMeta), 1);

  wrapperMeta = metatable(vm,
    'contract.Contract',
    {
      id: (T) => (pushString(T, checkWrapper(T).definition.id), 1),
      methods: (T) => {
        const methods = checkWrapper(T).definition.methods;
        lua.lua_createtable(T, methods.length, 0);
        methods.forEach((m, i) => {
          pushMethod(T, m);
          lua.lua_rawseti(T, -2, i + 1);
        });
        return 1;
      },
      method: (T) => {
        const w = checkWrapper(T);
        const name = checkJsString(T, 2);
        const m = w.definition.methods.find((x) => x.name === name);
        if (m === undefined) {
          return fail(T, vm, `method '${name}' not found in contract '${w.definition.id}'`, 'NotFound', { retryable: false, context: 'get method failed' });
        }
        pushMethod(T, m);
        lua.lua_pushnil(T);
        return 2;
      },
      implementations: (T) => {
        const id = checkWrapper(T).definition.id;
        if (!guard(T, 'contract.implementations', id)) return denied(T, vm, `not allowed to list implementations: ${id}`);
        pushStringList(T, implementationsOf(id));
        lua.lua_pushnil(T);
        return 2;
      },
      open: (T) => {
        const w = checkWrapper(T);
        let id: string;
        let query: Map<string, Value> | null = null;
        if (!lua.lua_isnoneornil(T, 2)) {
          const parsed = parseBindingId(checkJsString(T, 2));
          if (parsed instanceof ErrorValue) return fail(T, vm, parsed.message, parsed.kind, { retryable: false, context: 'parse binding ID failed' });
          ({ id, query } = parsed);
        } else {
          if (store === undefined) return noRegistry(T);
          const found = defaultBindingOf(w.definition.id, store.current);
          if (found === null) {
            return fail(T, vm, `no default binding for contract '${w.definition.id}'`, 'NotFound', { retryable: false, context: 'no default binding' });
          }
          id = found;
        }
        // Lowest first: the query, the wrapper's context, the scope table (third also after a nil binding id).
        return open(T, id, overlay(query, w.context, tableAt(T, 3)), w.options, w.security === null ? null : w);
      },
      ...settingsMethods(checkWrapper, (from, context, options) => new ContractWrapper(from.definition, context, options), pushWrapper, { guard, vm, prefix: 'contract', raises: false }),
    },
    { __tostring: (T) => (pushString(T, `contract.Contract{${checkWrapper(T).definition.id}}`), 1) },
  );

  /** `instance:name(...)` and `instance:name_async(...)`: the bound function, called or started. */
  const methodCall =
    (instance: Instance, method: string, async: boolean) =>
    (T: LuaState): number => {
      if (argObject(T, 1) !== instance) lauxlib.luaL_argerror(T, 1, 'Instance expected (call methods with a colon)');
      if (!guard(T, 'contract.call', method)) return denied(T, vm, `not allowed to call method: ${method}`);
      const bound = instance.binding.contracts.find((c) => c.methods.has(method));
      const target = bound?.methods.get(method);
      if (bound === undefined || target === undefined) return fail(T, vm, `method '${method}' not bound`, 'NotFound', { retryable: false });
      const caller = vm.currentProcess(T).context;
      const missing = bound.contextRequired.filter((k) => !instance.scope.has(k) && !caller.has(k));
      if (missing.length > 0) return fail(T, vm, `missing required context keys: [${missing.join(', ')}]`, 'Invalid', { retryable: false });
      const args = exportArgs(T, 2);
      if (args instanceof ErrorValue) return lua.lua_pushnil(T), pushError(T, vm, args), 2;
      const security = instance.security === null ? undefined : instance.security.securityFor(vm.currentProcess(T).security);
      const call = { target, args, context: instance.scope, options: instance.options, security };
      return async ? funcs.async(T, call) : funcs.call(T, call);
    };

  instanceMeta = metatable(vm, 'contract.Instance', {}, {
    __index: (T) => {
      const instance = checkInstance(T);
      if (lua.lua_type(T, 2) !== lua.LUA_TSTRING) return lua.lua_pushnil(T), 1;
      const key = toJsString(T, 2);
      const async = key.length > 6 && key.endsWith('_async');
      const method = async ? key.slice(0, -6) : key;
      if (!instance.contracts.some((c) => c.methods.some((m) => m.name === method))) return lua.lua_pushnil(T), 1;
      lua.lua_pushcclosure(T, methodCall(instance, method, async), 0);
      return 1;
    },
    __tostring: (T) => (pushString(T, `contract.Instance{${checkInstance(T).binding.id}}`), 1),
  });

  vm.defineModule(
    'contract',
    functionTable(vm, {
      get: (T) => {
        const id = checkJsString(T, 1);
        if (!guard(T, 'contract.get', id)) return denied(T, vm, `not allowed to access contract: ${id}`);
        if (store === undefined) return noRegistry(T);
        const definition = definitionOf(id);
        if (definition === null) {
          return fail(T, vm, `contract definition '${id}' not found`, 'NotFound', { retryable: false, context: 'get contract failed' });
        }
        pushWrapper(T, new ContractWrapper(definition));
        lua.lua_pushnil(T);
        return 2;
      },
      open: (T) => {
        const parsed = parseBindingId(checkJsString(T, 1));
        if (parsed instanceof ErrorValue) return fail(T, vm, parsed.message, 'Invalid', { retryable: false, context: 'parse binding ID failed' });
        const scope = tableAt(T, 2);
        const options = tableAt(T, 3) ?? NO_CONTEXT;
        return open(T, parsed.id, overlay(parsed.query, scope), options);
      },
      find_implementations: (T) => {
        const id = checkJsString(T, 1);
        if (!guard(T, 'contract.implementations', id)) return denied(T, vm, `not allowed to list implementations: ${id}`);
        if (store === undefined) return noRegistry(T);
        pushStringList(T, implementationsOf(id));
        lua.lua_pushnil(T);
        return 2;
      },
      is: (T) => {
        lauxlib.luaL_checktype(T, 1, lua.LUA_TUSERDATA);
        const id = checkJsString(T, 2);
        const instance = argObject(T, 1);
        lua.lua_pushboolean(T, instance instanceof Instance && instance.contracts.some((c) => c.id === id));
        return 1;
      },
    }),
  );
}

export const contractModule = luaModule({
  name: 'contract',
  description: 'Contract-based interface invocation',
  classes: ['workflow', 'nondeterministic'],
  needs: [funcsModule],
  install: (vm, ctx) => installContract(vm, ctx.api(funcsModule), ctx.services.registry, ctx.services.resources, securityGuard(vm, ctx.services)),
});
