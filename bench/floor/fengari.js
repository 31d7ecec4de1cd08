'use strict';
/**
 * bench/floor on Fengari: one Lua state (of the Fengari module given: ours, patched at install, or the pristine
 * release) with the floor runtime and its workloads loaded, the scripts read from this repository.
 */
const fs = require('fs');
const path = require('path');

const ROOT = path.join(__dirname, '..', '..');
const read = (rel) => fs.readFileSync(path.join(ROOT, rel), 'utf8');

/** Sources of the workloads, by the names bench/floor/workloads.lua reads (native.lua reads the same files). */
const SOURCES = {
  relay: 'lua/echo-service/src/relay.lua',
  worker: 'lua/echo-service/src/worker.lua',
  bench: 'bench/project/src/bench.lua',
  client: 'bench/echo-client.lua',
};

/** `sources` may replace any of the texts (the test gives a broken worker to see the echo fail). */
function floorState(fengari, sources = {}) {
  const { lua, lauxlib, lualib, to_luastring: s } = fengari;
  const L = lauxlib.luaL_newstate();
  lualib.luaL_openlibs(L);
  const check = (status) => {
    if (status !== lua.LUA_OK) throw new Error(`floor: ${lua.lua_tojsstring(L, -1)}`);
  };
  const load = (rel) => check(lauxlib.luaL_loadbufferx(L, s(read(rel)), null, s(`@${rel}`), s('t')));
  load('bench/floor/runtime.lua');
  check(lua.lua_pcall(L, 0, 1, 0));
  load('bench/floor/workloads.lua');
  lua.lua_insert(L, -2); // the workloads chunk, then its first argument: the runtime module
  lua.lua_createtable(L, 0, 4);
  for (const [name, rel] of Object.entries(SOURCES)) {
    lua.lua_pushstring(L, s(sources[name] ?? read(rel)));
    lua.lua_setfield(L, -2, s(name));
  }
  check(lua.lua_pcall(L, 2, 1, 0));
  const workloads = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);

  /** Calls workload `name` with integer arguments (or one table of them); its result table as a JS object. */
  function call(name, ...args) {
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, workloads);
    lua.lua_getfield(L, -1, s(name));
    lua.lua_remove(L, -2);
    for (const a of args) {
      if (typeof a === 'number') lua.lua_pushinteger(L, a);
      else {
        lua.lua_createtable(L, 0, Object.keys(a).length);
        for (const [k, v] of Object.entries(a)) {
          lua.lua_pushinteger(L, v);
          lua.lua_setfield(L, -2, s(k));
        }
      }
    }
    check(lua.lua_pcall(L, args.length, 1, 0));
    const out = {};
    lua.lua_pushnil(L);
    while (lua.lua_next(L, -2) !== 0) {
      out[lua.lua_tojsstring(L, -2)] = lua.lua_tonumber(L, -1);
      lua.lua_pop(L, 1);
    }
    lua.lua_pop(L, 1);
    return out;
  }
  return { call };
}

module.exports = { floorState, SOURCES, ROOT };
