/** The binding helpers (src/engine/binding.ts): how host data becomes Lua tables in a VM's state. */
import { LuaVM } from '../../src/engine/vm';
import { lua } from '../../src/engine/lua';
import { pushRecord, setDataField, setField } from '../../src/engine/binding';
import { exportValue } from '../../src/engine/values';
import { valueToPlain } from '../../src/engine/plain';

/** How many keys the VM has interned (kept for its lifetime). */
const interned = (vm: LuaVM): number => (vm as unknown as { keys: Map<string, unknown> }).keys.size;

/** The plain form of what a push leaves on top of the VM's stack (which it pops). */
function pushed(vm: LuaVM, push: () => void): unknown {
  push();
  const value = valueToPlain(exportValue(vm.L, -1));
  lua.lua_settop(vm.L, -2);
  return value;
}

test('keys from data are not interned: ten thousand distinct names leave the VM as it was', () => {
  const vm = new LuaVM();
  const before = interned(vm);
  const table = pushed(vm, () => {
    lua.lua_createtable(vm.L, 0, 0);
    for (let i = 0; i < 10_000; i++) setDataField(vm.L, -1, `param${i}`, () => lua.lua_pushinteger(vm.L, i));
  }) as Record<string, number>;
  expect(Object.keys(table)).toHaveLength(10_000);
  expect(table.param9999).toBe(9999);
  expect(interned(vm)).toBe(before);
  // A name the code chose is interned once, however often it is set.
  pushed(vm, () => {
    lua.lua_createtable(vm.L, 0, 0);
    for (let i = 0; i < 100; i++) setField(vm, vm.L, -1, 'status_code', () => lua.lua_pushinteger(vm.L, i));
  });
  expect(interned(vm)).toBe(before + 1);
});

test('pushRecord: strings, numbers as Lua holds them, booleans, pushed values; null and undefined fields left out', () => {
  const vm = new LuaVM();
  const L = vm.L;
  const record = pushed(vm, () =>
    pushRecord(L, { name: 'x', count: 3, ratio: 0.5, ok: false, absent: null, missing: undefined, nested: () => pushRecord(L, { row: 1 }) }),
  );
  expect(record).toEqual({ name: 'x', count: 3, ratio: 0.5, ok: false, nested: { row: 1 } });
  pushRecord(L, { count: 3, ratio: 2.5 });
  lua.lua_getfield(L, -1, 'count');
  expect(lua.lua_isinteger(L, -1)).toBe(true);
  lua.lua_getfield(L, -2, 'ratio');
  expect(lua.lua_isinteger(L, -1)).toBe(false);
  lua.lua_settop(L, 0);
});
