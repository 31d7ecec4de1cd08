import { RANDOM_VALUES } from './random-values';
import { runWith } from './run-lua';

const json = (body: string): Promise<unknown> => runWith(['json'], `local json = require("json")\n${body}`);

/** Lua helper: calls f and gives {value or false, kind, message, retryable} for a `nil, err` result. */
const ERR = `
local function E(v, err)
  if err == nil then return { ok = v } end
  return { nil_value = v == nil, kind = err:kind(), message = err:message(), retryable = err:retryable() }
end`;

describe('json.encode', () => {
  test('scalars, arrays, objects, empty tables', async () => {
    expect(await json(`return {
      json.encode(nil), json.encode(true), json.encode(false), json.encode(42), json.encode("hi"),
      json.encode({}), json.encode({1, 2, 3}), json.encode({a = 1}), json.encode({{}, {x = {}}}),
    }`)).toEqual(['null', 'true', 'false', '42', '"hi"', '[]', '[1,2,3]', '{"a":1}', '[[],{"x":[]}]']);
  });

  test('sparse and mixed tables are Internal, non-retryable errors', async () => {
    const r = (await json(`${ERR}
      return { E(json.encode({[1] = "a", [3] = "c"})), E(json.encode({1, 2, x = 3})), E(json.encode({[0] = 1})) }`)) as Record<string, unknown>[];
    expect(r[0]).toMatchObject({ nil_value: true, kind: 'Internal', retryable: false });
    expect(r[0].message).toMatch(/^encode failed: .*sparse array/);
    expect(r[1]).toMatchObject({ kind: 'Internal' });
    expect(r[1].message).toMatch(/mixed-key/);
    expect(r[2]).toEqual({ ok: '{"0":1}' }); // a key that is not an array index makes an object
  });

  test('a cycle is an error, not a hang; a table shared twice is fine', async () => {
    const r = (await json(`${ERR}
      local t = {name = "loop"}; t.self = t
      local s = {1}
      local deep = {}; deep[1] = {{{deep}}}
      return { E(json.encode(t)), E(json.encode({a = s, b = s})), E(json.encode(deep)) }`)) as Record<string, unknown>[];
    expect(r[0].message).toMatch(/recursively nested/);
    expect(JSON.parse((r[1] as { ok: string }).ok)).toEqual({ a: [1], b: [1] });
    expect(r[2].message).toMatch(/recursively nested/);
  });

  test('depth limit: 129 nested tables encode, 130 do not', async () => {
    const r = (await json(`${ERR}
      local function nest(n) local t = {} for _ = 2, n do t = {t} end return t end
      return { E(json.encode(nest(129))), E(json.encode(nest(130))) }`)) as Record<string, unknown>[];
    expect((r[0] as { ok: string }).ok).toBe('['.repeat(128) + '[]' + ']'.repeat(128));
    expect(r[1].message).toMatch(/maximum nesting depth/);
  });

  test('integers and floats: no 32-bit wrap, integral floats as integers, no exponent inside tables', async () => {
    expect(await json(`return {
      json.encode(2^31), json.encode(2^53), json.encode(-2147483648), json.encode(1.5), json.encode(1.0),
      json.encode({2^40, 3.0, 1e-7, 0.1}), json.encode(1e300), json.encode(1e-7), json.encode(0/0), json.encode({1/0}),
    }`)).toEqual(['2147483648', '9007199254740992', '-2147483648', '1.5', '1', '[1099511627776,3,0.0000001,0.1]',
      '1e+300', '1e-7', 'null', '[null]']);
  });

  test('strings: escapes, invalid UTF-8 becomes U+FFFD, Go escapes <>& in a top-level string', async () => {
    const r = (await json(`return {
      json.encode("a\\"b\\\\c\\n\\t\\1"), json.encode("\\xff\\xfeok"), json.encode("<a&b>"), json.encode({"<a&b>"}),
      json.encode("é€😀"), json.encode({["k\\n"] = "v"}),
    }`)) as string[];
    expect(r[0]).toBe('"a\\"b\\\\c\\n\\t\\u0001"');
    expect(r[1]).toBe('"\ufffd\ufffdok"');
    expect(r[2]).toBe('"\\u003ca\\u0026b\\u003e"');
    expect(r[3]).toBe('["<a&b>"]');
    expect(r[4]).toBe('"é€😀"');
    expect(r[5]).toBe('{"k\\n":"v"}');
  });

  test('error values encode as their message; functions as null', async () => {
    expect(await json(`return json.encode({ e = errors.new("boom"), f = print })`)).toMatch(/^\{("e":"boom","f":null|"f":null,"e":"boom")\}$/);
  });
});

describe('json.decode', () => {
  test('values, integers vs floats, no wrap beyond 32 bits', async () => {
    expect(await json(`
      local function T(s) local v = json.decode(s) return { v, math.type(v) } end
      return { T("42"), T("-2147483648"), T("2147483648"), T("4294967296"), T("1.0"), T("1e2"), T("-0"), T("12345678901234567890") }`))
      .toEqual([[42, 'integer'], [-2147483648, 'integer'], [2147483648, 'float'], [4294967296, 'float'], [1, 'float'],
        [100, 'float'], [0, 'integer'], [12345678901234567000, 'float']]);
  });

  test('arrays with null keep their length positions; objects; nesting', async () => {
    expect(await json(`
      local a = json.decode("[1,null,3]")
      local o = json.decode('{"a":{"b":[true,false]},"c":"x","a2":{}}')
      return { a[1], a[2] == nil, a[3], o.a.b[1], o.a.b[2], o.c, next(o.a2) == nil }`)).toEqual([1, true, 3, true, false, 'x', true]);
  });

  test('strings: escapes, surrogate pairs, lone surrogates and invalid UTF-8 become U+FFFD', async () => {
    expect(await json(`return {
      json.decode('"a\\\\n\\\\u00e9\\\\ud83d\\\\ude00\\\\/"'), json.decode('"\\\\ud800x"'), json.decode('"\\xff"'), #json.decode('"\\xff"'),
    }`)).toEqual(['a\né😀/', '\ufffdx', '\ufffd', 3]);
  });

  test('errors: kinds, Go messages, line/column/byte positions', async () => {
    const r = (await json(`${ERR}
      return { E(json.decode("")), E(json.decode(5)), E(json.decode("not json")), E(json.decode('{"a":1,}')),
        E(json.decode("[1,\\n 2,\\n x]")), E(json.decode("[1, 2")), E(json.decode('"abc')), E(json.decode('"a\\nb"')),
        E(json.decode("1x")), E(json.decode("   ")) }`)) as Record<string, unknown>[];
    expect(r[0]).toMatchObject({ kind: 'Invalid', retryable: false, message: 'empty string is not valid JSON' });
    expect(r[1]).toMatchObject({ kind: 'Invalid', message: 'string expected' });
    expect(r[2]).toMatchObject({ kind: 'Internal', retryable: false,
      message: "decode failed: invalid character 'o' in literal null (expecting 'u') at line 1, column 2 (byte 1)" });
    expect(r[3].message).toBe("decode failed: invalid character '}' looking for beginning of object key string at line 1, column 8 (byte 7)");
    expect(r[4].message).toBe("decode failed: invalid character 'x' looking for beginning of value at line 3, column 2 (byte 9)");
    expect(r[5].message).toBe('decode failed: unexpected EOF at line 1, column 6 (byte 5)');
    expect(r[6].message).toBe('decode failed: unexpected EOF at line 1, column 5 (byte 4)');
    expect(r[7].message).toMatch(/invalid character '\\n' in string literal at line 1, column 3/);
    expect(r[8]).toEqual({ ok: 1 });
    expect(r[9].message).toBe('decode failed: EOF at line 1, column 4 (byte 3)');
  });

  test('input that ends inside a value is Go\'s "unexpected EOF", whatever the value was', async () => {
    const r = (await json(`${ERR}
      local out = {}
      for _, s in ipairs({ "nul", "tru", "-", "1.", "1e", "1e+", '{"a"', '{"a":', "[", '"\\\\u12', '"\\\\' }) do
        out[#out + 1] = E(json.decode(s)).message
      end
      return out`)) as string[];
    for (const m of r) expect(m).toMatch(/^decode failed: unexpected EOF at line 1, column \d+ \(byte \d+\)$/);
    expect(r).toHaveLength(11);
  });

  test('a bad character inside a number or literal is named as Go names it', async () => {
    const r = (await json(`${ERR}
      return { E(json.decode("-x")).message, E(json.decode("1.x")).message, E(json.decode("1ex")).message,
        E(json.decode("tRue")).message, E(json.decode("[01]")).message, E(json.decode('"\\\\q"')).message,
        E(json.decode('"\\\\u12x4"')).message }`)) as string[];
    expect(r).toEqual([
      "decode failed: invalid character 'x' in numeric literal at line 1, column 2 (byte 1)",
      "decode failed: invalid character 'x' after decimal point in numeric literal at line 1, column 3 (byte 2)",
      "decode failed: invalid character 'x' in exponent of numeric literal at line 1, column 3 (byte 2)",
      "decode failed: invalid character 'R' in literal true (expecting 'r') at line 1, column 2 (byte 1)",
      "decode failed: invalid character '1' after array element at line 1, column 3 (byte 2)",
      "decode failed: invalid character 'q' in string escape code at line 1, column 3 (byte 2)",
      "decode failed: invalid character 'x' in \\u hexadecimal character escape at line 1, column 6 (byte 5)",
    ]);
  });

  test('like Go\'s json.Decoder, text after the first complete value is not read', async () => {
    expect(await json(`return { json.decode("1 x"), json.decode("[1] junk")[1], json.decode('{"a":2}{')["a"],
      json.decode("1x"), json.decode("truex"), json.decode('"s"x'), json.decode("01"), json.decode("1.5e3x") }`))
      .toEqual([1, 1, 2, 1, true, 's', 0, 1500]);
  });

  test('depth limit', async () => {
    const r = (await json(`${ERR}
      return { E(json.decode(string.rep("[", 128) .. string.rep("]", 128))), E(json.decode(string.rep("[", 130) .. "1" .. string.rep("]", 130))) }`)) as Record<string, unknown>[];
    expect(r[0]).toHaveProperty('ok');
    expect(r[1].message).toMatch(/^decode failed: json: maximum nesting depth exceeded/);
  });
});

describe('json.validate', () => {
  test('valid, invalid, string schema, validate_string', async () => {
    const r = (await json(`
      local schema = { type = "object", properties = { n = { type = "integer", minimum = 1 } }, required = {"n"} }
      local function V(ok, err) return { ok, err and err:kind() or false, err and err:message() or false } end
      return { V(json.validate(schema, {n = 3})), V(json.validate(schema, {n = 0})), V(json.validate(schema, {m = 1})),
        V(json.validate('{"type":"array"}', {1, 2})), V(json.validate(schema, nil)), V(json.validate_string(schema, '{"n":2}')),
        V(json.validate_string(schema, '{"n":"x"}')), V(json.validate('{"type":', {})) }`)) as unknown[][];
    expect(r[0]).toEqual([true, false, false]);
    expect(r[1].slice(0, 2)).toEqual([false, 'Invalid']);
    expect(r[1][2]).toMatch(/^validation failed: .*>= 1/);
    expect(r[2][2]).toMatch(/required property 'n'/);
    expect(r[3]).toEqual([true, false, false]);
    expect(r[4]).toEqual([false, 'Invalid', 'data is required']);
    expect(r[5]).toEqual([true, false, false]);
    expect(r[6][0]).toBe(false);
    expect(r[7][0]).toBe(false);
  });
});

describe('json round trip (fuzz)', () => {
  test('random nested Lua values survive encode → decode, and re-encode to the same text', async () => {
    const r = (await json(`${RANDOM_VALUES}
      local runs, bad, reencoded_differs, floats_kept = 400, {}, 0, 0
      for i = 1, runs do
        local v = random_value(0)
        local s, err = json.encode(v)
        if not s then bad[#bad + 1] = tostring(err) else
          local back, derr = json.decode(s)
          if derr then bad[#bad + 1] = tostring(derr)
          elseif not same(v, back) then bad[#bad + 1] = s
          elseif json.encode(back) ~= s then reencoded_differs = reencoded_differs + 1 end
          if math.type(v) == "float" and v ~= math.floor(v) and math.type(back) == "float" then floats_kept = floats_kept + 1 end
        end
      end
      return { runs = runs, bad = bad, reencoded_differs = reencoded_differs, floats_kept = floats_kept }`)) as
      { runs: number; bad: string[] | Record<string, never>; reencoded_differs: number; floats_kept: number };
    expect(r.runs).toBe(400);
    expect(Array.isArray(r.bad) ? r.bad : Object.values(r.bad)).toEqual([]);
    expect(r.reencoded_differs).toBe(0);
    expect(r.floats_kept).toBeGreaterThan(5);
  });
});
