/**
 * Turns an embedder's module (module.ts) into wisp's one module shape (`luaModule`): its functions become
 * host functions that convert arguments and results, its async answers go through `settle`, its objects are
 * userdata with one metatable per type and VM.
 */
import { lauxlib, lua, pushString, type LuaState } from '../engine/lua';
import { exportValue, pushValue, ValueCopyError } from '../engine/values';
import { objectAt, pushObject, type LuaTable } from '../engine/slots';
import type { LuaVM } from '../engine/vm';
import type { JSFunction } from 'fengari';
import { ErrorValue, type Value } from '../kernel/value';
import { luaModule, type LuaModule } from '../modules/module';
import { settle } from '../modules/settle';
import { pushError } from '../modules/errors';
import { HostObject, type HostResult, type ObjectType, type WispModule } from './module';
import { fromValue, toValue } from './convert';
import { LuaError } from './values';
import { functionTable, metatable } from '../engine/binding';

type AnyHost = (...args: unknown[]) => HostResult | Promise<HostResult>;

export function toLuaModule(module: WispModule): LuaModule<unknown> {
  return luaModule({
    name: module.name,
    description: module.description,
    classes: ['nondeterministic'],
    install(vm) {
      const types = new Map<ObjectType<unknown>, LuaTable>();
      const call = hostCall(vm, types);
      const fns: Record<string, JSFunction> = {};
      for (const [name, fn] of Object.entries(module.functions)) fns[name] = (T) => call(T, 1, [], fn as AnyHost);
      vm.defineModule(module.name, functionTable(vm, fns));
    },
  });
}

/** Makes the caller of JS functions: Lua arguments from `first` on (after `leading` JS ones) in, the result out. */
function hostCall(vm: LuaVM, types: Map<ObjectType<unknown>, LuaTable>) {
  const metatableOf = (type: ObjectType<unknown>): LuaTable => {
    let mt = types.get(type);
    if (mt === undefined) {
      const call = hostCall(vm, types);
      const methods: Record<string, JSFunction> = {};
      for (const [name, method] of Object.entries(type.methods)) {
        methods[name] = (T) => {
          const self = objectAt(T, 1);
          if (!(self instanceof HostObject) || self.type !== type) return lauxlib.luaL_argerror(T, 1, `${type.name} expected (call it as obj:${name}(...))`);
          return call(T, 2, [self.value], method as AnyHost);
        };
      }
      mt = metatable(vm, type.name, methods, { __tostring: (T) => (pushString(T, type.name), 1) });
      types.set(type, mt);
    }
    return mt;
  };

  const answer = (T: LuaState, result: HostResult): number => {
    if (result instanceof HostObject) {
      pushObject(T, result, metatableOf(result.type as ObjectType<unknown>));
      return 1;
    }
    let value: Value;
    try {
      value = toValue(result ?? null);
    } catch (e) {
      return fail(T, e);
    }
    pushValue(T, value, vm);
    return 1;
  };

  const fail = (T: LuaState, e: unknown): number => {
    lua.lua_pushnil(T);
    const error = e instanceof LuaError ? new ErrorValue(e.message, e.kind, e.retryable) : new ErrorValue(e instanceof Error ? e.message : String(e));
    pushError(T, vm, error);
    return 2;
  };

  return (T: LuaState, first: number, leading: unknown[], fn: AnyHost): number => {
    const args: unknown[] = [...leading];
    const top = lua.lua_gettop(T);
    try {
      for (let i = first; i <= top; i++) {
        const obj = objectAt(T, i);
        args.push(obj instanceof HostObject ? obj.value : fromValue(exportValue(T, i)));
      }
    } catch (e) {
      if (e instanceof ValueCopyError) return fail(T, new LuaError(e.message, 'Invalid'));
      throw e;
    }
    return settle<HostResult>(vm, T, () => fn(...args), answer, fail);
  };
}
