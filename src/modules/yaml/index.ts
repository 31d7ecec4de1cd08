/**
 * The `yaml` module (spec.md beside this file): encode a table (js-yaml's dumper, keys sorted as Go's yaml.v3
 * sorts map keys, `field_order` first), decode a document with the YAML 1.2 core schema plus merge keys, and
 * a bound on alias expansion so that a "billion laughs" document is refused instead of filling the heap.
 */
import yaml from 'js-yaml';
import { lua, pushNumber, type LuaState, decodeUtf8 } from '../../engine/lua';
import { toPlain } from '../plain';
import { checkExpansion, SCHEMA } from '../../util/yaml';
import { refuse } from '../refuse';
import type { LuaVM } from '../../engine/vm';
import { luaModule } from '../module';


function pushPlain(T: LuaState, v: unknown): void {
  if (v === null || v === undefined) lua.lua_pushnil(T);
  else if (typeof v === 'boolean') lua.lua_pushboolean(T, v);
  else if (typeof v === 'number') pushNumber(T, v); // beyond 32 bits an integer is a float, never a wrap
  else if (typeof v === 'string') lua.lua_pushstring(T, Buffer.from(v, 'utf8'));
  else if (Array.isArray(v)) {
    lua.lua_checkstack(T, 4);
    lua.lua_createtable(T, v.length, 0);
    v.forEach((item, i) => {
      pushPlain(T, item);
      lua.lua_rawseti(T, -2, i + 1);
    });
  } else if (typeof v === 'object') {
    lua.lua_checkstack(T, 4);
    lua.lua_createtable(T, 0, 0);
    for (const [k, item] of Object.entries(v)) {
      lua.lua_pushstring(T, Buffer.from(k, 'utf8'));
      pushPlain(T, item);
      lua.lua_rawset(T, -3);
    }
  } else lua.lua_pushstring(T, Buffer.from(String(v), 'utf8'));
}

/** One line: js-yaml's reason and position, without the source snippet it appends to `message`. */
function message(e: unknown): string {
  if (e instanceof yaml.YAMLException) {
    const mark = (e as unknown as { mark?: { line: number; column: number } }).mark;
    return mark ? `${e.reason} at line ${mark.line + 1}, column ${mark.column + 1}` : e.reason;
  }
  return e instanceof Error ? e.message : String(e);
}

function installYaml(vm: LuaVM): void {
  vm.defineModule(
    'yaml',
    vm.functionTable({
      encode: (T) => {
        if (lua.lua_type(T, 1) !== lua.LUA_TTABLE) return refuse(T, vm, 'table expected', 'Invalid');
        const fieldOrder = new Map<string, number>();
        let sortUnordered = false;
        let options = false;
        if (lua.lua_type(T, 2) === lua.LUA_TTABLE) {
          lua.lua_getfield(T, 2, 'sort_unordered');
          if (lua.lua_type(T, -1) === lua.LUA_TBOOLEAN) (sortUnordered = lua.lua_toboolean(T, -1)), (options = true);
          lua.lua_getfield(T, 2, 'field_order');
          if (lua.lua_type(T, -1) === lua.LUA_TTABLE) {
            const n = lua.lua_rawlen(T, -1);
            for (let i = 1; i <= n; i++) {
              if (lua.lua_rawgeti(T, -1, i) === lua.LUA_TSTRING) {
                const name = decodeUtf8(lua.lua_tolstring(T, -1) as Uint8Array);
                if (!fieldOrder.has(name)) fieldOrder.set(name, fieldOrder.size);
              }
              lua.lua_settop(T, -2);
            }
            options = options || fieldOrder.size > 0;
          }
          lua.lua_settop(T, 2);
        }
        try {
          const plain = toPlain(T, 1, 0, new Set());
          // Go's yaml.v3 writes map keys sorted; field_order names come first, in their order.
          const sortKeys = (a: string, b: string): number => {
            const ia = fieldOrder.get(a);
            const ib = fieldOrder.get(b);
            if (ia !== undefined || ib !== undefined) return (ia ?? Infinity) - (ib ?? Infinity) || 0;
            return sortUnordered || !options ? (a < b ? -1 : a > b ? 1 : 0) : 0;
          };
          const text = yaml.dump(plain, { indent: options ? 2 : 4, lineWidth: -1, sortKeys, noRefs: true, schema: SCHEMA });
          lua.lua_pushstring(T, Buffer.from(text, 'utf8'));
          return 1;
        } catch (e) {
          return refuse(T, vm, `encode failed: ${message(e)}`, 'Internal');
        }
      },
      decode: (T) => {
        if (lua.lua_type(T, 1) !== lua.LUA_TSTRING) return refuse(T, vm, 'string expected', 'Invalid');
        const src = lua.lua_tolstring(T, 1) as Uint8Array;
        if (src.length === 0) return refuse(T, vm, 'input cannot be empty', 'Invalid');
        let doc: unknown;
        try {
          doc = yaml.load(decodeUtf8(src), { schema: SCHEMA });
          checkExpansion(doc);
        } catch (e) {
          return refuse(T, vm, `decode failed: ${message(e)}`, 'Internal');
        }
        pushPlain(T, doc);
        return 1;
      },
    }),
  );
}

export const yamlModule = luaModule({
  name: 'yaml',
  description: 'YAML encoding and decoding',
  classes: ['deterministic', 'encoding'],
  install: (vm) => installYaml(vm),
});
