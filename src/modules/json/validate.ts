/**
 * `json.validate` / `json.validate_string`: JSON Schema (draft 2020-12, Ajv) as Wippy's json module does it.
 * A schema table is encoded with json's own encoder first (so `{}` is `[]` there too, as in Wippy); compiled
 * schemas are cached by their text (100 entries, oldest dropped first).
 */
import type Ajv2020 from 'ajv/dist/2020';
import type { ValidateFunction } from 'ajv/dist/2020';
import { lua, type LuaState } from '../../engine/lua';
import { pushError } from '../errors';
import { luaToPlain } from '../../engine/plain';
import { encodeAt } from './codec';
import { ErrorValue } from '../../kernel/value';
import type { LuaVM } from '../../engine/vm';
import { cachedRegex, RegexError } from '../../lib/regex';
import { checkpointed } from '../../lib/checkpoint';
import { BoundedMap } from '../../util/bounded-map';

const CACHE_SIZE = 100;

/** Ajv's pattern engine: the runtime's one matcher; a pattern that does not compile fails the schema. */
const RE2_ENGINE = Object.assign(
  (pattern: string): { test(s: string): boolean } => {
    const re = cachedRegex(pattern);
    if (re instanceof RegexError) throw new Error(`pattern ${JSON.stringify(pattern)}: ${re.message}`);
    return re;
  },
  { code: 'wispRegExp' },
);

export function makeValidators(vm: LuaVM): { validate(T: LuaState): number; validateString(T: LuaState): number } {
  let made: Ajv2020 | null = null;
  /** Loaded and built on first use: requiring Ajv costs ~80 ms, and most programs never validate. */
  const ajv = (): Ajv2020 => {
    if (made === null) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { default: Ajv } = require('ajv/dist/2020') as typeof import('ajv/dist/2020');
      // Patterns are RE2 (Wippy's Go validator), matched in linear time by the one matcher (src/lib/regex.ts).
      made = new Ajv({ strict: false, allErrors: true, validateFormats: false, allowMatchingProperties: true, code: { regExp: RE2_ENGINE } });
    }
    return made;
  };
  const cache = new BoundedMap<string, ValidateFunction>(CACHE_SIZE);
  const refuse = (T: LuaState, message: string): number => {
    lua.lua_pushboolean(T, false);
    pushError(T, vm, new ErrorValue(message, 'Invalid', false));
    return 2;
  };
  const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

  /** The compiled schema at index 1, or an error message. */
  const schemaAt = (T: LuaState): ValidateFunction | string => {
    let text: string;
    if (lua.lua_type(T, 1) === lua.LUA_TSTRING) text = Buffer.from(lua.lua_tolstring(T, 1) as Uint8Array).toString('utf8');
    else if (lua.lua_type(T, 1) === lua.LUA_TTABLE) {
      try {
        text = encodeAt(T, 1);
      } catch (e) {
        return `schema error: ${message(e)}`;
      }
    } else return 'schema error: schema must be a string or table';
    const known = cache.get(text);
    if (known !== undefined) return known;
    try {
      const fn = ajv().compile(JSON.parse(text) as object);
      cache.set(text, fn);
      return fn;
    } catch (e) {
      return `compile schema: ${message(e)}`;
    }
  };
  const check = (T: LuaState, fn: ValidateFunction, data: unknown): number => {
    if (fn(data)) {
      lua.lua_pushboolean(T, true);
      return 1;
    }
    return refuse(T, `validation failed: ${ajv().errorsText(fn.errors, { dataVar: '' })}`);
  };

  // Converting the data and validating it are long host work on a large value: the runaway guard watches both.
  const watched = (run: (T: LuaState) => number) => (T: LuaState): number => checkpointed(() => vm.checkpoint(T), () => run(T));
  return {
    validate: watched((T) => {
      if (lua.lua_isnoneornil(T, 1)) return refuse(T, 'schema is required');
      if (lua.lua_isnoneornil(T, 2)) return refuse(T, 'data is required');
      lua.lua_settop(T, 2);
      const fn = schemaAt(T);
      if (typeof fn === 'string') return refuse(T, fn);
      let data: unknown;
      try {
        // As in Wippy: a table without array part is checked as an object, anything else through its JSON.
        data = lua.lua_type(T, 2) === lua.LUA_TTABLE && lua.lua_rawlen(T, 2) === 0 ? luaToPlain(T, 2) : JSON.parse(encodeAt(T, 2));
      } catch (e) {
        return refuse(T, `convert data: ${message(e)}`);
      }
      return check(T, fn, data);
    }),
    validateString: watched((T) => {
      if (lua.lua_isnoneornil(T, 1)) return refuse(T, 'schema is required');
      if (lua.lua_type(T, 2) !== lua.LUA_TSTRING) return refuse(T, 'data must be a JSON string');
      lua.lua_settop(T, 2);
      const fn = schemaAt(T);
      if (typeof fn === 'string') return refuse(T, fn);
      let data: unknown;
      try {
        data = JSON.parse(Buffer.from(lua.lua_tolstring(T, 2) as Uint8Array).toString('utf8'));
      } catch (e) {
        return refuse(T, `validation failed: ${message(e)}`);
      }
      return check(T, fn, data);
    }),
  };
}
