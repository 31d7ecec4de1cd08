/**
 * crypto and compress through real Lua; expected values come from node:crypto and node:zlib directly, not
 * from our modules. Bombs: gzip, zlib, brotli and zstd input that expands far past the limit stops at it.
 * Work that takes long (a big HMAC, PBKDF2, compression) leaves other processes running meanwhile.
 */
import { createHmac, pbkdf2Sync, randomBytes, createCipheriv, createDecipheriv } from 'crypto';
import * as zlib from 'zlib';
import { createVM } from '../../src/modules';
import { spawn } from '../helpers/lua';
import { runWith } from './run-lua';
import { Table, type Value } from '../../src/kernel/value';
import { valueToPlain } from '../../src/engine/plain';

/** The i-th element of a result list, as raw bytes (valueToPlain would decode them as UTF-8). */
const bytesAt = (v: Value, i: number): Buffer => {
  const x = (v as Table).map.get(i);
  return Buffer.from(typeof x === 'string' ? Buffer.from(x) : (x as Uint8Array));
};

const ERR = `
local function E(v, err)
  if err == nil then return { ok = v } end
  return { kind = err:kind(), message = err:message(), retryable = err:retryable() }
end`;

const crypto = (body: string): Promise<unknown> => runWith(['crypto'], `local crypto = require("crypto")\n${ERR}\n${body}`);
const compress = (body: string, extra: string[] = []): Promise<unknown> => runWith(['compress', ...extra], `local compress = require("compress")\n${ERR}\n${body}`);

describe('crypto', () => {
  test('HMAC and PBKDF2 equal node:crypto; constant_time_compare', async () => {
    const run = spawn(createVM(), `local crypto = require("crypto")
      return { main = function() return { crypto.hmac.sha256("key", "data"), crypto.hmac.sha512("k", ""),
        crypto.pbkdf2("pw", "salt", 1000, 40, "sha512"), crypto.constant_time_compare("a", "a"), crypto.constant_time_compare("a", "b") } end }`, 'test:main', [], ['crypto']);
    const r = await run.exit;
    expect(r.error).toBeNull();
    const plain = valueToPlain(r.value) as unknown[];
    expect(plain[0]).toBe(createHmac('sha256', 'key').update('data').digest('hex'));
    expect(plain[1]).toBe(createHmac('sha512', 'k').update('').digest('hex'));
    expect(bytesAt(r.value, 3)).toEqual(pbkdf2Sync('pw', 'salt', 1000, 40, 'sha512'));
    expect(plain.slice(3)).toEqual([true, false]);
  });

  test('AES-GCM is sealed as Go seals it (nonce, ciphertext, tag): node opens ours, we open node\'s', async () => {
    const key = randomBytes(32);
    const nonce = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', key, nonce);
    c.setAAD(Buffer.from('aad'));
    const sealed = Buffer.concat([nonce, c.update('from node'), c.final(), c.getAuthTag()]);
    const vm = createVM();
    const run = spawn(
      vm,
      `local crypto = require("crypto")
       return { main = function(key, sealed) return { crypto.decrypt.aes(sealed, key, "aad"), crypto.encrypt.aes("from lua", key) } end }`,
      'test:main',
      [new Uint8Array(key), new Uint8Array(sealed)],
      ['crypto'],
    );
    const r = await run.exit;
    expect(r.error).toBeNull();
    expect(bytesAt(r.value, 1).toString()).toBe('from node');
    const raw = bytesAt(r.value, 2);
    const d = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
    d.setAuthTag(raw.subarray(raw.length - 16));
    expect(Buffer.concat([d.update(raw.subarray(12, raw.length - 16)), d.final()]).toString()).toBe('from lua');
  });

  test('JWT: claims round trip, tampering, expiry, a required exp and another algorithm are refused', async () => {
    const r = (await crypto(`
      local t = crypto.jwt.encode({ sub = "u", exp = os.time() + 60, _header = { kid = "k1" } }, "secret")
      local parts = {} for p in t:gmatch("[^.]+") do parts[#parts + 1] = p end
      -- one character of the signature changed: the one before last, whose six bits are all the signature's
      local sig = parts[3]
      local tampered = parts[1] .. "." .. parts[2] .. "." .. sig:sub(1, -3) .. (sig:sub(-2, -2) == "A" and "B" or "A") .. sig:sub(-1)
      return {
        E(crypto.jwt.verify(t, "secret")).ok.sub,
        E(crypto.jwt.verify(tampered, "secret")).message,
        E(crypto.jwt.verify(crypto.jwt.encode({ exp = os.time() - 10 }, "s"), "s")).message,
        E(crypto.jwt.verify(crypto.jwt.encode({ sub = "x" }, "s"), "s")).message,
        E(crypto.jwt.verify(crypto.jwt.encode({ sub = "x" }, "s"), "s", "HS256", false)).ok.sub,
        E(crypto.jwt.verify(crypto.jwt.encode({ exp = os.time() + 60 }, "s", "HS512"), "s")).message,
        parts[1],
      }`)) as string[];
    expect(r.slice(0, 6)).toEqual([
      'u',
      'token signature is invalid: signature is invalid',
      'token has invalid claims: token is expired',
      'token has invalid claims: token is missing required claim: exp claim is required',
      'x',
      'token signature is invalid: signing method HS512 is invalid',
    ]);
    expect(JSON.parse(Buffer.from(r[6], 'base64url').toString())).toEqual({ alg: 'HS256', kid: 'k1', typ: 'JWT' });
  });

  test('argument errors are Invalid and not retryable', async () => {
    const r = (await crypto(`return { E(crypto.random.bytes(2000000)), E(crypto.pbkdf2("p", "s", 10000001, 32)), E(crypto.pbkdf2("p", "s", 1, 2000000)),
      E(crypto.encrypt.chacha20("x", "short")), E(crypto.decrypt.aes("short", string.rep("k", 16))) }`)) as Record<string, unknown>[];
    for (const e of r) expect(e).toMatchObject({ kind: 'Invalid', retryable: false });
  });
});

describe('compress', () => {
  test('each format decodes what node:zlib encodes, and node decodes ours', async () => {
    const text = 'wisp '.repeat(1000);
    const vm = createVM();
    const run = spawn(
      vm,
      `local compress = require("compress")
       return { main = function(gz, df, zl, br)
         return { compress.gzip.decode(gz), compress.deflate.decode(df), compress.zlib.decode(zl), compress.brotli.decode(br),
           compress.gzip.encode("hello"), compress.brotli.encode("hello", { level = 11 }), (compress.zstd.decode(compress.zstd.encode("zz", { level = 19 }))) }
       end }`,
      'test:main',
      [zlib.gzipSync(text), zlib.deflateRawSync(text), zlib.deflateSync(text), zlib.brotliCompressSync(text)].map((b) => new Uint8Array(b)),
      ['compress'],
    );
    const r = await run.exit;
    expect(r.error).toBeNull();
    const out = valueToPlain(r.value) as string[];
    expect(out.slice(0, 4)).toEqual([text, text, text, text]);
    expect(zlib.gunzipSync(bytesAt(r.value, 5)).toString()).toBe('hello');
    expect(zlib.brotliDecompressSync(bytesAt(r.value, 6)).toString()).toBe('hello');
    expect(out[6]).toBe('zz');
  });

  test('bombs stop at the limit: 80 MiB of zeros in every format, and a zstd frame declaring 1 GiB', async () => {
    const zeros = Buffer.alloc(80 * 1024 * 1024);
    const bombs = [zlib.gzipSync(zeros, { level: 9 }), zlib.deflateSync(zeros, { level: 9 }), zlib.deflateRawSync(zeros, { level: 9 }), zlib.brotliCompressSync(Buffer.alloc(64 * 1024 * 1024 + 1))];
    expect(Math.max(...bombs.map((b) => b.length))).toBeLessThan(300 * 1024);
    // A zstd frame header declaring 1 GiB of content (single segment, 4-byte size), followed by junk.
    const frame = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0xa0, 0, 0, 0, 0x40, 1, 2, 3, 4]);
    const vm = createVM();
    const before = process.memoryUsage().rss;
    const run = spawn(
      vm,
      `local compress = require("compress")
       local function E(v, err) if err == nil then return { ok = #v } end return { kind = err:kind(), message = err:message() } end
       return { main = function(gz, zl, df, br, zs)
         return { E(compress.gzip.decode(gz)), E(compress.zlib.decode(zl)), E(compress.deflate.decode(df)), E(compress.brotli.decode(br)),
           E(compress.zstd.decode(zs)), E(compress.gzip.decode(gz, { max_size = 1000 })) }
       end }`,
      'test:main',
      [...bombs, frame].map((b) => new Uint8Array(b)),
      ['compress'],
    );
    const r = await run.exit;
    expect(r.error).toBeNull();
    expect(valueToPlain(r.value)).toEqual([
      { kind: 'Internal', message: 'decompressed size exceeds limit' },
      { kind: 'Internal', message: 'decompressed size exceeds limit' },
      { kind: 'Invalid', message: 'invalid deflate data' },
      { kind: 'Invalid', message: 'invalid brotli data' },
      { kind: 'Internal', message: 'decompressed size exceeds limit' },
      { kind: 'Internal', message: 'decompressed size exceeds limit' },
    ]);
    // Nothing near 80 MiB per bomb was kept (a generous bound: the limit is 64 MiB).
    expect(process.memoryUsage().rss - before).toBeLessThan(400 * 1024 * 1024);
  }, 60_000);

  test('Wippy\'s argument errors', async () => {
    const r = (await compress(`return { E(compress.gzip.encode("")), E(compress.gzip.encode("x", { level = 10 })), E(compress.brotli.encode("x", { level = 12 })),
      E(compress.zstd.encode("x", { level = 23 })), E(compress.zstd.encode("x", { dict = "" })), E(compress.gzip.decode("not gzip")), E(compress.zstd.decode("not zstd")) }`)) as Record<string, unknown>[];
    expect(r.map((e) => [e.kind, e.kind === 'Internal' ? 'zstd error' : e.message])).toEqual([
      ['Invalid', 'input data cannot be empty'],
      ['Invalid', 'compression level must be between 1 and 9'],
      ['Invalid', 'brotli quality must be between 0 and 11'],
      ['Invalid', 'zstd level must be between 1 and 22'],
      ['Invalid', 'dict must be a non-empty string'],
      ['Invalid', 'invalid gzip data'],
      ['Internal', 'zstd error'],
    ]);
  });
});

describe('long work does not hold other processes', () => {
  // Each heavy call runs in slices or off the thread: a process that only needs a few hundred scheduler turns
  // finishes while it runs. Were the call one synchronous step, the heavy process would finish first.
  const heavy: [string, string][] = [
    ['a 48 MiB HMAC', 'crypto.hmac.sha256("k", string.rep("abcdefgh", 6 * 1024 * 1024))'],
    ['a 48 MiB AES-GCM seal', 'crypto.encrypt.aes(string.rep("abcdefgh", 6 * 1024 * 1024), string.rep("k", 32))'],
    ['PBKDF2 with 1,000,000 iterations', 'crypto.pbkdf2("pw", "salt", 1000000, 32)'],
    ['gzip of 48 MiB', 'compress.gzip.encode(string.rep("abcdefgh", 6 * 1024 * 1024), { level = 9 })'],
    ['zstd level 19 of 16 MiB', 'compress.zstd.encode(string.rep("abcdefgh", 2 * 1024 * 1024), { level = 19 })'],
  ];
  test.each(heavy)('%s', async (_name, call) => {
    const vm = createVM();
    const order: string[] = [];
    const worker = spawn(vm, `local crypto, compress = require("crypto"), require("compress")
      return { main = function() local r, err = ${call} assert(err == nil, tostring(err)) return #r end }`, 'test:worker', [], ['crypto', 'compress']);
    const ticker = spawn(vm, `local time = require("time")
      return { main = function() for i = 1, 300 do time.sleep(0) end return true end }`, 'test:ticker', [], ['time']);
    const [w, t] = await Promise.all([worker.exit.then((r) => (order.push('worker'), r)), ticker.exit.then((r) => (order.push('ticker'), r))]);
    expect([w.error, t.error]).toEqual([null, null]);
    expect(order).toEqual(['ticker', 'worker']);
  }, 120_000);
});

describe('zstd dictionaries', () => {
  test('a trained dictionary is a standard one: inspectable, shrinks small frames, required and checked by id', async () => {
    const r = (await compress(`
      local samples = {}
      for i = 1, 60 do samples[i] = string.format('{"level":"info","msg":"request done","path":"/api/v1/items/%d","ms":%d}', i, i * 3) end
      local dict = assert(compress.zstd.train_dict(samples, { size = 4096, id = 77 }))
      local other = assert(compress.zstd.train_dict({ "completely different sample text here", "and another one of them" }))
      local payload = '{"level":"info","msg":"request done","path":"/api/v1/items/999","ms":12}'
      local with = assert(compress.zstd.encode(payload, { dict = dict }))
      local without = assert(compress.zstd.encode(payload))
      local info = compress.zstd.inspect_dict(dict)
      return { id = info.id, content = info.content_size, size = #dict, smaller = #with < #without,
        back = compress.zstd.decode(with, { dict = dict }), no_dict = E(compress.zstd.decode(with)).message,
        wrong = E(compress.zstd.decode(with, { dict = other })).message, bogus = E(compress.zstd.inspect_dict("not a dictionary")).kind,
        short = E(compress.zstd.train_dict({ "ab", "cd" })).kind, big = E(compress.zstd.train_dict({ "abcdefgh" }, { size = 100 })).kind }`)) as Record<string, unknown>;
    expect(r).toMatchObject({ id: 77, smaller: true, back: '{"level":"info","msg":"request done","path":"/api/v1/items/999","ms":12}', no_dict: 'dictionary mismatch', wrong: 'dictionary mismatch', bogus: 'Invalid', short: 'Invalid', big: 'Invalid' });
    expect(r.size as number).toBeLessThanOrEqual(4096);
    expect(r.content as number).toBeGreaterThan(64);
  });
});
