/**
 * The `expr` module in real Lua through the real engine: Wippy's surface (eval, compile, program:run), its
 * error kinds, the Lua ⇄ expression value rules, and hostile expressions ending with clear errors.
 */
import { runWith } from './run-lua';

const expr = (body: string): Promise<unknown> => runWith(['expr'], `local expr = require("expr")\n${body}`);

/** Lua helper: a result or {kind, message, retryable} of a `nil, err` result. */
const E = `
local function E(v, err)
  if err == nil then return { ok = v } end
  return { nil_value = v == nil, kind = err:kind(), message = err:message(), retryable = err:retryable() }
end`;

describe('expr.eval', () => {
  test('arithmetic, booleans, strings, ternary, builtins, nil (Wippy suite eval)', async () => {
    expect(
      await expr(`return {
        expr.eval("1 + 2"), expr.eval("x + y", {x = 10, y = 20}), expr.eval("true && false"), expr.eval("true || false"),
        expr.eval('"hello" + " " + "world"'), expr.eval("x > 5", {x = 10}), expr.eval("x <= 5", {x = 5}),
        expr.eval('x > 0 ? "positive" : "negative"', {x = -1}), expr.eval("max(1, 5, 3)"), expr.eval("min(1, 5, 3)"),
        expr.eval("len([1, 2, 3])"), expr.eval("nil") == nil,
      }`),
    ).toEqual([3, 30, false, true, 'hello world', true, true, 'negative', 5, 1, 3, true]);
  });

  test('ints stay integers and floats floats; division is float', async () => {
    expect(
      await expr(`return {
        math.type(expr.eval("1 + 2")), math.type(expr.eval("10 / 5")), expr.eval("10 / 4"), math.type(expr.eval("x * 2", {x = 1.5})),
        math.type(expr.eval("x + 1", {x = 2})), math.type(expr.eval("x + 1", {x = 2.0})),
      }`),
    ).toEqual(['integer', 'float', 2.5, 'float', 'integer', 'float']);
  });

  test('tables: arrays and maps in, Lua tables out', async () => {
    expect(
      await expr(`
        local users = { {name = "ann", age = 31}, {name = "bob", age = 17} }
        local adults = expr.eval("map(filter(users, .age >= 18), .name)", {users = users})
        local grouped = expr.eval("groupBy(users, .age >= 18)", {users = users})
        local m = expr.eval('{a: 1, b: [true, "x"]}')
        return { adults = adults, adult_names = grouped["true"][1].name, a = m.a, b2 = m.b[2],
                 roles = expr.eval('"admin" in roles', {roles = {"user", "admin"}}),
                 nested = expr.eval("cfg.limits.max * 2", {cfg = {limits = {max = 21}}}),
                 when = math.type(expr.eval('date("2023-08-14T00:00:00Z")')), unix = expr.eval('date("2023-08-14T00:00:00Z")') }`),
    ).toEqual({ adults: ['ann'], adult_names: 'ann', a: 1, b2: 'x', roles: true, nested: 42, when: 'float', unix: 1691971200 });
  });

  test('errors: empty is Invalid, syntax and run errors Internal, none retryable (Wippy suite errors)', async () => {
    const r = (await expr(`${E}
      local p = expr.compile("x + y")
      local _, err = p:run({x = 10})
      return { E(expr.eval("")), E(expr.eval("invalid syntax !!!")), E(expr.compile("")), E(expr.compile("(((")), E(p:run({x = 10})),
               tostring(err), "Error: " .. tostring(err) }`)) as Record<string, unknown>[];
    expect(r[0]).toEqual({ nil_value: true, kind: 'Invalid', message: 'expression cannot be empty', retryable: false });
    expect(r[1]).toEqual({ nil_value: true, kind: 'Internal', message: 'unexpected token Identifier("syntax") (1:9)\n | invalid syntax !!!\n | ........^', retryable: false });
    expect(r[2]).toMatchObject({ kind: 'Invalid', retryable: false });
    expect(r[3]).toMatchObject({ kind: 'Internal', message: 'unexpected token EOF (1:3)\n | (((\n | ..^' });
    expect(r[4]).toEqual({ nil_value: true, kind: 'Internal', message: 'invalid operation: int + <nil> (1:3)\n | x + y\n | ..^', retryable: false });
    expect(r[5]).toMatch(/invalid operation: int \+ <nil>/);
    expect(r[6]).toMatch(/^Error: invalid operation/);
  });

  test('a non-string expression is a Lua argument error', async () => {
    await expect(expr('return expr.eval(42 == 42)')).rejects.toThrow(/bad argument #1 to 'eval' \(string expected, got boolean\)/);
  });
});

describe('expr.compile and program:run', () => {
  test('a program runs with many environments (Wippy suite compile)', async () => {
    expect(
      await expr(`
        local p = expr.compile("a * b")
        local r1 = p:run({a = 5, b = 6})
        local r2 = p:run({a = 10, b = 3})
        local c = expr.compile("2 + 2")
        local h = expr.compile("value * 2", {value = 0})
        return { r1, r2, c:run(), h:run({value = 50}), type(p.run) }`),
    ).toEqual([30, 30, 4, 100, 'function']);
  });

  test('a compile environment makes unknown names and type mismatches compile errors', async () => {
    const r = (await expr(`${E}
      return { E(expr.compile("other * 2", {value = 0})), E(expr.compile("s * 2", {s = "x"})), E(expr.compile("x", {1, 2})) }`)) as Record<string, unknown>[];
    expect(r[0]).toMatchObject({ kind: 'Internal', message: 'unknown name other (1:1)\n | other * 2\n | ^' });
    expect(r[1]).toMatchObject({ kind: 'Internal', message: expect.stringMatching(/^invalid operation: \* \(mismatched types string and int\)/) });
    expect(r[2]).toMatchObject({ kind: 'Internal', message: 'unknown type []interface {}' });
  });

  test('a result Lua cannot hold is a conversion error', async () => {
    const r = (await expr(`${E} return { E(expr.eval('duration("1h")')) }`)) as Record<string, unknown>[];
    expect(r[0]).toMatchObject({ kind: 'Internal', message: 'unsupported type: time.Duration' });
  });
});

describe('hostile expressions end with clear errors', () => {
  test('quadratic work over a big table hits the step budget; the process carries on', async () => {
    const r = (await expr(`${E}
      local big = {}
      for i = 1, 5000 do big[i] = i end
      local first = E(expr.eval("count(big, count(big, # == #) > 0)", {big = big}))
      return { first, E(expr.eval("len(big)", {big = big})) }`)) as Record<string, unknown>[];
    expect(r[0]).toMatchObject({ nil_value: true, kind: 'Internal', message: expect.stringMatching(/^step budget exceeded/) });
    expect(r[1]).toEqual({ ok: 5000 });
  });

  test('huge strings and arrays hit their limits', async () => {
    const r = (await expr(`${E}
      return { E(expr.eval('let s = repeat("x", 900000); let t = s + s + s + s + s; t + t')), E(expr.eval("1..100000000")),
               E(expr.eval('repeat("ab", 100000000)')) }`)) as Record<string, unknown>[];
    expect(r[0].message).toMatch(/string too long|memory budget exceeded/);
    expect(r[1].message).toMatch(/^memory budget exceeded/);
    expect(r[2].message).toMatch(/^memory budget exceeded/);
  });

  test('a cyclic environment table is refused, not followed forever', async () => {
    const r = (await expr(`${E}
      local t = {}; t.self = t
      return { E(expr.eval("1", {t = t})) }`)) as Record<string, unknown>[];
    expect(r[0]).toMatchObject({ kind: 'Internal', message: 'table is cyclic' });
  });

  test('a deeply nested expression is refused at compile time', async () => {
    const r = (await expr(`${E}
      return { E(expr.eval(string.rep("(", 3000) .. "1" .. string.rep(")", 3000))) }`)) as Record<string, unknown>[];
    expect(r[0].message).toMatch(/nested too deep/);
  });

  test('a catastrophic regular expression is linear', async () => {
    expect(await expr(`return expr.eval('s matches "^(a+)+$"', {s = string.rep("a", 30000) .. "b"})`)).toBe(false);
  });
});
