/**
 * scripts/fengari-patches/23-number-compare.js: OP_EQ/OP_LT/OP_LE compare two numbers inline. Every case where the
 * inline path must agree with Lua (integer/float mixes, NaN, -0.0, wrapped integers, constants on either side,
 * negated conditions) or must not be taken at all (strings, metamethods, mixed types that raise).
 * scripts/fengari-patches/24-push-reuse.js: values pushed by host functions reuse the slot objects above the top.
 * Every case leaves a closure's variable in a slot a later push could reuse, or reads values a host function
 * pushed after others were popped: a shared or stale object would show another value.
 * scripts/fengari-patches/25-table-read-inline.js: a string or integer key present in a table is read in the
 * interpreter loop. Every case where the result must still come from the general path (a missing key with
 * `__index`, float and other keys, strings and userdata, deleted keys) or must not consult a metamethod.
 */
import { run } from '../helpers/lua';

describe('numbers compared inline (patch 23)', () => {
  test('integer and float operands compare by value, in registers and constants, on both sides', async () => {
    const r = await run(`return { main = function()
      local i, f, h = 1, 1.0, 1.5
      local out = {}
      local function add(v) out[#out + 1] = v end
      add(i == f) add(f == i) add(i < h) add(h < i) add(i <= f) add(f <= i) add(h <= i)
      add(i == 1.0) add(1 == f) add(i < 1.5) add(2 <= h) add(0.5 < i) add(3 > h) add(1 >= f)
      add(i ~= f) add(not (i < h)) add(not (h <= i))
      local big = 2^53
      add(big == 2^53 + 1) add(big < big + 2) add(math.huge > 1e308) add(-math.huge < math.mininteger)
      return out
    end }`);
    expect(r).toEqual([
      true, true, true, false, true, true, false,
      true, true, true, false, true, true, true,
      false, false, true,
      true, true, true, true,
    ]);
  });

  test('NaN is unequal to everything and unordered; -0.0 equals 0; wrapped integers compare as wrapped', async () => {
    const r = await run(`return { main = function()
      local nan, nz, z = 0/0, -0.0, 0
      local out = {}
      local function add(v) out[#out + 1] = v end
      add(nan == nan) add(nan ~= nan) add(nan < 1) add(1 < nan) add(nan <= nan) add(not (nan < nan)) add(not (nan <= 1))
      add(nz == z) add(nz < z) add(nz <= z) add(z <= nz) add(1/nz < 0)
      local wrapped = math.maxinteger + 1
      add(wrapped < 0) add(wrapped == math.mininteger) add(math.maxinteger < wrapped)
      return out
    end }`);
    expect(r).toEqual([false, true, false, false, false, true, true, true, false, true, true, true, true, true, false]);
  });

  test('strings compare as strings and are never coerced to numbers', async () => {
    const r = await run(`return { main = function()
      local a, b = "10", "9"
      local out = { a < b, a == "10", 10 == a, "a" <= "a", "b" < "a" }
      local ok, err = pcall(function() return a < 9 end)
      out[#out + 1] = ok
      out[#out + 1] = err:match("attempt to compare %a+ with %a+")
      local ok2, err2 = pcall(function() return 1 <= {} end)
      out[#out + 1] = ok2
      out[#out + 1] = err2:match("attempt to compare %a+ with %a+")
      return out
    end }`);
    expect(r).toEqual([true, true, false, true, false, false, 'attempt to compare string with number', false, 'attempt to compare number with table']);
  });

  test('tables with comparison metamethods still reach them, __le falling back to not __lt', async () => {
    const r = await run(`return { main = function()
      local calls = {}
      local mt = {
        __eq = function(x, y) calls[#calls + 1] = "eq" return x.v == y.v end,
        __lt = function(x, y) calls[#calls + 1] = "lt" return x.v < y.v end,
      }
      local a, b, c = setmetatable({ v = 1 }, mt), setmetatable({ v = 2 }, mt), setmetatable({ v = 1 }, mt)
      local out = { a == c, a ~= b, a < b, b < a, a <= b, b <= a, a == a }
      out[#out + 1] = table.concat(calls, ",")
      return out
    end }`);
    expect(r).toEqual([true, true, true, false, true, false, true, 'eq,eq,lt,lt,lt,lt']);
  });
});

describe('slots reused by host pushes (patch 24)', () => {
  test('closures made inside a sort comparator keep their arguments after the sort pushes over their slots', async () => {
    const r = await run(`return { main = function()
      local keep = {}
      local list = {}
      for i = 1, 60 do list[i] = (i * 37) % 61 end
      table.sort(list, function(x, y)
        if #keep < 5 then keep[#keep + 1] = function() return x, y end end
        return x < y
      end)
      local seen = {}
      for i = 1, #keep do local x, y = keep[i]() seen[i] = type(x) == "number" and type(y) == "number" and x ~= y end
      return { list[1], list[60], seen[1], seen[5], #keep }
    end }`);
    expect(r).toEqual([1, 60, true, true, 5]);
  });

  test('a variable captured in the frame of a callback survives the host function pushing and popping after it', async () => {
    const r = await run(`return { main = function()
      local fs = {}
      local s = string.gsub("abc", "%a", function(ch)
        local up = ch .. ch
        fs[#fs + 1] = function() up = up .. "!" return up end
        return up
      end)
      local parts = {}
      for k, v in pairs({ x = 1, y = 2, z = 3 }) do parts[#parts + 1] = k .. v end
      table.sort(parts)
      local t = { string.byte("hello", 1, -1) }
      return { s, fs[1](), fs[2](), fs[3](), fs[1](), table.concat(parts, ","), #t, t[5], select("#", table.unpack(t)) }
    end }`);
    expect(r).toEqual(['aabbcc', 'aa!', 'bb!', 'cc!', 'aa!!', 'x1,y2,z3', 5, 111, 5]);
  });

  test('values pushed after pops are not the popped ones: nil holes, errors and coroutine transfers', async () => {
    const r = await run(`return { main = function()
      local t = setmetatable({}, { __index = function(_, k) return k * 2 end })
      local a = { rawget(t, 1), t[2], rawget(t, 3), t[4] }
      local ok, err = pcall(error, { code = 7 })
      local co = coroutine.wrap(function(x, y)
        local c = function() return x + y end
        local p, q = coroutine.yield(x * 10, y * 10)
        return c(), p, q
      end)
      local y1, y2 = co(1, 2)
      local c1, p1, q1 = co("p", "q")
      local n = select("#", nil, nil, 3)
      return { a[1] == nil, a[2], a[3] == nil, a[4], ok, err.code, y1, y2, c1, p1, q1, n, tostring(nil), math.max(3, 9, 4) }
    end }`);
    expect(r).toEqual([true, 4, true, 8, false, 7, 10, 20, 3, 'p', 'q', 3, 'nil', 9]);
  });
});

describe('table fields read inline (patch 25)', () => {
  test('present keys are read raw; missing ones still reach __index, as a table or a function', async () => {
    const r = await run(`return { main = function()
      local seen = {}
      local base = { inherited = "base", shadowed = "base" }
      local t = setmetatable({ shadowed = "own", f = false, [1] = "one", [-2147483648] = "min" }, { __index = base })
      local c = setmetatable({ present = 1 }, { __index = function(_, k) seen[#seen + 1] = tostring(k) return "computed" end })
      local key = "shad" .. "owed"
      return { t.shadowed, t[key], t.inherited, t.f, t[1], t[math.mininteger], t.nothing == nil, c.present, c.absent, c[7], table.concat(seen, ",") }
    end }`);
    expect(r).toEqual(['own', 'own', 'base', false, 'one', 'min', true, 1, 'computed', 'computed', 'absent,7']);
  });

  test('float keys, numeric strings and other key types keep their own meaning', async () => {
    const r = await run(`return { main = function()
      local t = { [1] = "int", ["1"] = "string", [2.5] = "float", [true] = "bool" }
      local k = {}
      t[k] = "table"
      local one, two = 1.0, 2^53
      t[two] = "big"
      return { t[one], t[1], t["1"], t[2.5], t[true], t[k], t[2^53], t[-0.0] == nil, t[0/0] == nil }
    end }`);
    expect(r).toEqual(['int', 'int', 'string', 'float', 'bool', 'table', 'big', true, true]);
  });

  test('a deleted key falls back to __index; a re-added one is read again; strings and userdata use their metatables', async () => {
    const r = await run(`return { main = function()
      local t = setmetatable({ x = 1, y = 2 }, { __index = function(_, k) return "meta " .. k end })
      local before = t.x
      t.x = nil
      local deleted = t.x
      for k in pairs(t) do t[k] = nil end
      local cleared = t.y
      t.x = 3
      local readded = t.x
      local s = "abc"
      return { before, deleted, cleared, readded, s:upper(), ("x"):rep(3), #s, s.len(s) }
    end }`);
    expect(r).toEqual([1, 'meta x', 'meta y', 3, 'ABC', 'xxx', 3, 3]);
  });

  test('reading a field of a non-table still raises the same error', async () => {
    const r = await run(`return { main = function()
      local ok1, e1 = pcall(function() local n = nil return n.field end)
      local ok2, e2 = pcall(function() local v = 5 return v[1] end)
      return { ok1, (e1:gsub("^.-:%d+: ", "")), ok2, (e2:gsub("^.-:%d+: ", "")) }
    end }`);
    expect(r).toEqual([false, "attempt to index a nil value (local 'n')", false, "attempt to index a number value (local 'v')"]);
  });
});
