/**
 * The `crypto` module (spec.md beside this file): random data, HMAC, AEAD (AES-GCM, ChaCha20-Poly1305), JWT,
 * PBKDF2 and constant-time comparison on node:crypto, with Wippy's argument checks and error kinds. Work that
 * grows with the input runs in slices (digests, sealing) or on the thread pool (PBKDF2) so that a big input
 * blocks only the calling coroutine.
 */
import { createCipheriv, createDecipheriv, createHmac, pbkdf2, randomBytes, randomUUID, timingSafeEqual, type CipherGCM, type DecipherGCM } from 'crypto';
import { lua, lauxlib, checkJsString, pushString, toJsString, type LuaState } from '../../engine/lua';
import { exportValue } from '../../engine/values';
import { fail } from '../errors';
import { settle } from '../settle';
import { messageOf } from '../../lib/message';
import { cpuJobs, feedSliced } from '../../lib/cpu-work';
import { jwtEncode, jwtVerify, JwtError } from '../../lib/jwt';
import { Decoder, JsonError } from '../json/codec';
import { runSliced } from '../../engine/sliced';
import { Table } from '../../kernel/value';
import type { LuaVM } from '../../engine/vm';
import type { JSFunction } from 'fengari';
import { luaModule } from '../module';
import { functionTable, nestTable } from '../../engine/binding';
import { valueToPlain } from '../../engine/plain';

/** Random data per call, as Wippy allows. */
const MAX_RANDOM = 1024 * 1024;
const MAX_PBKDF2_ITERATIONS = 10_000_000;
/** Not in Wippy: a derived key is at most this long (PBKDF2's cost grows with it). */
const MAX_KEY_LENGTH = 1024 * 1024;
const DEFAULT_CHARSET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

const bytesArg = (T: LuaState, n: number): Uint8Array => lauxlib.luaL_checklstring(T, n) as Uint8Array;
const optBytes = (T: LuaState, n: number): Uint8Array | null => (lua.lua_type(T, n) === lua.LUA_TSTRING ? (lua.lua_tolstring(T, n) as Uint8Array) : null);

function installCrypto(vm: LuaVM): void {
  const invalid = (T: LuaState, message: string): number => fail(T, vm, message, 'Invalid', { retryable: false });
  const internal = (T: LuaState, e: unknown, context: string): number => fail(T, vm, messageOf(e), 'Internal', { retryable: false, context });
  const pushBytes = (T: LuaState, bytes: Uint8Array): number => (lua.lua_pushstring(T, bytes), lua.lua_pushnil(T), 2);
  const pushText = (T: LuaState, text: string): number => (pushString(T, text), lua.lua_pushnil(T), 2);

  /** Runs `work` for the calling coroutine; its value (or its error, as Internal with `context`) answers. */
  const answer = <V>(T: LuaState, context: string, work: () => V | Promise<V>, push: (R: LuaState, v: V) => number): number =>
    settle(vm, T, work, push, (R, e) => internal(R, e, context));

  const randomLength = (T: LuaState): number | null => {
    const n = lauxlib.luaL_checkinteger(T, 1);
    if (n <= 0) return invalid(T, 'length must be a positive integer'), null;
    if (n > MAX_RANDOM) return invalid(T, 'length exceeds maximum allowed size (1MB)'), null;
    return n;
  };

  const random = functionTable(vm, {
    bytes: (T) => {
      const n = randomLength(T);
      return n === null ? 2 : pushBytes(T, randomBytes(n));
    },
    string: (T) => {
      const n = randomLength(T);
      if (n === null) return 2;
      const charset = optBytes(T, 2) ?? Buffer.from(DEFAULT_CHARSET);
      if (charset.length === 0) return invalid(T, 'charset cannot be empty');
      // Wippy picks charset[b % len] for each random byte; the modulo bias is Wippy's too.
      const picks = randomBytes(n);
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = charset[picks[i] % charset.length];
      return pushBytes(T, out);
    },
    uuid: (T) => pushText(T, randomUUID()),
  });

  const hmac = (algo: 'sha256' | 'sha512'): JSFunction => (T) => {
    const key = bytesArg(T, 1);
    const data = bytesArg(T, 2);
    if (key.length === 0) return invalid(T, 'key cannot be empty');
    const h = createHmac(algo, key);
    return answer(T, 'compute HMAC', () => feedSliced(data, (c) => h.update(c), () => h.digest('hex')), pushText);
  };

  type Aead = 'aes' | 'chacha20';
  const cipherName = (kind: Aead, key: Uint8Array): string => (kind === 'chacha20' ? 'chacha20-poly1305' : `aes-${key.length * 8}-gcm`);
  const checkKey = (T: LuaState, kind: Aead, key: Uint8Array): boolean => {
    if (kind === 'aes' && key.length !== 16 && key.length !== 24 && key.length !== 32) return invalid(T, 'key must be 16, 24, or 32 bytes'), false;
    if (kind === 'chacha20' && key.length !== 32) return invalid(T, 'key must be 32 bytes'), false;
    return true;
  };

  // Sealed form, as Go's Seal(nonce, nonce, data, aad): nonce, ciphertext, tag.
  const encrypt = (kind: Aead): JSFunction => (T) => {
    const data = bytesArg(T, 1);
    const key = bytesArg(T, 2);
    const aad = optBytes(T, 3);
    if (!checkKey(T, kind, key)) return 2;
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv(cipherName(kind, key), key, nonce, { authTagLength: TAG_BYTES } as object) as CipherGCM;
    if (aad !== null) cipher.setAAD(aad, { plaintextLength: data.length });
    const parts: Buffer[] = [nonce];
    return answer(
      T,
      'encrypt',
      () => feedSliced(data, (c) => parts.push(cipher.update(c)), () => Buffer.concat([...parts, cipher.final(), cipher.getAuthTag()])),
      pushBytes,
    );
  };

  const decrypt = (kind: Aead): JSFunction => (T) => {
    const data = bytesArg(T, 1);
    const key = bytesArg(T, 2);
    const aad = optBytes(T, 3);
    if (!checkKey(T, kind, key)) return 2;
    if (data.length < NONCE_BYTES) return invalid(T, 'encrypted data too short');
    if (data.length < NONCE_BYTES + TAG_BYTES) return internal(T, new Error(`${kind === 'aes' ? 'cipher' : 'chacha20poly1305'}: message authentication failed`), 'decrypt');
    const body = data.subarray(NONCE_BYTES, data.length - TAG_BYTES);
    const decipher = createDecipheriv(cipherName(kind, key), key, data.subarray(0, NONCE_BYTES), { authTagLength: TAG_BYTES } as object) as DecipherGCM;
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    if (aad !== null) decipher.setAAD(aad, { plaintextLength: body.length });
    const parts: Buffer[] = [];
    const finish = (): Buffer => {
      try {
        parts.push(decipher.final());
      } catch {
        throw new Error(`${kind === 'aes' ? 'cipher' : 'chacha20poly1305'}: message authentication failed`);
      }
      return Buffer.concat(parts);
    };
    return answer(T, 'decrypt', () => feedSliced(body, (c) => parts.push(decipher.update(c)), finish), pushBytes);
  };

  const jwt = functionTable(vm, {
    encode: (T) => {
      lauxlib.luaL_checktype(T, 1, lua.LUA_TTABLE);
      const key = bytesArg(T, 2);
      const alg = lua.lua_isnoneornil(T, 3) ? 'HS256' : checkJsString(T, 3);
      const payload = exportValue(T, 1);
      const plain = payload instanceof Table ? valueToPlain(payload) : null;
      if (plain === null || typeof plain !== 'object' || Array.isArray(plain)) return invalid(T, 'failed to convert payload to map');
      try {
        return pushText(T, jwtEncode(plain as Record<string, unknown>, key, alg));
      } catch (e) {
        if (e instanceof JwtError && e.invalidKey) return invalid(T, e.message);
        return internal(T, e, 'sign token');
      }
    },
    verify: (T) => {
      const token = checkJsString(T, 1);
      const key = bytesArg(T, 2);
      const alg = lua.lua_isnoneornil(T, 3) ? 'HS256' : checkJsString(T, 3);
      const requireExp = lua.lua_isnoneornil(T, 4) ? true : lua.lua_toboolean(T, 4);
      let claims: Buffer;
      try {
        claims = jwtVerify(token, key, alg, requireExp, Math.floor(Date.now() / 1000));
      } catch (e) {
        return internal(T, e, 'verify token');
      }
      const base = lua.lua_gettop(T);
      return runSliced(vm, T, new Decoder(T, claims), (R) => (lua.lua_pushnil(R), 2), (R, e) => {
        if (!(e instanceof JsonError)) throw e;
        lua.lua_settop(R, base);
        return internal(R, e, 'convert claims to table');
      });
    },
  });

  const derive = (T: LuaState): number => {
    const password = bytesArg(T, 1);
    const salt = bytesArg(T, 2);
    const iterations = lauxlib.luaL_checkinteger(T, 3);
    const keyLength = lauxlib.luaL_checkinteger(T, 4);
    if (password.length === 0) return invalid(T, 'password cannot be empty');
    if (salt.length === 0) return invalid(T, 'salt cannot be empty');
    if (iterations <= 0) return invalid(T, 'iterations must be positive');
    if (iterations > MAX_PBKDF2_ITERATIONS) return invalid(T, `iterations exceeds maximum (${MAX_PBKDF2_ITERATIONS})`);
    if (keyLength <= 0) return invalid(T, 'key length must be positive');
    if (keyLength > MAX_KEY_LENGTH) return invalid(T, `key length exceeds maximum (${MAX_KEY_LENGTH})`);
    const hashName = optBytes(T, 5) === null ? 'sha256' : toJsString(T, 5);
    if (hashName !== 'sha256' && hashName !== 'sha512') return invalid(T, `unsupported hash function: ${hashName}`);
    const pw = Buffer.from(password);
    const s = Buffer.from(salt);
    const work = (): Promise<Buffer> =>
      cpuJobs.run(() => new Promise<Buffer>((resolve, reject) => pbkdf2(pw, s, iterations, keyLength, hashName, (e, key) => (e === null ? resolve(key) : reject(e)))));
    return answer(T, 'pbkdf2', work, pushBytes);
  };

  const constantTimeCompare = (T: LuaState): number => {
    const a = bytesArg(T, 1);
    const b = bytesArg(T, 2);
    lua.lua_pushboolean(T, a.length === b.length && timingSafeEqual(a, b));
    return 1;
  };

  const mod = functionTable(vm, { pbkdf2: derive, constant_time_compare: constantTimeCompare });
  nestTable(vm, mod, 'random', random, 'crypto.random');
  nestTable(vm, mod, 'hmac', functionTable(vm, { sha256: hmac('sha256'), sha512: hmac('sha512') }), 'crypto.hmac');
  nestTable(vm, mod, 'encrypt', functionTable(vm, { aes: encrypt('aes'), chacha20: encrypt('chacha20') }), 'crypto.encrypt');
  nestTable(vm, mod, 'decrypt', functionTable(vm, { aes: decrypt('aes'), chacha20: decrypt('chacha20') }), 'crypto.decrypt');
  nestTable(vm, mod, 'jwt', jwt, 'crypto.jwt');
  vm.defineModule('crypto', mod);
}

export const cryptoModule = luaModule({
  name: 'crypto',
  description: 'Cryptographic operations (hashing, encryption, JWT)',
  classes: ['security', 'nondeterministic'],
  install: (vm) => installCrypto(vm),
});
