/**
 * The `yaml` module (spec.md beside this file): encode a table (js-yaml's dumper, keys sorted as Go's yaml.v3
 * sorts map keys, `field_order` first), decode a document with the YAML 1.2 core schema plus merge keys, and
 * a bound on alias expansion so that a "billion laughs" document is refused instead of filling the heap.
 */
import yaml from 'js-yaml';
import { lua, pushNumber, type LuaState, decodeUtf8 } from '../../engine/lua';
import { luaToPlain } from '../../engine/plain';
import { checkExpansion, SCHEMA } from '../../util/yaml';
import { refuse } from '../refuse';
import type { LuaVM } from '../../engine/vm';
import { runSliced, type SlicedWork } from '../../engine/sliced';
import { luaModule } from '../module';
import { checkpointed } from '../../lib/checkpoint';
import { functionTable } from '../../engine/binding';


/**
 * The most nodes (mappings, sequences and scalars) one `yaml.decode` may parse: js-yaml parses a document in one
 * call, about 0.3–1 µs a node on the reference machine, so this keeps a decode within about 100 ms; the Lua
 * tables are then built in slices (src/engine/sliced.ts).
 */
export const MAX_DECODE_NODES = 100_000;

class TooManyNodes extends Error {}

function scalarPush(T: LuaState, v: unknown): void {
  if (v === null || v === undefined) lua.lua_pushnil(T);
  else if (typeof v === 'boolean') lua.lua_pushboolean(T, v);
  else if (typeof v === 'number') pushNumber(T, v); // beyond 32 bits an integer is a float, never a wrap
  else if (typeof v === 'string') lua.lua_pushstring(T, Buffer.from(v, 'utf8'));
  else lua.lua_pushstring(T, Buffer.from(String(v), 'utf8'));
}

/**
 * A parsed document as Lua tables, built in steps over an explicit stack (aliases make a document a DAG that
 * checkExpansion has bounded): every open table waits on T's stack, with the entries it has still to take.
 */
class PlainBuilder implements SlicedWork {
  private readonly open: { readonly entries: [unknown, unknown][] | unknown[]; i: number; readonly array: boolean }[] = [];
  private started = false;

  constructor(
    private readonly T: LuaState,
    private readonly doc: unknown,
  ) {}

  step(budget: number): boolean {
    const T = this.T;
    if (!this.started) {
      this.started = true;
      this.push(this.doc);
    }
    const open = this.open;
    for (; budget > 0 && open.length > 0; budget--) {
      const top = open[open.length - 1];
      if (top.i >= top.entries.length) {
        open.pop();
        this.store();
        continue;
      }
      const i = top.i++;
      if (top.array) this.push(top.entries[i]);
      else {
        const [k, v] = top.entries[i] as [string, unknown];
        lua.lua_pushstring(T, Buffer.from(k, 'utf8'));
        this.push(v);
      }
    }
    return open.length === 0;
  }

  /** Pushes a value: a scalar whole (stored at once in the table below), a container opened. */
  private push(v: unknown): void {
    const T = this.T;
    if (Array.isArray(v) || (typeof v === 'object' && v !== null)) {
      lua.lua_checkstack(T, 4);
      const array = Array.isArray(v);
      lua.lua_createtable(T, array ? v.length : 0, 0);
      this.open.push({ entries: array ? v : Object.entries(v), i: 0, array });
      return;
    }
    scalarPush(T, v);
    this.store();
  }

  /** Stores the value on top into the table that holds it (a document's own value stays on top). */
  private store(): void {
    const holder = this.open[this.open.length - 1];
    if (holder === undefined) return;
    if (holder.array) lua.lua_rawseti(this.T, -2, holder.i);
    else lua.lua_rawset(this.T, -3);
  }
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
    functionTable(vm, {
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
          const plain = checkpointed(() => vm.checkpoint(T), () => luaToPlain(T, 1));
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
        let nodes = 0;
        const listener = (event: string): void => {
          if (event === 'open' && ++nodes > MAX_DECODE_NODES) throw new TooManyNodes(`document has more than ${MAX_DECODE_NODES} nodes`);
        };
        try {
          doc = yaml.load(decodeUtf8(src), { schema: SCHEMA, listener });
          checkExpansion(doc);
        } catch (e) {
          return refuse(T, vm, `decode failed: ${message(e)}`, e instanceof TooManyNodes ? 'Invalid' : 'Internal');
        }
        return runSliced(vm, T, new PlainBuilder(T, doc), () => 1, (_R, e) => {
          throw e;
        });
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
