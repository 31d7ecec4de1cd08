/**
 * The `uuid` module (spec.md beside this file): generation (v1, v3, v4, v5, v7), validation, version, variant,
 * parse and format. Parsing accepts the forms Go's google/uuid accepts (which Wippy uses): standard, braced,
 * `urn:uuid:` and 32 bare hex digits, in any case.
 */
import { randomUUID } from 'crypto';
import { v1 as uuidV1, v3 as uuidV3, v5 as uuidV5, v7 as uuidV7 } from 'uuid';
import { lua, pushNumber, pushString, toJsString, type LuaState } from '../../engine/lua';
import { refuse } from '../refuse';
import type { LuaVM } from '../../engine/vm';
import { luaModule } from '../module';
import { functionTable, pushRecord } from '../../engine/binding';

/** The 16 bytes of a UUID string, or null when it is not one. */
export function parseUuid(s: string): Uint8Array | null {
  let hex: string;
  if (s.length === 36) hex = dashed(s);
  else if (s.length === 38 && s[0] === '{' && s[37] === '}') hex = dashed(s.slice(1, 37));
  else if (s.length === 45 && s.slice(0, 9).toLowerCase() === 'urn:uuid:') hex = dashed(s.slice(9));
  else if (s.length === 32) hex = s;
  else return null;
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) return null;
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

function dashed(s: string): string {
  if (s[8] !== '-' || s[13] !== '-' || s[18] !== '-' || s[23] !== '-') return 'x';
  return s.replace(/-/g, '');
}

function canonical(b: Uint8Array): string {
  const h = Buffer.from(b).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Go's Variant(): the top bits of byte 8. */
export function variantOf(b: Uint8Array): string {
  const v = b[8];
  if ((v & 0xc0) === 0x80) return 'RFC4122';
  if ((v & 0xe0) === 0xc0) return 'Microsoft';
  if ((v & 0xe0) === 0xe0) return 'Future';
  return 'Reserved';
}

/** Unix seconds of a v1 (100 ns ticks since 1582-10-15) or v7 (ms since the epoch) UUID. */
export function unixSeconds(b: Uint8Array): number | null {
  const version = b[6] >> 4;
  if (version === 1) {
    const buf = Buffer.from(b);
    const ticks = (BigInt(buf.readUInt16BE(6) & 0x0fff) << 48n) | (BigInt(buf.readUInt16BE(4)) << 32n) | BigInt(buf.readUInt32BE(0));
    return Number(ticks / 10_000_000n) - 12219292800;
  }
  if (version === 7) return Math.floor(Buffer.from(b).readUIntBE(0, 6) / 1000);
  return null;
}

function installUuid(vm: LuaVM): void {
  const str = (T: LuaState, idx: number): string | null =>
    lua.lua_type(T, idx) === lua.LUA_TSTRING ? Buffer.from(lua.lua_tolstring(T, idx) as Uint8Array).toString('latin1') : null;
  const ok = (T: LuaState, s: string): number => (pushString(T, s), 1);
  /** The UUID argument at 1, or a pushed `nil, err` (the number of results) when it is not one. */
  const uuidArg = (T: LuaState): Uint8Array | number => {
    const s = str(T, 1);
    if (s === null) return refuse(T, vm, 'input must be a string', 'Invalid');
    return parseUuid(s) ?? refuse(T, vm, 'invalid UUID format', 'Invalid');
  };
  const named = (make: (name: Uint8Array, ns: string) => string) => (T: LuaState): number => {
    if (lua.lua_gettop(T) < 2 || str(T, 1) === null || str(T, 2) === null)
      return refuse(T, vm, 'namespace and name must be strings', 'Invalid');
    const ns = parseUuid(str(T, 1) as string);
    if (ns === null) return refuse(T, vm, 'invalid namespace UUID', 'Invalid');
    return ok(T, make(new Uint8Array(lua.lua_tolstring(T, 2) as Uint8Array), canonical(ns)));
  };
  vm.defineModule(
    'uuid',
    functionTable(vm, {
      v1: (T) => ok(T, uuidV1()),
      v3: named((name, ns) => uuidV3(name, ns)),
      v4: (T) => ok(T, randomUUID()),
      v5: named((name, ns) => uuidV5(name, ns)),
      v7: (T) => ok(T, uuidV7()),
      validate: (T) => {
        const s = str(T, 1);
        lua.lua_pushboolean(T, s !== null && parseUuid(s) !== null);
        return 1;
      },
      version: (T) => {
        const b = uuidArg(T);
        return typeof b === 'number' ? b : (pushNumber(T, b[6] >> 4), 1);
      },
      variant: (T) => {
        const b = uuidArg(T);
        return typeof b === 'number' ? b : ok(T, variantOf(b));
      },
      parse: (T) => {
        const b = uuidArg(T);
        if (typeof b === 'number') return b;
        pushRecord(T, {
          version: b[6] >> 4,
          variant: variantOf(b),
          timestamp: unixSeconds(b),
          node: b[6] >> 4 === 1 ? Buffer.from(b.subarray(10)).toString('hex') : null,
        });
        return 1;
      },
      format: (T) => {
        if (str(T, 1) === null) return refuse(T, vm, 'input must be a string', 'Invalid');
        const format = lua.lua_type(T, 2) === lua.LUA_TSTRING ? toJsString(T, 2) : 'standard';
        const b = parseUuid(str(T, 1) as string);
        if (b === null) return refuse(T, vm, 'invalid UUID format', 'Invalid');
        const id = canonical(b);
        if (format === 'simple') return ok(T, id.replace(/-/g, ''));
        if (format === 'urn') return ok(T, `urn:uuid:${id}`);
        if (format === 'standard') return ok(T, id);
        return refuse(T, vm, 'unsupported format', 'Invalid');
      },
    }),
  );
}

export const uuidModule = luaModule({
  name: 'uuid',
  description: 'UUID generation and parsing',
  classes: ['nondeterministic'],
  install: (vm) => installUuid(vm),
});
