/**
 * Message and Payload objects (spec.md beside this file) and the `payload` global. A Message wraps what the kernel delivered;
 * `msg:payload():data()` makes a fresh Lua copy of the payload each time it is called.
 */
import { lua, lauxlib, pushString, toJsString, type LuaState } from '../../engine/lua';
import { argObject, objectSlot, pushObject, type LuaTable, type Slot } from '../../engine/slots';
import { exportValue, pushValue } from '../../engine/values';
import type { LuaVM } from '../../engine/vm';
import type { Message } from '../../kernel/message';
import { ErrorValue, type Value } from '../../kernel/value';
import { luaModule } from '../module';
import { functionTable, metatable, nestTable } from '../../engine/binding';

const FORMAT = {
  LUA: 'lua/any',
  JSON: 'json/plain',
  YAML: 'yaml/plain',
  STRING: 'text/plain',
  BYTES: 'application/octet-stream',
  MSGPACK: 'application/msgpack',
  GOLANG: 'golang/any',
  ERROR: 'golang/error',
};

class MessageObject {
  constructor(readonly message: Message) {}

  /** What it holds (the memory watchdog measures it). */
  forEachValue(fn: (v: Value) => void): void {
    this.message.payloads.forEach(fn);
  }
}

class PayloadObject {
  constructor(
    readonly value: Value,
    readonly format: string = FORMAT.LUA,
  ) {}

  forEachValue(fn: (v: Value) => void): void {
    fn(this.value);
  }
}

export interface PayloadApi {
  /** A message as a detached Lua value (for a channel), built without a stack. */
  messageSlot(message: Message): Slot;
  /** A payload object holding `value`, as a detached Lua value (a future's result). */
  payloadSlot(value: Value): Slot;
  /** The value a `listen` channel carries without `{message = true}`: the payload, or a list of them. */
  pushRawPayload(T: LuaState, message: Message): void;
}

function installPayload(vm: LuaVM): PayloadApi {
  let payloadMeta: LuaTable;
  const pushPayload = (T: LuaState, p: PayloadObject): number => (pushObject(T, p, payloadMeta), 1);
  const checkMessage = (T: LuaState): Message => {
    const m = argObject(T, 1);
    return m instanceof MessageObject ? m.message : lauxlib.luaL_argerror(T, 1, 'process.Message expected');
  };
  const checkPayload = (T: LuaState): PayloadObject => {
    const p = argObject(T, 1);
    return p instanceof PayloadObject ? p : lauxlib.luaL_argerror(T, 1, 'payload expected');
  };
  // One result on success (not `value, nil`), so `send(to, topic, p:data())` carries exactly one payload.
  const data = (T: LuaState): number => {
    pushValue(T, checkPayload(T).value, vm);
    return 1;
  };

  payloadMeta = metatable(vm,
    'payload',
    {
      data,
      unmarshal: data,
      get_format: (T) => (pushString(T, checkPayload(T).format), 1),
      transcode: (T) => pushPayload(T, new PayloadObject(checkPayload(T).value, toJsString(T, 2))),
    },
    { __tostring: (T) => (pushString(T, `payload{format=${checkPayload(T).format}}`), 1) },
  );

  const pushPayloads = (T: LuaState, payloads: readonly Value[]): void => {
    if (payloads.length === 0) lua.lua_pushnil(T);
    else if (payloads.length === 1) pushPayload(T, new PayloadObject(payloads[0]));
    else {
      lua.lua_createtable(T, payloads.length, 0);
      payloads.forEach((v, i) => {
        pushPayload(T, new PayloadObject(v));
        lua.lua_rawseti(T, -2, i + 1);
      });
    }
  };

  const messageMeta = metatable(vm,
    'process.Message',
    {
      topic: (T) => (pushString(T, checkMessage(T).topic), 1),
      from: (T) => (pushString(T, checkMessage(T).from), 1),
      payload: (T) => (pushPayloads(T, checkMessage(T).payloads), 1),
    },
    { __tostring: (T) => (pushString(T, `process.Message{topic=${checkMessage(T).topic}}`), 1) },
  );

  // An error object makes a Go-error payload (format golang/error), as in Wippy; anything else a Lua one.
  const api = functionTable(vm, {
    new: (T) => {
      const v = exportValue(T, 1);
      return pushPayload(T, new PayloadObject(v, v instanceof ErrorValue ? FORMAT.ERROR : FORMAT.LUA));
    },
  });
  nestTable(vm, api, 'format', functionTable(vm, {}, FORMAT), 'payload.format');
  vm.defineModule('payload', api);

  return {
    messageSlot: (message) => objectSlot(vm.L, new MessageObject(message), messageMeta),
    payloadSlot: (value) => objectSlot(vm.L, new PayloadObject(value), payloadMeta),
    pushRawPayload: (T, message) => {
      if (message.payloads.length === 1) pushValue(T, message.payloads[0], vm);
      else {
        lua.lua_createtable(T, message.payloads.length, 0);
        message.payloads.forEach((v, i) => {
          pushValue(T, v, vm);
          lua.lua_rawseti(T, -2, i + 1);
        });
      }
    },
  };
}

export const payloadModule = luaModule<PayloadApi>({
  name: 'payload',
  description: 'Payload encoding and transcoding',
  classes: ['deterministic'],
  global: true,
  install: (vm) => installPayload(vm),
});
