/**
 * The `json` module (spec.md beside this file): encode/decode with Wippy's rules; the codec is in codec.ts.
 */
import { lua } from '../../engine/lua';
import { refuse } from '../refuse';
import { Decoder, encodeAt, JsonError } from './codec';
import { runSliced } from '../../engine/sliced';
import { checkpointed } from '../../lib/checkpoint';
import { makeValidators } from './validate';
import type { LuaVM } from '../../engine/vm';
import { luaModule } from '../module';
import { functionTable } from '../../engine/binding';

function installJson(vm: LuaVM): void {
  const validators = makeValidators(vm);
  vm.defineModule(
    'json',
    functionTable(vm, {
      encode: (T) => {
        lua.lua_settop(T, 1);
        try {
          lua.lua_pushstring(T, Buffer.from(checkpointed(() => vm.checkpoint(T), () => encodeAt(T, 1)), 'utf8'));
          return 1;
        } catch (e) {
          if (!(e instanceof JsonError)) throw e;
          lua.lua_settop(T, 1);
          return refuse(T, vm, `encode failed: ${e.message}`, 'Internal');
        }
      },
      decode: (T) => {
        if (lua.lua_type(T, 1) !== lua.LUA_TSTRING) return refuse(T, vm, 'string expected', 'Invalid');
        const src = lua.lua_tolstring(T, 1) as Uint8Array;
        if (src.length === 0) return refuse(T, vm, 'empty string is not valid JSON', 'Invalid');
        const base = lua.lua_gettop(T);
        // In slices: a large document yields between them, and what it has built so far is the process's.
        return runSliced(vm, T, new Decoder(T, src), () => 1, (R, e) => {
          if (!(e instanceof JsonError)) throw e;
          lua.lua_settop(R, base);
          return refuse(R, vm, `decode failed: ${e.message}`, 'Internal');
        });
      },
      validate: (T) => validators.validate(T),
      validate_string: (T) => validators.validateString(T),
    }),
  );
}

export const jsonModule = luaModule({
  name: 'json',
  description: 'JSON encoding, decoding and schema validation',
  classes: ['deterministic', 'encoding'],
  install: (vm) => installJson(vm),
});
