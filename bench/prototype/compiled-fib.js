'use strict';
/**
 * Prototype (issue 27, not a benchmark suite): what compiling a hot pure Lua function to JavaScript would give
 * fib(27), against our interpreter, in one Fengari state. `fib` below is the code a compiler could emit for
 * bench/reference/compute-workloads.lua's fib once it has proved the local `fib` is never reassigned: integer
 * arithmetic as Fengari's (32-bit, wrapping), a guard that hands any non-integer argument back to the
 * interpreted function, and a budget counted per call in place of the count hook (a compiled function cannot
 * yield mid-way: on exhaustion it would have to finish in the interpreter, which this prototype only counts).
 *
 *   node bench/prototype/compiled-fib.js     prints interpreted and compiled fib(27) ms, medians of 7
 */
require('v8').setFlagsFromString('--no-sparkplug');
const { lua, lauxlib, lualib, to_luastring } = require('fengari');

const SOURCE = `local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
return fib`;

let budget = 0;
let exhausted = 0;
function compiledFib(n) {
  if (--budget <= 0) {
    exhausted++;
    budget = 10000;
  }
  if (n < 2) return n;
  return (compiledFib(n - 1) + compiledFib(n - 2)) | 0;
}

const L = lauxlib.luaL_newstate();
lualib.luaL_openlibs(L);
if (lauxlib.luaL_loadstring(L, to_luastring(SOURCE)) !== lua.LUA_OK || lua.lua_pcall(L, 0, 1, 0) !== lua.LUA_OK) throw new Error('load');
lua.lua_setglobal(L, to_luastring('interpreted'));
lua.lua_pushcfunction(L, (T) => {
  if (!lua.lua_isinteger(T, 1)) {
    // The guard: not the case the code was compiled for; the interpreter runs it.
    lua.lua_getglobal(T, to_luastring('interpreted'));
    lua.lua_insert(T, 1);
    lua.lua_call(T, 1, 1);
    return 1;
  }
  lua.lua_pushinteger(T, compiledFib(lua.lua_tointeger(T, 1)));
  return 1;
});
lua.lua_setglobal(L, to_luastring('compiled'));

function timeMs(name) {
  lua.lua_getglobal(L, to_luastring(name));
  lua.lua_pushinteger(L, 27);
  const t0 = performance.now();
  if (lua.lua_pcall(L, 1, 1, 0) !== lua.LUA_OK) throw new Error(lua.lua_tojsstring(L, -1));
  const ms = performance.now() - t0;
  if (lua.lua_tointeger(L, -1) !== 196418) throw new Error(`${name}: wrong result`);
  lua.lua_pop(L, 1);
  return ms;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const rows = { interpreted: [], compiled: [] };
timeMs('interpreted');
timeMs('compiled');
for (let i = 0; i < 7; i++) for (const name of Object.keys(rows)) rows[name].push(timeMs(name));
console.log(JSON.stringify({ interpreted_fib27_ms: median(rows.interpreted), compiled_fib27_ms: median(rows.compiled), budget_exhausted: exhausted }));
