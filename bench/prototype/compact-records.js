'use strict';
/**
 * Prototype (issue 27, not a benchmark suite): where the records workload (bench/reference/compute-workloads.lua:
 * build 100k records, sort them by score then name) loses its time on our VM, and what would win it back. Three
 * runs of the same work, in one process, CPU ms, medians of 3:
 *
 * - `interpreted`: the Lua workload in a Fengari state with wisp's patches (what `records_vs_native_lua` times).
 * - `map_tables`: the same data laid out as Fengari lays out a table (a JS Map per table of entries holding key
 *   and value TValue objects, the list a Map keyed by integers), sorted by JS code that reads fields as
 *   Fengari does (one Map lookup per field read). No interpreter: what the table representation alone costs.
 * - `shaped`: the code a compiler could emit once it knows every record has the same fields: records as JS
 *   objects of one shape, the list a JS array (an array part), the comparator a JS function. Names compare as
 *   JS strings, which here order as Lua's bytes do (ASCII).
 *
 *   node bench/prototype/compact-records.js     prints the three figures and native Lua's when lua5.4 is found
 */
require('v8').setFlagsFromString('--no-sparkplug');
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');
const { lua, lauxlib, lualib, to_luastring } = require('fengari');

const N = 100000;
const cpuMs = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};

function interpreted() {
  const source = fs.readFileSync(path.join(__dirname, '..', 'reference', 'compute-workloads.lua'), 'latin1');
  const L = lauxlib.luaL_newstate();
  lualib.luaL_openlibs(L);
  if (lauxlib.luaL_loadstring(L, to_luastring(source)) !== lua.LUA_OK || lua.lua_pcall(L, 0, 1, 0) !== lua.LUA_OK) throw new Error('load');
  lua.lua_getfield(L, -1, to_luastring('records'));
  lua.lua_pushinteger(L, N);
  const t0 = cpuMs();
  if (lua.lua_pcall(L, 1, 1, 0) !== lua.LUA_OK) throw new Error(lua.lua_tojsstring(L, -1));
  return { ms: cpuMs() - t0, first: lua.lua_tointeger(L, -1) };
}

// Fengari's layout: a Map per table, an entry object per key, TValue objects for key and value.
class TValue {
  constructor(type, value) {
    this.type = type;
    this.value = value;
  }
}
function mapTable() {
  return { strong: new Map(), f: undefined, l: undefined, metatable: null };
}
function mapSet(t, hash, type, value) {
  const e = { key: new TValue(type === 3 ? 3 : 4, hash), value: new TValue(type, value), p: t.l, n: undefined };
  if (!t.f) t.f = e;
  if (t.l) t.l.n = e;
  t.l = e;
  t.strong.set(hash, e);
}
const mapGet = (t, hash) => {
  const e = t.strong.get(hash);
  return e ? e.value : null;
};

function mapTables() {
  const t0 = cpuMs();
  const list = mapTable();
  for (let i = 1; i <= N; i++) {
    const k = (i * 7919) % N;
    const r = mapTable();
    mapSet(r, '|id', 3, i);
    mapSet(r, '|name', 4, `|user${k}`);
    mapSet(r, '|score', 3, k % 1000);
    const tags = mapTable();
    mapSet(tags, 1, 4, '|a');
    mapSet(tags, 2, 4, '|b');
    mapSet(r, '|tags', 5, tags);
    mapSet(list, i, 5, r);
  }
  // Sorting reads every element through the list's Map (as lua_geti does) into an array, sorts it with a
  // comparator that reads each field through the record's Map, and writes the order back.
  const arr = [];
  for (let i = 1; i <= N; i++) arr.push(mapGet(list, i).value);
  arr.sort((a, b) => {
    const sa = mapGet(a, '|score').value;
    const sb = mapGet(b, '|score').value;
    if (sa !== sb) return sa < sb ? -1 : 1;
    const na = mapGet(a, '|name').value;
    const nb = mapGet(b, '|name').value;
    return na < nb ? -1 : na > nb ? 1 : 0;
  });
  for (let i = 1; i <= N; i++) mapGet(list, i).value = arr[i - 1];
  return { ms: cpuMs() - t0, first: mapGet(mapGet(list, 1).value, '|id').value };
}

function shaped() {
  const t0 = cpuMs();
  const list = new Array(N);
  for (let i = 1; i <= N; i++) {
    const k = (i * 7919) % N;
    list[i - 1] = { id: i, name: `user${k}`, score: k % 1000, tags: ['a', 'b'] };
  }
  list.sort((a, b) => (a.score !== b.score ? a.score - b.score : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { ms: cpuMs() - t0, first: list[0].id };
}

function native() {
  try {
    const out = execFileSync('lua5.4', [path.join(__dirname, '..', 'reference', 'compute.lua'), path.join(__dirname, '..', '..'), '3', 'records'], { encoding: 'utf8' });
    return Number(out.trim().split('\t')[1]);
  } catch {
    return null;
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const runs = { interpreted, map_tables: mapTables, shaped };
const rows = Object.fromEntries(Object.keys(runs).map((k) => [k, []]));
let first = null;
for (let round = 0; round < 3; round++) {
  for (const [name, fn] of Object.entries(runs)) {
    const r = fn();
    if (first === null) first = r.first;
    if (r.first !== first) throw new Error(`${name}: first record ${r.first}, expected ${first}`);
    rows[name].push(r.ms);
  }
}
const result = Object.fromEntries(Object.entries(rows).map(([k, v]) => [`${k}_records_ms`, Math.round(median(v))]));
const nat = native();
if (nat !== null) result.native_lua_records_ms = nat;
console.log(JSON.stringify(result));
