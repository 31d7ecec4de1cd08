/** The `channel` global (spec.md beside this file): `channel.new`, `channel.select`, and the channel/case methods. */
import { lua, lauxlib, pushString, raise, type LuaState } from '../../engine/lua';
import { argObject, argSlot, objectAt, objectSlot, pushObject, pushSlot, type LuaTable } from '../../engine/slots';
import { Channel, type Completion, type SelectWait } from '../../engine/channel';
import type { LuaVM } from '../../engine/vm';
import type { Task } from '../../engine/scheduler';
import type { Slot } from '../../engine/slots';
import type { JSFunction } from 'fengari';
import { luaModule } from '../module';
import { functionTable, metatable, setField } from '../../engine/binding';

/** A select case made by `ch:case_send(v)` (value set) or `ch:case_receive()` (value null). */
class Case {
  constructor(
    readonly channel: Channel,
    readonly value: Slot | null,
  ) {}
}

export interface ChannelApi {
  /** Creates a channel owned by Lua code of this VM; its identity userdata is made once. */
  create(capacity: number): Channel;
}

function installChannel(vm: LuaVM): ChannelApi {
  const sched = vm.sched;
  // The completion waits on the task itself, not on the Lua stack: the continuation of the blocked call (which
  // runs on that task, however deep in coroutines it blocked) takes it from there.
  const resume = (c: Completion): void => {
    c.task.payload = c;
    sched.wake(c.task);
  };

  const currentTask = (T: LuaState): Task => sched.current ?? raise(T, 'channel operation outside a process');

  const checkChannel = (T: LuaState, n: number): Channel => {
    const ch = argObject(T, n);
    return ch instanceof Channel ? ch : lauxlib.luaL_argerror(T, n, 'channel expected');
  };

  const completionAt = (T: LuaState): Completion => {
    const task = currentTask(T);
    const c = task.payload as Completion;
    task.payload = null;
    return c;
  };

  // A select result is made for every select that returns: its keys are made once.
  const [channelKey, valueKey, okKey] = [vm.key('channel'), vm.key('value'), vm.key('ok')];
  const pushResult = (T: LuaState, ch: Channel, value: Slot | null, ok: boolean): number => {
    lua.lua_createtable(T, 0, 3);
    pushSlot(T, channelKey);
    pushSlot(T, ch.identity as Slot);
    lua.lua_rawset(T, -3);
    if (value !== null) {
      pushSlot(T, valueKey);
      pushSlot(T, value);
      lua.lua_rawset(T, -3);
    }
    pushSlot(T, okKey);
    lua.lua_pushboolean(T, ok);
    lua.lua_rawset(T, -3);
    return 1;
  };

  const pushReceived = (T: LuaState, value: Slot | null, ok: boolean): number => {
    if (value === null) lua.lua_pushnil(T);
    else pushSlot(T, value);
    lua.lua_pushboolean(T, ok);
    return 2;
  };

  const closedSend = (T: LuaState): never => raise(T, 'send on closed channel');

  const sendDone = (T: LuaState): number => {
    if (completionAt(T).closedSend) closedSend(T);
    lua.lua_pushboolean(T, true);
    return 1;
  };

  const receiveDone = (T: LuaState): number => {
    const c = completionAt(T);
    return pushReceived(T, c.result, c.ok);
  };

  const selectDone = (T: LuaState): number => {
    const c = completionAt(T);
    if (c.closedSend) closedSend(T);
    return pushResult(T, c.channel, c.result, c.ok);
  };

  const methods: Record<string, JSFunction> = {
    send: (T) => {
      const ch = checkChannel(T, 1);
      if (ch.closed) closedSend(T);
      const value = argSlot(T, 2);
      if (ch.trySend(value)) {
        lua.lua_pushboolean(T, true);
        return 1;
      }
      ch.wait(currentTask(T), value);
      return sched.block(T, sendDone);
    },
    receive: (T) => {
      const ch = checkChannel(T, 1);
      const r = ch.tryReceive();
      if (r !== null) return pushReceived(T, r.value, r.ok);
      ch.wait(currentTask(T), null);
      return sched.block(T, receiveDone);
    },
    close: (T) => {
      checkChannel(T, 1).close();
      return 0;
    },
    case_send: (T) => {
      return pushCase(T, new Case(checkChannel(T, 1), argSlot(T, 2)));
    },
    case_receive: (T) => pushCase(T, new Case(checkChannel(T, 1), null)),
  };

  const channelMeta = metatable(vm, 'channel', methods, {
    __tostring: (T) => {
      const ch = checkChannel(T, 1);
      pushString(T, `channel(${ch.capacity === Infinity ? 'mailbox' : ch.capacity})`);
      return 1;
    },
  });
  const caseMeta: LuaTable = metatable(vm, 'channel.case', {});

  function pushCase(T: LuaState, c: Case): number {
    pushObject(T, c, caseMeta);
    return 1;
  }

  const create = (capacity: number): Channel => {
    const ch = new Channel(capacity, resume);
    ch.identity = objectSlot(vm.L, ch, channelMeta);
    return ch;
  };

  const defaultKey = vm.key('default');
  const select: JSFunction = (T) => {
    lauxlib.luaL_checktype(T, 1, lua.LUA_TTABLE);
    let withDefault = lua.lua_toboolean(T, 2);
    pushSlot(T, defaultKey);
    lua.lua_gettable(T, 1);
    withDefault = withDefault || lua.lua_toboolean(T, -1);
    lua.lua_settop(T, -2);
    const n = lua.lua_rawlen(T, 1);
    const cases: Case[] = [];
    for (let i = 1; i <= n; i++) {
      lua.lua_rawgeti(T, 1, i);
      const c = objectAt(T, -1);
      lua.lua_settop(T, -2);
      if (!(c instanceof Case)) return raise(T, `select: case #${i} is not a channel case (use ch:case_receive() or ch:case_send(v))`);
      cases.push(c);
    }
    for (const c of cases) {
      if (c.value === null) {
        const r = c.channel.tryReceive();
        if (r !== null) return pushResult(T, c.channel, r.value, r.ok);
      } else {
        if (c.channel.closed) closedSend(T);
        if (c.channel.trySend(c.value)) return pushResult(T, c.channel, c.value, true);
      }
    }
    if (withDefault) {
      lua.lua_createtable(T, 0, 2);
      setField(vm, T, -1, 'default', () => lua.lua_pushboolean(T, true));
      setField(vm, T, -1, 'ok', () => lua.lua_pushboolean(T, true));
      return 1;
    }
    const task = currentTask(T);
    const wait: SelectWait = { done: false, waiters: [] };
    for (const c of cases) c.channel.wait(task, c.value, wait);
    return sched.block(T, selectDone);
  };

  vm.defineModule(
    'channel',
    functionTable(vm, {
      new: (T) => {
        const size = lauxlib.luaL_optinteger(T, 1, 0);
        if (size < 0) return raise(T, 'channel size must not be negative');
        pushSlot(T, create(size).identity as Slot);
        return 1;
      },
      select,
    }),
  );
  return { create };
}

export const channelModule = luaModule<ChannelApi>({
  name: 'channel',
  description: 'Go-style channels',
  classes: ['process'],
  global: true,
  install: (vm) => installChannel(vm),
});
