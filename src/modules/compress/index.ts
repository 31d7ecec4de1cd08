/**
 * The `compress` module (spec.md beside this file): gzip, deflate, zlib and brotli on node:zlib, zstd on the
 * reference library in a worker (src/lib/zstd.ts). All the work is off the main thread; decoding stops at the
 * size limit (a decompression bomb costs at most the limit), and only the calling coroutine waits.
 */
import * as zlib from 'zlib';
import { lua, type LuaState } from '../../engine/lua';
import { fail } from '../errors';
import { settle } from '../settle';
import { messageOf } from '../../lib/message';
import { cpuJobs, GeneratorWork } from '../../lib/cpu-work';
import { runSliced } from '../../engine/sliced';
import { zstdCompress, zstdDecompress, ZstdError } from '../../lib/zstd';
import { DictError, inspectDictionary, trainDictionary } from '../../lib/zstd-dict';
import { MAX_STRING_BYTES } from '../../engine/limits';
import type { LuaVM } from '../../engine/vm';
import type { JSFunction } from 'fengari';
import { luaModule } from '../module';
import { functionTable, nestTable, setField } from '../../engine/binding';

const DEFAULT_MAX_SIZE = 128 * 1024 * 1024;
const ABSOLUTE_MAX_SIZE = 1024 * 1024 * 1024;
/** Dictionary sizes train_dict accepts, and its default (Wippy's). */
const ZSTD_DICT_MIN = 256;
const ZSTD_DICT_MAX = 1024 * 1024;
const ZSTD_DICT_DEFAULT = 112 * 1024;

type ZlibFormat = 'gzip' | 'deflate' | 'zlib' | 'brotli';
type Callback = (e: Error | null, out: Buffer) => void;

const ENCODERS: Record<ZlibFormat, (data: Uint8Array, level: number, cb: Callback) => void> = {
  gzip: (d, level, cb) => zlib.gzip(d, { level }, cb),
  deflate: (d, level, cb) => zlib.deflateRaw(d, { level }, cb),
  zlib: (d, level, cb) => zlib.deflate(d, { level }, cb),
  brotli: (d, level, cb) => zlib.brotliCompress(d, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: level, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: d.length } }, cb),
};

const DECODERS: Record<ZlibFormat, (data: Uint8Array, max: number, cb: Callback) => void> = {
  gzip: (d, max, cb) => zlib.gunzip(d, { maxOutputLength: max }, cb),
  deflate: (d, max, cb) => zlib.inflateRaw(d, { maxOutputLength: max }, cb),
  zlib: (d, max, cb) => zlib.inflate(d, { maxOutputLength: max }, cb),
  brotli: (d, max, cb) => zlib.brotliDecompress(d, { maxOutputLength: max }, cb),
};

interface Levels {
  readonly min: number;
  readonly max: number;
  readonly fallback: number;
  readonly message: string;
}

const LEVELS: Record<ZlibFormat | 'zstd', Levels> = {
  gzip: { min: 1, max: 9, fallback: 6, message: 'compression level must be between 1 and 9' },
  deflate: { min: 1, max: 9, fallback: 6, message: 'compression level must be between 1 and 9' },
  zlib: { min: 1, max: 9, fallback: 6, message: 'compression level must be between 1 and 9' },
  brotli: { min: 0, max: 11, fallback: 6, message: 'brotli quality must be between 0 and 11' },
  zstd: { min: 1, max: 22, fallback: 3, message: 'zstd level must be between 1 and 22' },
};

/** Whether `data` starts as the format's header must (Go's gzip and zlib readers check it before reading). */
function headerValid(format: ZlibFormat, data: Uint8Array): boolean {
  if (format === 'gzip') return data.length >= 10 && data[0] === 0x1f && data[1] === 0x8b && data[2] === 8;
  if (format === 'zlib') return data.length >= 2 && (data[0] & 0x0f) === 8 && (data[0] >> 4) <= 7 && ((data[0] << 8) | data[1]) % 31 === 0;
  return true;
}

const numberField = (T: LuaState, name: string): number | null => {
  if (lua.lua_type(T, 2) !== lua.LUA_TTABLE) return null;
  lua.lua_getfield(T, 2, name);
  const v = lua.lua_type(T, -1) === lua.LUA_TNUMBER ? lua.lua_tonumber(T, -1) : null;
  lua.lua_settop(T, -2);
  return v;
};

function installCompress(vm: LuaVM): void {
  const invalid = (T: LuaState, message: string): number => fail(T, vm, message, 'Invalid', { retryable: false });
  const internal = (T: LuaState, message: string, context: string): number => fail(T, vm, message, 'Internal', { retryable: false, context });
  const pushBytes = (R: LuaState, out: Uint8Array): number => (lua.lua_pushstring(R, out), lua.lua_pushnil(R), 2);

  /** The input string, or null after answering Wippy's INVALID errors. */
  const input = (T: LuaState): Uint8Array | null => {
    if (lua.lua_type(T, 1) !== lua.LUA_TSTRING) return invalid(T, 'string expected'), null;
    const data = lua.lua_tolstring(T, 1) as Uint8Array;
    if (data.length === 0) return invalid(T, 'input data cannot be empty'), null;
    return data;
  };

  const level = (T: LuaState, levels: Levels): number | null => {
    const v = numberField(T, 'level');
    if (v === null) return levels.fallback;
    const n = Math.trunc(v);
    return n < levels.min || n > levels.max ? (invalid(T, levels.message), null) : n;
  };

  /** Wippy's max_size (a positive number up to 1 GiB, else the default), no larger than a Lua string. */
  const maxSize = (T: LuaState): number => {
    const v = numberField(T, 'max_size');
    const wanted = v !== null && v > 0 && v <= ABSOLUTE_MAX_SIZE ? Math.trunc(v) : DEFAULT_MAX_SIZE;
    return Math.min(wanted, MAX_STRING_BYTES);
  };

  /** opts.dict: absent (null), valid bytes, or invalid (false). */
  const dictOption = (T: LuaState): Uint8Array | null | false => {
    if (lua.lua_type(T, 2) !== lua.LUA_TTABLE) return null;
    lua.lua_getfield(T, 2, 'dict');
    const type = lua.lua_type(T, -1);
    const bytes = type === lua.LUA_TSTRING ? (lua.lua_tolstring(T, -1) as Uint8Array) : null;
    lua.lua_settop(T, -2);
    if (type === lua.LUA_TNIL) return null;
    return bytes === null || bytes.length === 0 ? false : bytes;
  };

  const onThreadPool = (start: (cb: Callback) => void): Promise<Buffer> =>
    cpuJobs.run(() => new Promise<Buffer>((resolve, reject) => start((e, out) => (e === null ? resolve(out) : reject(e)))));

  const tooLarge = (e: unknown): boolean => (e as NodeJS.ErrnoException | null)?.code === 'ERR_BUFFER_TOO_LARGE';

  const encoder = (format: ZlibFormat): JSFunction => (T) => {
    const data = input(T);
    if (data === null) return 2;
    const lv = level(T, LEVELS[format]);
    if (lv === null) return 2;
    return settle(vm, T, () => onThreadPool((cb) => ENCODERS[format](data, lv, cb)), pushBytes, (R, e) => internal(R, messageOf(e), `${format} encode failed`));
  };

  const decoder = (format: ZlibFormat): JSFunction => (T) => {
    const data = input(T);
    if (data === null) return 2;
    const max = maxSize(T);
    if (!headerValid(format, data)) return invalid(T, `invalid ${format} data`);
    return settle(
      vm,
      T,
      () => onThreadPool((cb) => DECODERS[format](data, max, cb)),
      pushBytes,
      (R, e) => {
        // Go's flate and brotli readers report every failure as invalid data, the limit included.
        if (format === 'deflate' || format === 'brotli') return invalid(R, `invalid ${format} data`);
        return internal(R, tooLarge(e) ? 'decompressed size exceeds limit' : messageOf(e), `${format} decode failed`);
      },
    );
  };

  const zstdEncode: JSFunction = (T) => {
    const data = input(T);
    if (data === null) return 2;
    const lv = level(T, LEVELS.zstd);
    if (lv === null) return 2;
    const dict = dictOption(T);
    if (dict === false) return invalid(T, 'dict must be a non-empty string');
    return settle(vm, T, () => zstdCompress(data, lv, dict), pushBytes, (R, e) => internal(R, messageOf(e), 'zstd encode failed'));
  };

  const zstdDecode: JSFunction = (T) => {
    const data = input(T);
    if (data === null) return 2;
    const max = maxSize(T);
    const dict = dictOption(T);
    if (dict === false) return invalid(T, 'dict must be a non-empty string');
    return settle(vm, T, () => zstdDecompress(data, max, dict), pushBytes, (R, e) =>
      internal(R, e instanceof ZstdError ? e.message : messageOf(e), 'zstd decode failed'),
    );
  };

  const trainDict: JSFunction = (T) => {
    if (lua.lua_type(T, 1) !== lua.LUA_TTABLE) return invalid(T, 'samples must be a table of strings');
    const n = lua.lua_rawlen(T, 1);
    if (n === 0) return invalid(T, 'samples table cannot be empty');
    const samples: Uint8Array[] = [];
    for (let i = 1; i <= n; i++) {
      lua.lua_rawgeti(T, 1, i);
      const type = lua.lua_type(T, -1);
      const bytes = type === lua.LUA_TSTRING ? (lua.lua_tolstring(T, -1) as Uint8Array) : null;
      lua.lua_settop(T, -2);
      if (bytes === null) return invalid(T, 'samples entries must be strings');
      if (bytes.length === 0) return invalid(T, 'samples entries cannot be empty');
      samples.push(bytes);
    }
    if (!samples.some((s) => s.length >= 8)) return invalid(T, 'at least one sample must be 8 bytes or longer');
    const size = numberField(T, 'size');
    if (size !== null && (Math.trunc(size) < ZSTD_DICT_MIN || Math.trunc(size) > ZSTD_DICT_MAX)) return invalid(T, `dict size must be between ${ZSTD_DICT_MIN} and ${ZSTD_DICT_MAX}`);
    const id = numberField(T, 'id');
    if (id !== null && (Math.trunc(id) < 0 || Math.trunc(id) > 0xffffffff)) return invalid(T, 'dict id must fit in uint32');
    const lv = numberField(T, 'level');
    if (lv !== null && (Math.trunc(lv) < 1 || Math.trunc(lv) > 22)) return invalid(T, 'level must be between 1 and 22');
    const work = new GeneratorWork(trainDictionary(samples, size === null ? ZSTD_DICT_DEFAULT : Math.trunc(size), id === null ? 0 : Math.trunc(id)));
    return runSliced(vm, T, work, (R) => pushBytes(R, work.result as Uint8Array), (R, e) => internal(R, messageOf(e), 'zstd dict training failed'));
  };

  const inspectDict: JSFunction = (T) => {
    if (lua.lua_type(T, 1) !== lua.LUA_TSTRING) return invalid(T, 'dictionary must be a string');
    const dict = lua.lua_tolstring(T, 1) as Uint8Array;
    if (dict.length === 0) return invalid(T, 'dictionary cannot be empty');
    let info: { id: number; contentSize: number };
    try {
      info = inspectDictionary(dict);
    } catch (e) {
      if (!(e instanceof DictError)) throw e;
      return invalid(T, 'invalid zstd dictionary');
    }
    lua.lua_createtable(T, 0, 2);
    setField(vm, T, -1, 'id', () => lua.lua_pushnumber(T, info.id));
    setField(vm, T, -1, 'content_size', () => lua.lua_pushinteger(T, info.contentSize));
    lua.lua_pushnil(T);
    return 2;
  };

  const mod = functionTable(vm, {});
  for (const format of ['gzip', 'deflate', 'zlib', 'brotli'] as const) {
    nestTable(vm, mod, format, functionTable(vm, { encode: encoder(format), decode: decoder(format) }), `compress.${format}`);
  }
  nestTable(vm, mod, 'zstd', functionTable(vm, { encode: zstdEncode, decode: zstdDecode, train_dict: trainDict, inspect_dict: inspectDict }), 'compress.zstd');
  vm.defineModule('compress', mod);
}

export const compressModule = luaModule({
  name: 'compress',
  description: 'Data compression (gzip, deflate, zlib, brotli, zstd)',
  classes: ['encoding', 'deterministic'],
  install: (vm) => installCompress(vm),
});
