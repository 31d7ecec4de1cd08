/**
 * The `events` module (spec.md beside this file): `send` and `subscribe` on the node's event bus
 * (kernel/events.ts), through the Router. A subscription's channel is fed like `process.events()`, but events
 * wait in it as portable values (one per publish, shared): each becomes the receiver's own Lua table when it
 * is received. What the channel holds counts as the process's unread mail.
 */
import { lua, lauxlib, checkJsString, pushString, type LuaState } from '../../engine/lua';
import { objectAt, popSlot, pushObject, pushSlot, type Slot } from '../../engine/slots';
import { exportValue, pushValue, ValueCopyError } from '../../engine/values';
import { refuse } from '../refuse';
import { pushError } from '../errors';
import { ErrorValue, Table, type Value } from '../../kernel/value';
import type { BusEvent, BusSubscription } from '../../kernel/events';
import type { ChannelApi } from '../channel';
import { Portable, type Channel } from '../../engine/channel';
import type { KernelLink, LuaProcess, Resource } from '../../engine/process';
import type { LuaVM } from '../../engine/vm';
import { luaModule } from '../module';
import { denied, securityGuard, type Guard } from '../guard';
import { channelModule } from '../channel';
import { functionTable, metatable } from '../../engine/binding';

/** What `events.subscribe` returns: its channel, and its bus subscription until `close`. */
class Subscription implements Resource {
  private handle: BusSubscription | null = null;

  constructor(
    readonly channel: Channel,
    private readonly link: KernelLink,
    private readonly proc: LuaProcess,
  ) {}

  attach(handle: BusSubscription): void {
    this.handle = handle;
    this.proc.own(this);
  }

  /** Unsubscribes and closes the channel; events already in it can still be received. */
  close(): void {
    if (this.handle !== null) this.link.router.unsubscribeBus(this.handle);
    this.handle = null;
    this.proc.disown(this);
    this.channel.close();
  }

  /** The process (or the function call) that made it has ended. */
  dispose(): void {
    this.close();
  }
}

function installEvents(vm: LuaVM, channels: ChannelApi, guard: Guard): void {
  /** The calling process's connection to the node, or null (a VM run outside any node). */
  const caller = (T: LuaState): { proc: LuaProcess; link: KernelLink } | null => {
    const proc = vm.currentProcess(T);
    return proc.kernel === null ? null : { proc, link: proc.kernel };
  };
  const noContext = (T: LuaState): number => refuse(T, vm, 'no process context', 'Internal');

  /**
   * The event as a portable table, made once per publish for all of this VM's subscribers; each receiver gets
   * its own Lua copy when it receives (built on the VM's main thread, as mailbox deliveries are).
   */
  const portables = new WeakMap<BusEvent, Portable>();
  const toLua = (value: Value): Slot => {
    pushValue(vm.L, value, vm);
    return popSlot(vm.L);
  };
  const portableOf = (event: BusEvent): Portable => {
    let p = portables.get(event);
    if (p === undefined) {
      const table = Table.from({ system: event.system, kind: event.kind, path: event.path, data: event.data });
      portables.set(event, (p = new Portable(table, toLua)));
    }
    return p;
  };

  const checkSubscription = (T: LuaState): Subscription => {
    const sub = objectAt(T, 1);
    return sub instanceof Subscription ? sub : lauxlib.luaL_argerror(T, 1, 'events.Subscription expected');
  };
  const subscriptionMeta = metatable(vm,
    'events.Subscription',
    {
      channel: (T) => (pushSlot(T, checkSubscription(T).channel.identity as Slot), 1),
      close: (T) => {
        checkSubscription(T).close();
        lua.lua_pushboolean(T, true);
        return 1;
      },
    },
    { __tostring: (T) => (checkSubscription(T), pushString(T, 'events.Subscription{}'), 1) },
  );

  const subscribe = (T: LuaState): number => {
    const system = checkJsString(T, 1);
    const kind = lua.lua_isnoneornil(T, 2) ? '' : checkJsString(T, 2);
    if (system === '') return refuse(T, vm, 'system pattern is required', 'Invalid');
    if (!guard(T, 'events.subscribe', system)) return denied(T, vm, `not allowed to subscribe to events from system: ${system}`, 'Invalid');
    const self = caller(T);
    if (self === null) return noContext(T);
    const channel = channels.create(Infinity);
    const sub = new Subscription(channel, self.link, self.proc);
    const r = self.link.router.subscribeBus(self.link.pid, system, kind, {
      deliver: (event) => {
        // A channel the process closed itself (`sub:channel():close()`) ends the subscription: nobody can read it.
        if (!channel.offerPortable(portableOf(event))) sub.close();
      },
      backlog: channel,
      ended: () => sub.close(),
    });
    if (!r.ok) return lua.lua_pushnil(T), pushError(T, vm, new ErrorValue(r.error.message, r.error.kind, false)), 2;
    sub.attach(r.value);
    pushObject(T, sub, subscriptionMeta);
    return 1;
  };

  const send = (T: LuaState): number => {
    const system = checkJsString(T, 1);
    const kind = checkJsString(T, 2);
    const path = checkJsString(T, 3);
    if (system === '') return refuse(T, vm, 'system is required', 'Invalid');
    if (kind === '') return refuse(T, vm, 'kind is required', 'Invalid');
    if (path === '') return refuse(T, vm, 'path is required', 'Invalid');
    if (!guard(T, 'events.send', system)) return denied(T, vm, `not allowed to send events to system: ${system}`, 'Invalid');
    const self = caller(T);
    if (self === null) return noContext(T);
    let data: Value = null;
    try {
      if (!lua.lua_isnoneornil(T, 4)) data = exportValue(T, 4);
    } catch (e) {
      if (e instanceof ValueCopyError) return refuse(T, vm, e.message, 'Invalid');
      throw e;
    }
    const refused = self.link.router.publish({ system, kind, path, data }, true);
    if (refused !== null) return lua.lua_pushnil(T), pushError(T, vm, refused), 2;
    lua.lua_pushboolean(T, true);
    return 1;
  };

  vm.defineModule('events', functionTable(vm, { subscribe, send }));
}

export const eventsModule = luaModule({
  name: 'events',
  description: 'Event bus: subscribe and send',
  classes: ['process'],
  needs: [channelModule],
  install: (vm, ctx) => installEvents(vm, ctx.api(channelModule), securityGuard(vm, ctx.services)),
});
