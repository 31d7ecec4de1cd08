/**
 * The `templates` module (spec.md beside this file): `templates.get(id)` hands out a template.set as a
 * `template.Set` userdata whose `render(name, data)` renders with Jet. Data crosses as Wippy sends it: encoded
 * to JSON by the json module's rules and decoded as Go would (numbers float64, tables maps or arrays).
 */
import { lauxlib, lua, checkJsString, pushString, type LuaState } from '../../engine/lua';
import { checkStringSize } from '../../engine/limits';
import { argObject, pushObject, type LuaTable } from '../../engine/slots';
import type { LuaVM } from '../../engine/vm';
import type { TemplateSetFacet } from '../../api/templates';
import '../../api/templates';
import type { Resources } from '../../api/resources';
import { ErrorValue } from '../../kernel/value';
import { fromJSON } from '../../lib/expr/json';
import { EvalError } from '../../lib/expr/values';
import type { Value } from '../../lib/jet';
import { encodeAt, JsonError } from '../json/codec';
import { fail } from '../errors';
import { luaModule } from '../module';
import { denied, securityGuard, type Guard } from '../guard';
import { functionTable, metatable } from '../../engine/binding';

/** One `templates.get` result: the set, until released. */
class SetHandle {
  released = false;
  constructor(readonly set: TemplateSetFacet) {}
}

/** The render data at `idx` as Jet variables (Wippy: JSON-encode the table, decode into map[string]any). */
function variablesAt(T: LuaState, idx: number): Map<string, Value> {
  if (lua.lua_isnoneornil(T, idx)) return new Map();
  const decoded = fromJSON(encodeAt(T, idx));
  return decoded instanceof Map ? (decoded as Map<string, Value>) : new Map();
}

function installTemplates(vm: LuaVM, resources: Resources | undefined, guard: Guard): void {
  const internal = (T: LuaState, message: string, context?: string): number => fail(T, vm, message, 'Internal', { context, retryable: false });

  const handleAt = (T: LuaState): SetHandle => {
    const h = argObject(T, 1);
    return h instanceof SetHandle ? h : lauxlib.luaL_argerror(T, 1, 'template.Set expected');
  };

  const setMeta: LuaTable = metatable(vm,
    'template.Set',
    {
      render: (T) => {
        const handle = handleAt(T);
        if (handle.released) return internal(T, 'template set is released');
        const name = checkJsString(T, 2);
        if (name === '') return fail(T, vm, 'template name is required', 'Invalid', { retryable: false });
        if (!lua.lua_isnoneornil(T, 3)) lauxlib.luaL_checktype(T, 3, lua.LUA_TTABLE);
        let data: Map<string, Value>;
        try {
          data = variablesAt(T, 3);
        } catch (e) {
          if (e instanceof JsonError || e instanceof EvalError) {
            return internal(T, `failed to unmarshal payload: ${e.message}`, 'failed to render template');
          }
          throw e;
        }
        const out = handle.set.render(name, data);
        if (!out.ok) {
          if (out.failure === 'not_found') return fail(T, vm, 'template not found', 'NotFound', { retryable: false });
          const what = out.failure === 'parse' ? 'failed to get compiled template' : 'template render failed';
          return internal(T, `${what}: ${out.message}`, 'failed to render template');
        }
        checkStringSize(T, out.text);
        pushString(T, out.text);
        lua.lua_pushnil(T);
        return 2;
      },
      release: (T) => {
        handleAt(T).released = true;
        lua.lua_pushboolean(T, true);
        return 1;
      },
    },
    {
      __tostring: (T) => {
        pushString(T, handleAt(T).released ? 'template.Set{released}' : 'template.Set{}');
        return 1;
      },
    },
  );

  vm.defineModule(
    'templates',
    functionTable(vm, {
      get: (T) => {
        const id = checkJsString(T, 1);
        if (id === '') return fail(T, vm, 'resource id is required', 'Invalid', { retryable: false });
        if (!guard(T, 'template.get', id)) return denied(T, vm, `not allowed to access template: ${id}`);
        if (resources === undefined) return internal(T, 'resource registry not found');
        const set = resources.get(id, 'templates');
        if (set instanceof ErrorValue) return internal(T, set.message, 'failed to acquire resource');
        pushObject(T, new SetHandle(set), setMeta);
        return 1;
      },
    }),
  );
}

export const templatesModule = luaModule({
  name: 'templates',
  description: 'Template rendering engine',
  classes: ['deterministic'],
  install: (vm, ctx) => installTemplates(vm, ctx.services.resources, securityGuard(vm, ctx.services)),
});
