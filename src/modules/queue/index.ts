/**
 * The `queue` module (Wippy's runtime/lua/modules/queue; contract in ./spec.md): `queue.publish` copies the
 * data and headers onto a `queue.queue` entry's `queue` facet (src/api/queue.ts), `queue.info` reads its
 * stats, and `queue.message()` gives a consumer's handler the delivery its context names, settled once by
 * `ack()`/`nack()` or, when the handler ends, by how it ended.
 */
import { lua, checkJsString, decodeUtf8, pushString, type LuaState } from '../../engine/lua';
import { objectArg, pushObject, type LuaTable } from '../../engine/slots';
import { exportValue, pushValue, ValueCopyError } from '../../engine/values';
import { ErrorValue, LuaFloat, Table, type Value } from '../../kernel/value';
import { fail, pushError } from '../errors';
import { securityGuard, type Guard } from '../guard';
import { luaModule } from '../module';
import type { LuaVM } from '../../engine/vm';
import type { Resources } from '../../api/resources';
import type { ActiveDelivery, DeliveryContextKey, QueueStats } from '../../api/queue';
import { settle as whenSettled } from '../settle';
import { functionTable, metatable, setField } from '../../engine/binding';

const CONTEXT_KEY: DeliveryContextKey = 'queue.delivery';
/** Header keys the queue writes itself (redelivery and dead-letter bookkeeping). */
const RESERVED_HEADER = /^(x_|attempts$)/;

class MessageHandle {
  constructor(readonly delivery: ActiveDelivery) {}
}

const asError = (e: unknown): ErrorValue => (e instanceof ErrorValue ? e : new ErrorValue(e instanceof Error ? e.message : String(e), 'Internal', false));

function isHeaderValue(v: Value): boolean {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v instanceof LuaFloat;
}

function installQueue(vm: LuaVM, resources: Resources | undefined, guard: Guard): void {
  const invalid = (T: LuaState, message: string): number => fail(T, vm, message, 'Invalid', { retryable: false });
  const pushFailure = (T: LuaState, e: ErrorValue, context: string): number => {
    // A queue that does not exist is Internal for the caller, as in Wippy ("queue not found").
    const kind = e.kind === 'NotFound' ? 'Internal' : e.kind;
    lua.lua_pushnil(T);
    pushError(T, vm, new ErrorValue(e.message, kind, e.retryable ?? false, null, null, { context }));
    return 2;
  };
  const queueArg = (T: LuaState): string | number => {
    const id = checkJsString(T, 1);
    if (id === '') return invalid(T, 'queue ID is required');
    if (resources === undefined) return invalid(T, 'queue manager not found');
    return id;
  };

  const publish = (T: LuaState): number => {
    const id = queueArg(T);
    if (typeof id === 'number') return id;
    // Wippy's two checks, both answered Invalid as there.
    if (!guard(T, 'queue.publish', '')) return invalid(T, 'queue publishing not allowed');
    if (!guard(T, 'queue.publish.queue', id)) return invalid(T, `not allowed to publish to queue: ${id}`);
    if (lua.lua_isnoneornil(T, 2)) return invalid(T, 'message data required');
    let body: Value;
    let headerTable: Value = null;
    try {
      body = exportValue(T, 2);
      if (!lua.lua_isnoneornil(T, 3)) {
        if (lua.lua_type(T, 3) !== lua.LUA_TTABLE) return invalid(T, 'headers must be a table');
        headerTable = exportValue(T, 3);
      }
    } catch (e) {
      if (e instanceof ValueCopyError) return invalid(T, e.message);
      throw e;
    }
    if ((body instanceof Table && body.map.size === 0) || body === '') return invalid(T, 'message data cannot be empty');
    if (body === null) return invalid(T, `a ${decodeUtf8(lua.lua_typename(T, lua.lua_type(T, 2)))} cannot be a message`);
    const headers = new Map<string, Value>();
    if (headerTable instanceof Table) {
      for (const [k, v] of headerTable.map) {
        if (typeof k !== 'string') return invalid(T, 'header keys must be strings');
        if (!isHeaderValue(v)) return invalid(T, `header ${k} must be a string, number or boolean`);
        if (RESERVED_HEADER.test(k)) return invalid(T, `header ${k} is reserved for the queue's own bookkeeping`);
        headers.set(k, v);
      }
    }
    const queue = (resources as Resources).get(id, 'queue');
    if (queue instanceof ErrorValue) return pushFailure(T, queue, 'queue publish');
    // A driver on another thread (src/cluster/shared.ts) answers later: the caller waits for it.
    return whenSettled(vm, T, () => queue.publish(body, headers), published, (R, e) => pushFailure(R, asError(e), 'queue publish'));
  };
  const published = (T: LuaState, refused: ErrorValue | null): number => {
    if (refused !== null) return pushFailure(T, refused, 'queue publish');
    lua.lua_pushboolean(T, true);
    lua.lua_pushnil(T);
    return 2;
  };

  const info = (T: LuaState): number => {
    const id = queueArg(T);
    if (typeof id === 'number') return id;
    const queue = (resources as Resources).get(id, 'queue');
    return whenSettled(vm, T, () => (queue instanceof ErrorValue ? queue : queue.info()), pushStats, (R, e) => pushFailure(R, asError(e), 'queue info'));
  };
  const pushStats = (T: LuaState, stats: QueueStats | ErrorValue): number => {
    if (stats instanceof ErrorValue) return pushFailure(T, stats, 'queue info');
    lua.lua_createtable(T, 0, 4);
    for (const [k, v] of Object.entries(stats)) setField(vm, T, -1, k, () => lua.lua_pushinteger(T, v as number));
    lua.lua_pushnil(T);
    return 2;
  };

  /** The Message argument while its handler runs, else the count of the `nil, err` pushed. */
  const live = (T: LuaState): ActiveDelivery | number => {
    const d = objectArg(T, 1, MessageHandle, 'queue.Message expected').delivery;
    return d.released ? invalid(T, 'queue.Message released') : d;
  };
  const settle = (how: 'ack' | 'nack') => (T: LuaState): number => {
    const d = live(T);
    if (typeof d === 'number') return d;
    if (!d.settle(how)) return invalid(T, 'queue.Message already settled');
    lua.lua_pushboolean(T, true);
    lua.lua_pushnil(T);
    return 2;
  };
  const messageMeta: LuaTable = metatable(vm,
    'queue.Message',
    {
      id: (T) => {
        const d = live(T);
        return typeof d === 'number' ? d : (pushString(T, d.message.id), lua.lua_pushnil(T), 2);
      },
      header: (T) => {
        const d = live(T);
        if (typeof d === 'number') return d;
        pushValue(T, d.message.headers.get(checkJsString(T, 2)) ?? null, vm);
        lua.lua_pushnil(T);
        return 2;
      },
      headers: (T) => {
        const d = live(T);
        if (typeof d === 'number') return d;
        pushValue(T, Table.from(Object.fromEntries(d.message.headers)), vm);
        lua.lua_pushnil(T);
        return 2;
      },
      ack: settle('ack'),
      nack: settle('nack'),
    },
    { __tostring: (T) => (pushString(T, 'queue.Message{}'), 1) },
  );

  const message = (T: LuaState): number => {
    const named = vm.currentProcess(T).context.get(CONTEXT_KEY);
    const at = typeof named === 'string' ? named.lastIndexOf('#') : -1;
    const consumer = at < 0 || resources === undefined ? null : resources.get((named as string).slice(0, at), 'queue_consumer');
    const delivery = consumer === null || consumer instanceof ErrorValue ? undefined : consumer.delivery((named as string).slice(at + 1));
    if (delivery === undefined || delivery.released) return invalid(T, 'no delivery found in context');
    pushObject(T, new MessageHandle(delivery), messageMeta);
    lua.lua_pushnil(T);
    return 2;
  };

  vm.defineModule('queue', functionTable(vm, { publish, message, info }));
}

export const queueModule = luaModule({
  name: 'queue',
  description: 'Message queues: publish with headers, the current delivery (ack/nack), queue stats',
  classes: ['io', 'nondeterministic'],
  install: (vm, ctx) => installQueue(vm, ctx.services.resources, securityGuard(vm, ctx.services)),
});
