/**
 * The `base64` module (spec.md beside this file): RFC 4648 standard alphabet with padding, over bytes.
 * Decoding is strict like Go's StdEncoding (Buffer alone would accept anything): padding required, only
 * CR and LF are skipped, the error names the offending input byte.
 */
import { lua, pushString, type LuaState } from '../../engine/lua';
import { refuse as fail } from '../refuse';
import type { LuaVM } from '../../engine/vm';
import { luaModule } from '../module';
import { functionTable } from '../../engine/binding';

const ALPHABET = /^[A-Za-z0-9+/]$/;

/** The decoded bytes, or the index of the first illegal input byte. */
export function decodeStrict(input: string): Buffer | number {
  const kept: string[] = [];
  const at: number[] = [];
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (c === '\r' || c === '\n') continue;
    kept.push(c);
    at.push(i);
  }
  const n = kept.length;
  for (let i = 0; i < n; i++) {
    const c = kept[i];
    if (ALPHABET.test(c)) continue;
    // '=' may only end the last quantum: "xx==" or "xxx="
    if (c === '=' && n % 4 === 0 && i >= n - 2 && (i === n - 1 || kept[n - 1] === '=') && i % 4 >= 2) continue;
    return at[i];
  }
  if (n % 4 !== 0) return at[n - (n % 4)] ?? input.length;
  return Buffer.from(kept.join(''), 'base64');
}

function installBase64(vm: LuaVM): void {
  const stringAt = (T: LuaState): Uint8Array | null =>
    lua.lua_type(T, 1) === lua.LUA_TSTRING ? (lua.lua_tolstring(T, 1) as Uint8Array) : null;
  vm.defineModule(
    'base64',
    functionTable(vm, {
      encode: (T) => {
        const data = stringAt(T);
        if (data === null) return fail(T, vm, 'input must be a string', 'Invalid');
        pushString(T, Buffer.from(data).toString('base64'));
        return 1;
      },
      decode: (T) => {
        const data = stringAt(T);
        if (data === null) return fail(T, vm, 'input must be a string', 'Invalid');
        const r = decodeStrict(Buffer.from(data).toString('latin1'));
        if (typeof r === 'number') return fail(T, vm, `illegal base64 data at input byte ${r}`, 'Invalid');
        lua.lua_pushstring(T, new Uint8Array(r));
        return 1;
      },
    }),
  );
}

export const base64Module = luaModule({
  name: 'base64',
  description: 'Base64 encoding',
  classes: ['deterministic', 'encoding'],
  install: (vm) => installBase64(vm),
});
