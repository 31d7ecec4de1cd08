/**
 * scripts/fengari-patches/17-nil-key.js: assignments through a nil or NaN key behave as in go-lua (Wippy's VM),
 * not as in standard Lua: `t[nil] = v` keeps v where `t[nil]` finds it, `t[0/0] = v` changes nothing, rawset
 * still refuses both.
 */
import { run } from '../helpers/lua';
import { createVM } from '../../src/modules';
import { encode, lauxlib, lua } from '../../src/engine/lua';
import { popSlot } from '../../src/engine/slots';
import { MemoryMeter } from '../../src/engine/memory';

describe('assignments through a nil key (go-lua)', () => {
  test('a table without a metatable keeps the value where t[nil] and rawget find it; pairs and # do not see it', async () => {
    const r = await run(`return { main = function()
      local t = { 10, 20, a = 1 }
      t[nil] = "v"
      local n = 0
      for _ in pairs(t) do n = n + 1 end
      local only = {}
      only[nil] = 1
      local was = only[nil]
      only[nil] = nil
      return { t[nil], rawget(t, nil), n, #t, next(only) == nil, was, only[nil] == nil, ({})[nil] == nil }
    end }`);
    expect(r).toEqual(['v', 'v', 3, 2, true, 1, true, true]);
  });

  test("Wippy's funcs:parallel pattern: indexing with an undeclared variable stores nothing ipairs sees", async () => {
    const r = await run(`return { main = function()
      local results = {}
      for _, v in ipairs({ "a", "b" }) do results[i] = v end
      local n = 0
      for _ in ipairs(results) do n = n + 1 end
      return { n, results[nil] }
    end }`);
    expect(r).toEqual([0, 'b']);
  });

  test('table constructors and globals through _ENV take a nil key too', async () => {
    const r = await run(`return { main = function()
      local t = { [nil] = 1, x = 2 }
      _ENV[nil] = 3
      return { t[nil], t.x, _ENV[nil] }
    end }`);
    expect(r).toEqual([1, 2, 3]);
  });

  test('through metatables: stored without __newindex, __newindex called with the nil key, tables chained', async () => {
    const r = await run(`return { main = function()
      local plain = setmetatable({}, { __index = function() return "default" end })
      plain[nil] = "stored"
      local seen = {}
      local hooked = setmetatable({}, { __newindex = function(t, k, v) seen[#seen + 1] = { k == nil, v } end })
      hooked[nil] = "first"
      local target = {}
      local chained = setmetatable({}, { __newindex = target })
      chained[nil] = "chained"
      return { plain[nil], #seen, seen[1][1], seen[1][2], rawget(hooked, nil) == nil, target[nil], rawget(chained, nil) == nil }
    end }`);
    expect(r).toEqual(['stored', 1, true, 'first', true, 'chained', true]);
  });

  test('a nil key already present is replaced without calling __newindex, as for any present key', async () => {
    const r = await run(`return { main = function()
      local calls = 0
      local t = {}
      t[nil] = "old"
      setmetatable(t, { __newindex = function() calls = calls + 1 end })
      t[nil] = "new"
      return { t[nil], calls }
    end }`);
    expect(r).toEqual(['new', 0]);
  });

  test('a NaN key stores nothing and raises nothing; __newindex still sees it', async () => {
    const r = await run(`return { main = function()
      local t = {}
      local nan = 0 / 0
      t[nan] = 1
      local n = 0
      for _ in pairs(t) do n = n + 1 end
      local got
      local hooked = setmetatable({}, { __newindex = function(_, k) got = k ~= k end })
      hooked[nan] = 1
      return { t[nan] == nil, n, got }
    end }`);
    expect(r).toEqual([true, 0, true]);
  });

  test('rawset still refuses a nil or NaN key, as go-lua does', async () => {
    const r = await run(`return { main = function()
      local ok1, e1 = pcall(rawset, {}, nil, 1)
      local ok2, e2 = pcall(rawset, {}, 0 / 0, 1)
      return { ok1, tostring(e1), ok2, tostring(e2) }
    end }`);
    expect(r).toEqual([false, 'table index is nil', false, 'table index is NaN']);
  });

  test('a table with a nil-key value leaves the process as its other entries only (no host walk sees the key)', async () => {
    const r = await run(`return { main = function()
      local t = { a = 1 }
      t[nil] = { deep = true }
      return t
    end }`);
    expect(r).toEqual({ a: 1 });
  });

  test("the memory meter counts what a table keeps under the nil key (it is the process's memory)", () => {
    const vm = createVM();
    const measure = (code: string): number => {
      expect(lauxlib.luaL_loadstring(vm.L, encode(code))).toBe(lua.LUA_OK);
      expect(lua.lua_pcall(vm.L, 0, 1, 0)).toBe(lua.LUA_OK);
      const meter = new MemoryMeter();
      try {
        return meter.measure([popSlot(vm.L)], 0);
      } finally {
        meter.finish();
      }
    };
    const plain = measure('return {}');
    const held = measure('local s = "x" for _ = 1, 20 do s = s .. s end local t = {} t[nil] = s return t');
    expect(held - plain).toBeGreaterThanOrEqual(2 ** 20);
  });
});
