/**
 * scripts/fengari-patches/21-callinfo-reuse.js: call frames (CallInfo) are reused at each depth; a reused one
 * must carry nothing of its last call (a continuation, a saved error function) into the next.
 * scripts/fengari-patches/20-stack-reuse.js: stack slots keep their objects when the top falls, except where an
 * open upvalue may share one. Every case leaves a closure's variable where a later call's frame reuses the
 * slots, then reads it: a slot reused while a closure still shared it would show the later call's values.
 */
import { run } from '../helpers/lua';

// A call whose frame covers many slots and writes all of them: it runs over whatever the last call left.
const CLOBBER = `local function clobber(depth)
  local a, b, c, d, e, f, g, h = "a", "b", "c", "d", "e", "f", "g", "h"
  if depth > 0 then return clobber(depth - 1) end
  return a .. b .. c .. d .. e .. f .. g .. h
end`;

describe('stack slots reused across calls (patch 20)', () => {
  test('a closure returned from a call keeps its variable after other calls reuse the frame', async () => {
    const r = await run(`${CLOBBER}
    return { main = function()
      local function make(v) local x = v local y = v * 2 return function() x = x + 1 return x + y end end
      local g = make(10)
      clobber(20)
      local first = g()
      clobber(20)
      return { first, g(), make(1)(), clobber(3) }
    end }`);
    expect(r).toEqual([31, 32, 4, 'abcdefgh']);
  });

  test('closures made in a loop each keep their own iteration variable', async () => {
    const r = await run(`${CLOBBER}
    return { main = function()
      local fs = {}
      for i = 1, 5 do local j = i * 3 fs[i] = function() return j end clobber(2) end
      local k = 0
      while k < 3 do k = k + 1 local m = k fs[#fs + 1] = function() return m end end
      clobber(10)
      local out = {}
      for i = 1, #fs do out[i] = fs[i]() end
      return out
    end }`);
    expect(r).toEqual([3, 6, 9, 12, 15, 1, 2, 3]);
  });

  test('two closures share one open variable, and keep sharing it once closed', async () => {
    const r = await run(`${CLOBBER}
    return { main = function()
      local function counter()
        local n = 0
        local inc = function() n = n + 1 return n end
        local get = function() return n end
        inc() clobber(2) inc()
        return inc, get, n
      end
      local inc, get, seen = counter()
      clobber(15)
      inc()
      return { seen, get(), inc(), get() }
    end }`);
    expect(r).toEqual([2, 3, 4, 4]);
  });

  test('a closure made in a function that then raises keeps its variable past the pcall', async () => {
    const r = await run(`${CLOBBER}
    return { main = function()
      local saved
      local ok, err = pcall(function(v)
        local kept = v .. "!"
        saved = function() return kept end
        local big = { clobber(1) }
        error("boom", 0)
      end, "value")
      clobber(25)
      local ok2 = pcall(function() local z = "z" saved2 = function() return z end clobber(5) error({}) end)
      clobber(25)
      return { ok, err, saved(), ok2, saved2() }
    end }`);
    expect(r).toEqual([false, 'boom', 'value!', false, 'z']);
  });

  test('open variables of a suspended coroutine survive other calls and resumes', async () => {
    const r = await run(`${CLOBBER}
    return { main = function()
      local co = coroutine.wrap(function(a)
        local acc = a
        local add = function(x) acc = acc .. x end
        while true do
          local x = coroutine.yield(acc)
          clobber(4)
          add(x)
        end
      end)
      local out = { co("s") }
      for _, x in ipairs({ "1", "2", "3" }) do clobber(12) out[#out + 1] = co(x) end
      return out
    end }`);
    expect(r).toEqual(['s', 's1', 's12', 's123']);
  });

  test('registers a call leaves behind read as nil, not as stale values, in the next frame', async () => {
    const r = await run(`${CLOBBER}
    return { main = function()
      local function missing(a, b, c, d) return a, b, c, d end
      local function vararg(...) local x, y, z = ... return select("#", ...), x, y, z end
      clobber(8)
      local a, b, c, d = missing(1)
      clobber(8)
      local n, x, y, z = vararg("only")
      clobber(8)
      local t = { missing() }
      return { a, b == nil, c == nil, d == nil, n, x, y == nil, z == nil, #t }
    end }`);
    expect(r).toEqual([1, true, true, true, 1, 'only', true, true, 0]);
  });

  test('deep recursion through closures and metamethods computes the same as a plain loop', async () => {
    const r = await run(`return { main = function()
      local memo = {}
      local function fib(n)
        if n < 2 then return n end
        local get = function(k) local v = memo[k] if v == nil then v = fib(k) memo[k] = v end return v end
        return get(n - 1) + get(n - 2)
      end
      local function plain(n) local a, b = 0, 1 for _ = 1, n do a, b = b, a + b end return a end
      local mt = { __add = function(x, y) return setmetatable({ v = x.v + y.v }, getmetatable(x)) end }
      local function sum(n) if n == 0 then return setmetatable({ v = 0 }, mt) end return sum(n - 1) + setmetatable({ v = n }, mt) end
      local s = string.gsub("abc", "%w", function(ch) local up = ch:upper() return (function() return up end)() end)
      return { fib(30), plain(30), sum(200).v, s }
    end }`);
    expect(r).toEqual([832040, 832040, 20100, 'ABC']);
  });
});

describe('call frames reused across calls (patch 21)', () => {
  test('errors raised at every depth, caught by pcall and xpcall at others, unwind to the right frame', async () => {
    const r = await run(`return { main = function()
      local function dive(n, fail_at)
        if n == fail_at then error("at " .. n, 0) end
        if n == 0 then return "bottom" end
        return dive(n - 1, fail_at)
      end
      local out = {}
      for _, depth in ipairs({ 3, 70, 200 }) do
        for _, fail_at in ipairs({ -1, 0, 1, depth - 1, 65 }) do
          local ok, v = pcall(dive, depth, fail_at)
          out[#out + 1] = tostring(ok) .. ":" .. v
        end
      end
      local handled = { xpcall(dive, function(m) return "handled " .. m end, 80, 10) }
      out[#out + 1] = handled[2]
      out[#out + 1] = dive(100, -1)
      return out
    end }`);
    expect(r).toEqual([
      'true:bottom', 'false:at 0', 'false:at 1', 'false:at 2', 'true:bottom',
      'true:bottom', 'false:at 0', 'false:at 1', 'false:at 69', 'false:at 65',
      'true:bottom', 'false:at 0', 'false:at 1', 'false:at 199', 'false:at 65',
      'handled at 10', 'bottom',
    ]);
  });

  test('blocking calls and coroutine yields inside pcall at varying depths resume into the right frames', async () => {
    const r = await run(`local time = require("time")
    return { main = function()
      local function nest(n, f) if n == 0 then return f() end local ok, v = pcall(nest, n - 1, f) return v end
      local out = {}
      for _, depth in ipairs({ 1, 5, 90, 2 }) do
        out[#out + 1] = nest(depth, function() time.sleep(0) return "slept " .. depth end)
        local co = coroutine.wrap(function() return nest(depth, function() coroutine.yield("y" .. depth) error("e" .. depth, 0) end) end)
        out[#out + 1] = co()
        out[#out + 1] = co()
      end
      local ok, err = pcall(function() nest(3, function() time.sleep(0) error("late", 0) end) end)
      out[#out + 1] = tostring(ok) .. ":" .. tostring(err)
      return out
    end }`);
    expect(r).toEqual([
      'slept 1', 'y1', 'e1', 'slept 5', 'y5', 'e5', 'slept 90', 'y90', 'e90', 'slept 2', 'y2', 'e2', 'true:nil',
    ]);
  });
});
