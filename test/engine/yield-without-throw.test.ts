/**
 * scripts/fengari-patches/09-yield-without-throw.js: a host function's yield returns instead of throwing where
 * nothing between it and lua_resume has work to do. Each scenario runs on our Fengari (host functions yield with
 * wisp_yieldk) and on the unmodified release (`fengari-pristine`, lua_yieldk, which always throws); the two must
 * give the same transcript of yields, results and errors, and the fast path must be taken where it can be.
 */
import { readFileSync } from 'fs';
import * as fengari from 'fengari';
import { lua as patchedLua } from '../../src/engine/lua';

type Fengari = typeof fengari;
type State = fengari.LuaState;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const pristine = require('fengari-pristine') as Fengari;

type Plain = number | string | boolean | null;
type Step = [string, ...Plain[]];

interface Run {
  transcript: Step[];
  /** Yields that returned instead of throwing (always 0 on the pristine VM). */
  fast: number;
}

function plainAt(api: Fengari, T: State, i: number): Plain {
  const { lua } = api;
  switch (lua.lua_type(T, i)) {
    case lua.LUA_TNIL:
      return null;
    case lua.LUA_TNUMBER:
      return lua.lua_tonumber(T, i);
    case lua.LUA_TBOOLEAN:
      return lua.lua_toboolean(T, i);
    case lua.LUA_TSTRING:
      return lua.lua_tojsstring(T, i);
    default:
      return `<${api.to_jsstring(lua.lua_typename(T, lua.lua_type(T, i)))}>`;
  }
}

/**
 * Runs `source` (or, with `body: 'hy'`, the host function itself as the thread's body) in a fresh state. Host
 * functions: `hy(...)` yields its arguments; `hk(x)` yields x with a continuation that yields once more (from
 * inside the continuation) and then returns both replies. The driver resumes every yield with each number + 10.
 */
function run(api: Fengari, source: string, body: 'chunk' | 'hy' = 'chunk'): Run {
  const { lua, lauxlib, lualib } = api;
  const fastYield = api === pristine ? null : (patchedLua as unknown as { wisp_yieldk: Fengari['lua']['lua_yieldk'] }).wisp_yieldk;
  let fast = 0;
  const yieldk = (T: State, n: number, k: fengari.KFunction | null): number => {
    if (fastYield === null) return lua.lua_yieldk(T, n, 0, k);
    const r = fastYield(T, n, 0, k);
    if (r === -1) fast++;
    return r;
  };
  const L = lauxlib.luaL_newstate();
  lualib.luaL_openlibs(L);
  const hy: fengari.JSFunction = (T) => yieldk(T, lua.lua_gettop(T), null);
  const second: fengari.KFunction = (T) => lua.lua_gettop(T) - 1; // the two replies, after the argument
  const first: fengari.KFunction = (T) => {
    lua.lua_pushvalue(T, -1);
    return yieldk(T, 1, second);
  };
  const hk: fengari.JSFunction = (T) => {
    lua.lua_pushvalue(T, 1);
    return yieldk(T, 1, first);
  };
  lua.lua_pushjsfunction(L, hy);
  lua.lua_setglobal(L, api.to_luastring('hy'));
  lua.lua_pushjsfunction(L, hk);
  lua.lua_setglobal(L, api.to_luastring('hk'));
  const T = lua.lua_newthread(L);
  if (body === 'hy') {
    lua.lua_pushjsfunction(T, hy);
    lua.lua_pushinteger(T, 1);
    lua.lua_pushinteger(T, 2);
  } else if (lauxlib.luaL_loadstring(T, api.to_luastring(source)) !== lua.LUA_OK) {
    throw new Error(lua.lua_tojsstring(T, -1));
  }
  const transcript: Step[] = [];
  let nargs = body === 'hy' ? 2 : 0;
  for (let step = 0; step < 50; step++) {
    const status = lua.lua_resume(T, L, nargs);
    const values: Plain[] = [];
    for (let i = 1; i <= lua.lua_gettop(T); i++) values.push(plainAt(api, T, i));
    if (status !== lua.LUA_YIELD) {
      transcript.push([status === lua.LUA_OK ? 'return' : 'error', ...values]);
      return { transcript, fast };
    }
    transcript.push(['yield', ...values]);
    lua.lua_settop(T, 0);
    for (const v of values) {
      if (typeof v === 'number') lua.lua_pushnumber(T, v + 10);
      else if (typeof v === 'string') lua.lua_pushstring(T, api.to_luastring(v));
      else lua.lua_pushnil(T);
    }
    nargs = values.length;
  }
  throw new Error('did not finish in 50 resumes');
}

const scenarios: Record<string, { source: string; fast: 'all' | 'some' | 'none' }> = {
  'plain calls, one and several values': { source: 'local a = hy(1) local b, c = hy(a, 2) return a, b, c', fast: 'all' },
  'a tail call': { source: 'local function f(x) return hy(x) end local a = f(5) return a, f(6)', fast: 'all' },
  'results kept open (multret)': { source: 'local t = {hy(1, 2, 3)} return #t, select("#", hy(4, 5))', fast: 'all' },
  'no values': { source: 'local n = select("#", hy()) return n', fast: 'all' },
  'inside pcall, and after it': {
    source: 'local ok, v = pcall(function() local x = hy(1) local y = hy(x) return x + y end) return ok, v, hy(3)',
    fast: 'some',
  },
  'an error after a yield inside pcall': {
    source: 'local ok, e = pcall(function() hy(1) error("boom", 0) end) local z = hy(2) return ok, e, z',
    fast: 'some',
  },
  'xpcall with a handler': {
    source: 'return xpcall(function() hy(1) error("x", 0) end, function(m) return "h:" .. m end)',
    fast: 'none',
  },
  'pcall of the host function itself': { source: 'return pcall(hy, 7)', fast: 'none' },
  'a Lua coroutine inside': {
    source: `local co = coroutine.wrap(function(a) local b = coroutine.yield(a + 1) return b * 2 end)
      local x = co(1) local y = co(x) return x, y, hy(y)`,
    fast: 'all',
  },
  'coroutine.yield travels through': {
    source: 'local co = coroutine.create(function() return hy(coroutine.yield(1)) end) return coroutine.resume(co)',
    fast: 'none',
  },
  'a Lua __index that yields': {
    source: 'local t = setmetatable({}, {__index = function(_, k) return hy(k) end}) return t.x, t.y',
    fast: 'none',
  },
  'a host function as __index': { source: 'local t = setmetatable({}, {__index = hy}) return t.x', fast: 'none' },
  'an iterator that yields': {
    source: 'local s = 0 for v in function(_, c) if c < 3 then return hy(c + 1) - 10 end end, nil, 0 do s = s + v end return s',
    fast: 'none',
  },
  'a continuation that yields again': { source: 'local a, b = hk(1) return a, b, hk(a)', fast: 'all' },
  'a continuation inside pcall': { source: 'return pcall(function() return hk(1) end)', fast: 'some' },
  'across a JS-call boundary (an error on both)': {
    source: 'local t = {3, 2, 1} table.sort(t, function(a, b) hy(1) return a < b end)',
    fast: 'none',
  },
  'an error in the host function after resuming': { source: 'local a = hy(1) return hy(a, nil .. a)', fast: 'all' },
};

describe('yield without a JS throw (Fengari patch 09-yield-without-throw)', () => {
  for (const [name, { source, fast }] of Object.entries(scenarios)) {
    test(name, () => {
      const ours = run(fengari, source);
      const reference = run(pristine, source);
      expect(ours.transcript).toEqual(reference.transcript);
      expect(reference.fast).toBe(0);
      const yields = ours.transcript.filter((s) => s[0] === 'yield').length;
      if (fast === 'all') expect(ours.fast).toBe(yields);
      else if (fast === 'some') expect(ours.fast).toBeGreaterThan(0);
      else expect(ours.fast).toBe(0);
      if (fast === 'some') expect(ours.fast).toBeLessThan(yields);
    });
  }

  test('the reference copy is unpatched, ours is patched', () => {
    const read = (pkg: string): string => readFileSync(require.resolve(`${pkg}/src/ldo.js`), 'utf8');
    expect(read('fengari-pristine')).not.toContain('wisp');
    expect(read('fengari')).toContain('09-yield-without-throw.js');
  });

  test('the host function as the body of the thread', () => {
    const ours = run(fengari, '', 'hy');
    expect(ours.transcript).toEqual(run(pristine, '', 'hy').transcript);
    expect(ours.transcript).toEqual([['yield', 1, 2], ['return', 11, 12]]);
    expect(ours.fast).toBe(1);
  });

  test('the transcripts are what Lua gives', () => {
    expect(run(fengari, scenarios['plain calls, one and several values'].source).transcript).toEqual([
      ['yield', 1],
      ['yield', 11, 2],
      ['return', 11, 21, 12],
    ]);
    expect(run(fengari, scenarios['a continuation that yields again'].source).transcript).toEqual([
      ['yield', 1],
      ['yield', 11],
      ['yield', 11],
      ['yield', 21],
      ['return', 11, 21, 21, 31],
    ]);
  });
});
