import yaml from 'js-yaml';
import { RANDOM_VALUES } from './random-values';
import { runWith } from './run-lua';

const y = (body: string): Promise<unknown> => runWith(['yaml'], `local yaml = require("yaml")
local function E(v, err)
  if err == nil then return { ok = v } end
  return { nil_value = v == nil, kind = err:kind(), message = err:message(), retryable = err:retryable() }
end
${body}`);

describe('yaml.encode', () => {
  // YAML 1.1 booleans such as y and n are quoted, as yaml.v3 does (it uses double quotes, js-yaml single)
  test('maps are written with sorted keys and 4-space indentation as Go\'s yaml.v3 does; lists from 1..n', async () => {
    expect(await y(`return { yaml.encode({ b = 1, a = { 1, 2 }, c = { z = true, y = "s" } }), yaml.encode({1, 2, 3}), yaml.encode({}) }`))
      .toEqual(['a:\n    - 1\n    - 2\nb: 1\nc:\n    \'y\': s\n    z: true\n', '- 1\n- 2\n- 3\n', '{}\n']);
  });

  test('field_order puts named keys first (2-space indent), sort_unordered sorts the rest', async () => {
    const r = (await y(`return { yaml.encode({ name = "n", kind = "k", a = 1, z = { y = 1, kind = 2 } }, { field_order = { "name", "kind" }, sort_unordered = true }) }`)) as string[];
    expect(r[0]).toBe("name: 'n'\nkind: k\na: 1\nz:\n  kind: 2\n  'y': 1\n");
  });

  test('numbers beyond 32 bits and floats survive; non-tables are Invalid; cycles are an error', async () => {
    const r = (await y(`local t = {} t.t = t
      return { yaml.encode({ big = 2^40, f = 1.5, neg = -2147483648 }), E(yaml.encode(5)), E(yaml.encode("x")), E(yaml.encode(t)) }`)) as unknown[];
    expect(yaml.load(r[0] as string)).toEqual({ big: 2 ** 40, f: 1.5, neg: -2147483648 });
    expect(r[1]).toEqual({ nil_value: true, kind: 'Invalid', retryable: false, message: 'table expected' });
    expect((r[2] as { kind: string }).kind).toBe('Invalid');
    expect(r[3]).toMatchObject({ kind: 'Internal', retryable: false });
  });
});

describe('yaml.decode', () => {
  test('maps, lists, scalars; integers stay integers, big ones become floats; core schema (yes is a string, no dates)', async () => {
    expect(await y(`local d = yaml.decode("a: 1\\nb: [1, 2.5, x]\\nc: {d: null}\\nbig: 4294967296\\nyes_: yes\\nday: 2024-01-02\\nt: true")
      return { d.a, math.type(d.a), d.b[1], d.b[2], d.b[3], d.c.d == nil, d.big, math.type(d.big), d.yes_, d.day, d.t }`))
      .toEqual([1, 'integer', 1, 2.5, 'x', true, 4294967296, 'float', 'yes', '2024-01-02', true]);
  });

  test('anchors, aliases and merge keys work', async () => {
    expect(await y(`local d = yaml.decode("base: &b {x: 1, y: 2}\\nother:\\n  <<: *b\\n  y: 3\\nlist: [*b, *b]")
      return { d.other.x, d.other.y, d.list[2].y, d.list[1] ~= d.list[2] }`)).toEqual([1, 3, 2, true]);
  });

  test('an alias bomb is refused quickly instead of expanding', async () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const started = Date.now();
    const r = (await y(`return E(yaml.decode([[\n${levels.join('\n')}\n]]))`)) as Record<string, unknown>;
    expect(r).toMatchObject({ nil_value: true, kind: 'Internal', retryable: false });
    expect(r.message).toMatch(/^decode failed: YAML aliases expand the document from \d+ to [0-9.e+]+ nodes \(the limit is 100000 more than written\)$/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  test('errors: non-string and empty are Invalid, bad syntax is Internal with its position', async () => {
    const r = (await y(`return { E(yaml.decode(123)), E(yaml.decode("")), E(yaml.decode(":\\n  :\\n  invalid")), E(yaml.decode("a: [1, 2\\n")), E(yaml.decode(string.rep("[", 101) .. string.rep("]", 101))) }`)) as Record<string, unknown>[];
    expect(r[0]).toEqual({ nil_value: true, kind: 'Invalid', retryable: false, message: 'string expected' });
    expect(r[1]).toMatchObject({ kind: 'Invalid', message: 'input cannot be empty' });
    expect(r[2]).toMatchObject({ kind: 'Internal', retryable: false });
    expect(r[3].message).toMatch(/^decode failed: [^\n]+ at line 2, column 1$/);
    expect(r[4].message).toMatch(/^decode failed: nesting exceeded maxDepth \(100\)/); // js-yaml's limit
  });

  test('round trip of nested values', async () => {
    expect(await y(`local v = { name = "x", list = { 1, 2.5, "three", { deep = { true, false } } }, map = { k = "v: with colon", n = -7 } }
      local back = yaml.decode(yaml.encode(v))
      return { back.name, back.list[2], back.list[3], back.list[4].deep[2], back.map.k, back.map.n, #back.list }`))
      .toEqual(['x', 2.5, 'three', false, 'v: with colon', -7, 4]);
  });
});

describe('yaml round trip (fuzz)', () => {
  test('random nested Lua values survive encode → decode, and re-encode to the same text', async () => {
    const r = (await y(`${RANDOM_VALUES}
      local runs, bad, reencoded_differs = 300, {}, 0
      for i = 1, runs do
        local v = { random_value(1) } -- encode takes a table
        local s, err = yaml.encode(v)
        if not s then bad[#bad + 1] = tostring(err) else
          local back, derr = yaml.decode(s)
          if derr then bad[#bad + 1] = tostring(derr) .. " in " .. s
          elseif not same(v, back) then bad[#bad + 1] = s
          elseif yaml.encode(back) ~= s then reencoded_differs = reencoded_differs + 1 end
        end
      end
      return { runs = runs, bad = bad, reencoded_differs = reencoded_differs }`)) as
      { runs: number; bad: string[] | Record<string, never>; reencoded_differs: number };
    expect(r.runs).toBe(300);
    expect(Array.isArray(r.bad) ? r.bad : Object.values(r.bad)).toEqual([]);
    expect(r.reencoded_differs).toBe(0);
  });
});
