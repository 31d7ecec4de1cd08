/**
 * Tables as the engine makes and copies them: Fengari's dead keys made on first deletion
 * (scripts/fengari-patches/13-lazy-dead-keys.js), field names kept as Lua strings
 * (14-field-names.js), and values crossing into and out of Lua through the small-tree copy
 * (src/engine/values.ts) or the general one, which must agree.
 */
import { run } from '../helpers/lua';
import { createVM } from '../../src/modules';
import { lua, encode } from '../../src/engine/lua';
import { exportValue, pushValue } from '../../src/engine/values';
import { ErrorValue, LuaFloat, Table, type Value } from '../../src/kernel/value';
import { valueToPlain } from '../../src/engine/plain';

describe('deleting keys while a table is traversed', () => {
  test('pairs visits every key once while the loop clears each key it visits', async () => {
    const r = await run(`return { main = function()
      local t = {}
      for i = 1, 200 do t["k" .. i] = i; t[i] = -i end
      local seen, sum = 0, 0
      for k, v in pairs(t) do seen = seen + 1; sum = sum + v; t[k] = nil end
      return { seen, sum, next(t) == nil }
    end }`);
    expect(r).toEqual([400, 0, true]);
  });

  test('next resumes after a deleted key, and a key added after deletions is found', async () => {
    const r = await run(`return { main = function()
      local t = { a = 1, b = 2, c = 3 }
      local k1 = next(t)
      t[k1] = nil
      local rest = 0
      for k in next, t, k1 do rest = rest + 1 end
      t.z = 26
      return { rest, t.z, t[k1] == nil }
    end }`);
    expect(r).toEqual([2, 26, true]);
  });
});

describe('field names', () => {
  test('more distinct names than the cache holds read and write the right fields', async () => {
    const vm = createVM();
    const L = vm.L;
    lua.lua_newtable(L);
    for (let i = 0; i < 3000; i++) {
      lua.lua_pushinteger(L, i);
      lua.lua_setfield(L, -2, `field_${i}`);
    }
    lua.lua_pushstring(L, encode('é'));
    lua.lua_setfield(L, -2, 'clé');
    let ok = true;
    for (let i = 2999; i >= 0; i--) {
      lua.lua_getfield(L, -1, `field_${i}`);
      ok &&= lua.lua_tointeger(L, -1) === i;
      lua.lua_settop(L, -2);
    }
    expect(ok).toBe(true);
    expect(lua.lua_getfield(L, -1, 'clé')).toBe(lua.LUA_TSTRING);
    lua.lua_settop(L, 0);
  });
});

describe('copies into and out of Lua', () => {
  const vm = createVM();
  const L = vm.L;
  const roundTrip = (v: Value): Value => {
    pushValue(L, v, vm);
    const out = exportValue(L, -1);
    lua.lua_settop(L, 0);
    return out;
  };

  test('a small tree keeps every kind of value, integers apart from floats, and its key order', () => {
    const inner = Table.from({ deep: Table.from({ deeper: 'yes' }) });
    const bytes = new Uint8Array([0xff, 0x00, 0x41]);
    const err = new ErrorValue('boom', 'Invalid');
    const t = Table.from({ s: 'x', i: 3, f: new LuaFloat(2), g: 2.5, b: false, bytes, err, inner }, ['one', 'two']);
    const out = roundTrip(t) as Table;
    expect([...out.map.keys()]).toEqual([...t.map.keys()]);
    expect(out.get('i')).toBe(3);
    expect(out.get('f')).toEqual(new LuaFloat(2));
    expect(out.get('g')).toBe(2.5);
    expect(out.get('b')).toBe(false);
    expect(out.get('bytes')).toEqual(bytes);
    expect(out.get('err')).toBe(err);
    expect(valueToPlain(out.get('inner'))).toEqual({ deep: { deeper: 'yes' } });
    expect(out.get(1)).toBe('one');
  });

  test('a table reached twice stays one table, and a cycle survives (the general copy)', () => {
    const shared = Table.from({ n: 1 });
    const t = Table.from({ a: shared, b: shared });
    t.map.set('self', t);
    const out = roundTrip(t) as Table;
    expect(out.get('a')).toBe(out.get('b'));
    expect(out.get('self')).toBe(out);
  });

  test('wider and deeper than a small tree, and tables as keys, copy as well', () => {
    const wide = new Table();
    for (let i = 1; i <= 20; i++) wide.map.set(i, Table.from({ i }));
    let deep = Table.from({ leaf: true });
    for (let i = 0; i < 30; i++) deep = Table.from({ down: deep });
    const keyed = new Table();
    keyed.map.set(Table.from({ k: 1 }), 'v');
    const out = roundTrip(Table.from({ wide, deep, keyed })) as Table;
    expect((((out.get('wide') as Table).get(20)) as Table).get('i')).toBe(20);
    let d = out.get('deep') as Table;
    for (let i = 0; i < 30; i++) d = d.get('down') as Table;
    expect(d.get('leaf')).toBe(true);
    const [[k, v]] = [...(out.get('keyed') as Table).map];
    expect(valueToPlain(k)).toEqual({ k: 1 });
    expect(v).toBe('v');
  });

  test('functions and coroutines inside a copied table become nil; an entry keyed by one is dropped', async () => {
    const r = await run(`return { main = function()
      local t = { f = print, co = coroutine.create(print), n = 1, nested = { g = print, m = 2 } }
      t[print] = "dropped"
      local ch = channel.new(1)
      ch:send(t)
      return t
    end }`);
    expect(r).toEqual({ n: 1, nested: { m: 2 } });
  });
});
