/**
 * The `hash` module (spec.md beside this file): digests, HMACs and FNV over the bytes of a Lua string.
 * Node's crypto does the digests; FNV is a few lines here.
 */
import { createHash, createHmac } from 'crypto';
import { lua, pushNumber, pushString, type LuaState } from '../../engine/lua';
import { refuse as fail } from '../refuse';
import type { LuaVM } from '../../engine/vm';
import type { JSFunction } from 'fengari';
import { luaModule } from '../module';
import { functionTable } from '../../engine/binding';

const bytesAt = (T: LuaState, idx: number): Uint8Array | null =>
  lua.lua_type(T, idx) === lua.LUA_TSTRING ? (lua.lua_tolstring(T, idx) as Uint8Array) : null;

function pushDigest(T: LuaState, digest: Buffer, raw: boolean): number {
  if (raw) lua.lua_pushstring(T, new Uint8Array(digest));
  else pushString(T, digest.toString('hex'));
  return 1;
}

/** FNV-1 (multiply, then xor), as Go's fnv.New32/New64, which Wippy uses. */
export function fnv1_32(data: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of data) h = (Math.imul(h, 0x01000193) ^ b) >>> 0;
  return h;
}

export function fnv1_64(data: Uint8Array): bigint {
  const mask = (1n << 64n) - 1n;
  let h = 0xcbf29ce484222325n;
  for (const b of data) h = ((h * 0x100000001b3n) & mask) ^ BigInt(b);
  return h;
}

function installHash(vm: LuaVM): void {
  const digest = (algo: string): JSFunction => (T) => {
    const data = bytesAt(T, 1);
    if (data === null) return fail(T, vm, 'data must be a string', 'Invalid');
    const raw = lua.lua_gettop(T) >= 2 && lua.lua_toboolean(T, 2);
    return pushDigest(T, createHash(algo).update(data).digest(), raw);
  };
  const hmac = (algo: string): JSFunction => (T) => {
    const data = bytesAt(T, 1);
    if (data === null) return fail(T, vm, 'data must be a string', 'Invalid');
    const secret = bytesAt(T, 2);
    if (secret === null) return fail(T, vm, 'secret must be a string', 'Invalid');
    const raw = lua.lua_gettop(T) >= 3 && lua.lua_toboolean(T, 3);
    return pushDigest(T, createHmac(algo, secret).update(data).digest(), raw);
  };
  const fnv = (bits: 32 | 64): JSFunction => (T) => {
    const data = bytesAt(T, 1);
    if (data === null) return fail(T, vm, 'data must be a string', 'Invalid');
    // Beyond 32 bits the value is a float (Fengari integers are 32-bit); 64-bit sums round as Go's float64 does.
    pushNumber(T, bits === 32 ? fnv1_32(data) : Number(fnv1_64(data)));
    return 1;
  };
  vm.defineModule(
    'hash',
    functionTable(vm, {
      md5: digest('md5'),
      sha1: digest('sha1'),
      sha256: digest('sha256'),
      sha512: digest('sha512'),
      fnv32: fnv(32),
      fnv64: fnv(64),
      hmac_sha256: hmac('sha256'),
      hmac_sha512: hmac('sha512'),
      hmac_sha1: hmac('sha1'),
      hmac_md5: hmac('md5'),
    }),
  );
}

export const hashModule = luaModule({
  name: 'hash',
  description: 'Hash functions',
  classes: ['deterministic'],
  install: (vm) => installHash(vm),
});
