/** base64, hash and uuid through real Lua; expected digests come from Node's crypto, not from our module. */
import { createHash, createHmac } from 'crypto';
import { runWith } from './run-lua';

const ERR = `
local function E(v, err)
  if err == nil then return { ok = v } end
  return { nil_value = v == nil, kind = err:kind(), message = err:message(), retryable = err:retryable() }
end`;

describe('base64', () => {
  const b64 = (body: string): Promise<unknown> => runWith(['base64'], `local base64 = require("base64")\n${ERR}\n${body}`);

  test('standard alphabet with padding, binary-safe both ways', async () => {
    const r = (await b64(`
      local all = {} for i = 0, 255 do all[#all + 1] = string.char(i) end
      local bin = table.concat(all)
      return { base64.encode(""), base64.encode("hello"), base64.encode("\\0\\255\\254"), base64.encode(bin),
        base64.decode(base64.encode(bin)) == bin, #base64.decode(base64.encode(bin)), base64.decode("aGVs\\r\\nbG8=") }`)) as unknown[];
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    expect(r).toEqual(['', 'aGVsbG8=', Buffer.from([0, 255, 254]).toString('base64'), all.toString('base64'), true, 256, 'hello']);
  });

  test('strict decoding: bad characters, missing padding, URL alphabet and misplaced = are Invalid errors', async () => {
    const r = (await b64(`return { E(base64.decode("!!!invalid!!!")), E(base64.decode("aGVsbG8")), E(base64.decode("a-_b")),
      E(base64.decode("YQ==YQ==")), E(base64.decode("Y===")), E(base64.encode(12)), E(base64.decode({})) }`)) as Record<string, unknown>[];
    expect(r[0]).toEqual({ nil_value: true, kind: 'Invalid', retryable: false, message: 'illegal base64 data at input byte 0' });
    expect(r[1].message).toBe('illegal base64 data at input byte 4');
    expect(r[2].message).toBe('illegal base64 data at input byte 1');
    expect(r[3].message).toMatch(/illegal base64 data at input byte [23]/);
    expect(r[4].kind).toBe('Invalid');
    expect(r[5]).toMatchObject({ kind: 'Invalid', message: 'input must be a string' });
    expect(r[6]).toMatchObject({ kind: 'Invalid' });
  });
});

describe('hash', () => {
  const bin = Buffer.from([0, 1, 2, 255, 0x80, 10]);
  test('digests and HMACs, hex and raw, over binary input', async () => {
    const r = (await runWith(['hash', 'base64'], `local hash, base64 = require("hash"), require("base64")
      local data, key = "\\0\\1\\2\\255\\128\\n", "k\\0ey"
      local out = {}
      for _, name in ipairs({ "md5", "sha1", "sha256", "sha512" }) do
        out[name] = { hash[name](data), base64.encode(hash[name](data, true)) }
        out["hmac_" .. name] = { hash["hmac_" .. name](data, key), base64.encode(hash["hmac_" .. name](data, key, true)) }
      end
      return out`)) as Record<string, [string, string]>;
    for (const algo of ['md5', 'sha1', 'sha256', 'sha512']) {
      const d = createHash(algo).update(bin).digest();
      expect(r[algo]).toEqual([d.toString('hex'), d.toString('base64')]);
      const h = createHmac(algo, Buffer.from('k\0ey')).update(bin).digest();
      expect(r[`hmac_${algo}`]).toEqual([h.toString('hex'), h.toString('base64')]);
    }
  });

  test('fnv32/fnv64 are Go\'s FNV-1 (not 1a), unsigned, never wrapped to 32-bit integers', async () => {
    const r = (await runWith(['hash'], `local hash = require("hash")
      return { hash.fnv32(""), hash.fnv32("a"), math.type(hash.fnv32("")), hash.fnv64(""), hash.fnv64("a"), hash.fnv32("hello") == hash.fnv32("hello") }`)) as unknown[];
    // FNV-1 32 of "a": (0x811c9dc5 * 0x01000193 mod 2^32) xor 0x61, computed independently with BigInt
    const fnv1 = (bits: bigint, basis: bigint, prime: bigint, s: string): number => {
      let h = basis;
      for (const c of Buffer.from(s)) h = ((h * prime) % (1n << bits)) ^ BigInt(c);
      return Number(h);
    };
    expect(r).toEqual([0x811c9dc5, fnv1(32n, 0x811c9dc5n, 0x01000193n, 'a'), 'float', Number(0xcbf29ce484222325n),
      fnv1(64n, 0xcbf29ce484222325n, 0x100000001b3n, 'a'), true]);
  });

  test('non-string data or secret: Invalid, non-retryable', async () => {
    const r = (await runWith(['hash'], `local hash = require("hash")\n${ERR}
      return { E(hash.sha256(5)), E(hash.hmac_sha256("x", nil)), E(hash.fnv32({})) }`)) as Record<string, unknown>[];
    expect(r[0]).toEqual({ nil_value: true, kind: 'Invalid', retryable: false, message: 'data must be a string' });
    expect(r[1]).toMatchObject({ kind: 'Invalid', message: 'secret must be a string' });
    expect(r[2]).toMatchObject({ kind: 'Invalid' });
  });
});

describe('uuid', () => {
  const u = (body: string): Promise<unknown> => runWith(['uuid'], `local uuid = require("uuid")\n${ERR}\n${body}`);
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-([0-9a-f])[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

  test('v1, v4, v7 are fresh, well-formed and of their version; v7 sorts by time', async () => {
    const r = (await u(`local a, b = uuid.v7(), nil
      for _ = 1, 50 do b = uuid.v7() end
      return { uuid.v1(), uuid.v4(), a, uuid.v4() ~= uuid.v4(), a < b, uuid.parse(a).timestamp }`)) as [string, string, string, boolean, boolean, number];
    expect(r[0].match(UUID)?.[1]).toBe('1');
    expect(r[1].match(UUID)?.[1]).toBe('4');
    expect(r[2].match(UUID)?.[1]).toBe('7');
    expect(r[3]).toBe(true);
    expect(r[4]).toBe(true);
    expect(Math.abs(r[5] - Date.now() / 1000)).toBeLessThan(60);
  });

  test('v3 and v5 are the RFC 4122 name-based UUIDs', async () => {
    const ns = '6ba7b810-9dad-11d1-80b4-00c04fd430c8'; // the DNS namespace
    const named = (algo: string, version: number, name: string | Buffer): string => {
      const h = createHash(algo).update(Buffer.concat([Buffer.from(ns.replace(/-/g, ''), 'hex'), typeof name === 'string' ? Buffer.from(name) : name])).digest().subarray(0, 16);
      h[6] = (h[6] & 0x0f) | (version << 4);
      h[8] = (h[8] & 0x3f) | 0x80;
      const x = h.toString('hex');
      return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
    };
    expect(await u(`local ns = "${ns}"
      return { uuid.v3(ns, "www.example.com"), uuid.v5(ns, "www.example.com"), uuid.v5(string.upper(ns), "\\0\\255") }`))
      .toEqual([named('md5', 3, 'www.example.com'), named('sha1', 5, 'www.example.com'), named('sha1', 5, Buffer.from([0, 255]))]);
  });

  test('validate, version, variant, parse accept the forms Go accepts', async () => {
    const r = (await u(`local id = "6ba7b810-9dad-11d1-80b4-00c04fd430c8"
      local p = uuid.parse(id)
      return { uuid.validate(id), uuid.validate("{" .. id .. "}"), uuid.validate("urn:uuid:" .. id), uuid.validate((id:gsub("-", ""))),
        uuid.validate(id:upper()), uuid.validate(id .. "-extra"), uuid.validate("6ba7b810-9dad-11d1-80b4"), uuid.validate(""),
        uuid.validate(123), uuid.validate(nil), uuid.validate("6ba7b810x9dad-11d1-80b4-00c04fd430c8"),
        { p.version, p.variant, p.timestamp, p.node }, uuid.version(id), uuid.variant(id),
        uuid.variant("00000000-0000-4000-c000-000000000000"), uuid.variant("00000000-0000-4000-e000-000000000000"),
        uuid.variant("00000000-0000-4000-0000-000000000000"), uuid.parse("550e8400-e29b-41d4-a716-446655440000").timestamp == nil }`)) as unknown[];
    expect(r.slice(0, 11)).toEqual([true, true, true, true, true, false, false, false, false, false, false]);
    // 6ba7b810-9dad-11d1: 0x1d19dad6ba7b810 ticks of 100 ns since 1582-10-15
    expect(r[11]).toEqual([1, 'RFC4122', Math.floor(Number(0x1d19dad6ba7b810n / 10_000_000n)) - 12219292800, '00c04fd430c8']);
    expect(r.slice(12)).toEqual([1, 'RFC4122', 'Microsoft', 'Future', 'Reserved', true]);
  });

  test('format and errors', async () => {
    const r = (await u(`local id = "6BA7B810-9DAD-11D1-80B4-00C04FD430C8"
      return { uuid.format(id), uuid.format(id, "simple"), uuid.format(id, "urn"), E(uuid.format(id, "unknown")),
        E(uuid.format("nope")), E(uuid.v3("invalid", "x")), E(uuid.v5(id)), E(uuid.version(123)), E(uuid.parse("not-a-uuid")) }`)) as unknown[];
    expect(r.slice(0, 3)).toEqual(['6ba7b810-9dad-11d1-80b4-00c04fd430c8', '6ba7b8109dad11d180b400c04fd430c8', 'urn:uuid:6ba7b810-9dad-11d1-80b4-00c04fd430c8']);
    expect(r.slice(3).map((e) => (e as { message: string }).message)).toEqual(['unsupported format', 'invalid UUID format',
      'invalid namespace UUID', 'namespace and name must be strings', 'input must be a string', 'invalid UUID format']);
    expect(r.slice(3).every((e) => (e as { kind: string; retryable: boolean }).kind === 'Invalid' && (e as { retryable: boolean }).retryable === false)).toBe(true);
  });
});
