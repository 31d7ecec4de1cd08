/**
 * The `process` global (spec.md beside this file): identity, messaging, spawning, control, options, subscriptions and the
 * name registry. Every call goes through the kernel's Router; nothing here touches another process.
 */
import { lua, lauxlib, checkJsString, pushString, raise, toJsString, tostringAt, type LuaState } from '../../engine/lua';
import { argObject, popSlot, pushObject, pushSlot, type LuaTable, type Slot } from '../../engine/slots';
import { CallSettings, contextFrom, mergeContext, settingsMethods } from '../ctx';
import { exportArgs, exportValue, pushValue } from '../../engine/values';
import { captureFrames, pushError, fail } from '../errors';
import { SCOPE } from '../../kernel/names';
import { parsePid } from '../../kernel/pid';
import { EVENT, type Message, type Outcome } from '../../kernel/message';
import type { ChannelApi } from '../channel';
import type { Channel } from '../../engine/channel';
import type { PayloadApi } from '../payload';
import type { LuaVM } from '../../engine/vm';
import type { KernelLink, LuaProcess } from '../../engine/process';
import { topicMatcher, type Subscription } from '../../kernel/mailbox';
import { RegexError } from '../../lib/regex';
import { checkpointed, swapCheckpoint } from '../../lib/checkpoint';
import { NO_CONTEXT, type ContextValues, type Router, type SpawnRequest, type StartMessage } from '../../kernel/router';
import { ErrorValue, type Value } from '../../kernel/value';
import type { JSFunction } from 'fengari';
import { luaModule } from '../module';
import { securityGuard, type Guard } from '../guard';
import { channelModule } from '../channel';
import { payloadModule } from '../payload';
import { functionTable, metatable, nestTable, setField } from '../../engine/binding';

/** Per-process subscription state: the same channel for every call of inbox()/events()/listen(topic). */
interface Subscriptions {
  inbox: Channel | null;
  events: Channel | null;
  readonly listens: Map<string, { channel: Channel; sub: Subscription }>;
}

/** How many topics one process may listen to: every send to it is matched against each. */
export const LISTEN_LIMIT = 4096;

function installProcess(vm: LuaVM, channels: ChannelApi, payloads: PayloadApi, guard: Guard, strict: () => boolean): void {
  const subscriptions = new WeakMap<LuaProcess, Subscriptions>();
  const sched = vm.sched;

  const self = (T: LuaState): { proc: LuaProcess; link: KernelLink } => {
    const proc = vm.currentProcess(T);
    const link = proc.kernel;
    return link === null ? raise(T, 'process functions need a running node') : { proc, link };
  };
  const subsOf = (proc: LuaProcess): Subscriptions => {
    let s = subscriptions.get(proc);
    if (s === undefined) subscriptions.set(proc, (s = { inbox: null, events: null, listens: new Map() }));
    return s;
  };
  /**
   * A failure as the process module returns it: as in Wippy, never retryable, and carrying the caller's stack.
   */
  const processError = (T: LuaState, e: ErrorValue): void =>
    pushError(T, vm, new ErrorValue(e.message, e.kind, e.retryable ?? false, e.details, e.stack,
      { ...e.origin, frames: e.origin.frames ?? captureFrames(T) }));
  /** `true` on success, `nil, err` on failure; a process the call killed (itself, or via a link) stops here. */
  const outcome = (T: LuaState, proc: LuaProcess, error: ErrorValue | null): number => {
    if (!proc.alive) return sched.block(T);
    if (error !== null) return lua.lua_pushnil(T), processError(T, error), 2;
    lua.lua_pushboolean(T, true);
    return 1;
  };
  /** A Lua value built on the VM's main thread, for a channel (mailbox sinks run outside any Lua thread). */
  const built = (push: (L: LuaState) => void): Slot => {
    push(vm.L);
    return popSlot(vm.L);
  };

  /**
   * Spawns the entry named at `at` (host at+1, arguments after); the child inherits `context`; `start` names it
   * and gives it its first messages (a Spawner's with_name/with_message).
   */
  const spawnFrom = (
    T: LuaState,
    at: number,
    monitor: boolean,
    link: boolean,
    context: ContextValues | null,
    start: Pick<SpawnRequest, 'name' | 'messages'> = {},
    given: CallSettings | null = null,
  ): number => {
    const { proc, link: k } = self(T);
    const entry = checkJsString(T, at);
    const host = checkJsString(T, at + 1);
    // As in Wippy: a spawner's refusal raises (in the caller's own code), the module functions' is `nil, err`.
    const refused = (message: string): number => (given !== null ? raise(T, message) : (lua.lua_pushnil(T), processError(T, new ErrorValue(message, 'PermissionDenied', false)), 2));
    if (!guard(T, 'process.spawn', entry)) return refused(`not allowed to spawn process: ${entry}`);
    if (given === null && !guard(T, 'process.host', host)) return refused(`not allowed to spawn on host: ${host}`);
    if (monitor && !guard(T, 'process.spawn.monitored', entry)) return refused(`not allowed to spawn monitored process: ${entry}`);
    if (link && !guard(T, 'process.spawn.linked', entry)) return refused(`not allowed to spawn linked process: ${entry}`);
    const args = exportArgs(T, at + 2);
    if (args instanceof ErrorValue) return lua.lua_pushnil(T), pushError(T, vm, args), 2;
    // A child runs as its parent unless the spawner was given another actor or scope.
    const security = given === null ? proc.security : given.securityFor(proc.security);
    const r = k.router.spawn({ entry, host, args, parent: k.pid, monitor, link, context: context ?? proc.context, security, name: start.name, messages: start.messages });
    if (!proc.alive) return sched.block(T);
    if (!r.ok) return lua.lua_pushnil(T), processError(T, r.error), 2;
    pushString(T, r.value);
    return 1;
  };
  const spawner = (monitor: boolean, link: boolean): JSFunction => (T) => spawnFrom(T, 1, monitor, link, null);

  /**
   * `process.with_context(t)` / `with_options(t)`: spawns with extra context values (options are accepted; only
   * `process.name` is read), a name (spawn-or-signal) and first messages.
   */
  let spawnerMeta: LuaTable;
  const checkSpawner = (T: LuaState): Spawner => {
    const s = argObject(T, 1);
    return s instanceof Spawner ? s : lauxlib.luaL_argerror(T, 1, 'process.Spawner expected');
  };
  const pushSpawner = (T: LuaState, s: Spawner): number => (pushObject(T, s, spawnerMeta), 1);
  const spawnWith = (monitor: boolean, link: boolean): JSFunction => (T) => {
    const s = checkSpawner(T);
    const context = mergeContext(vm.currentProcess(T).context, s.context);
    return spawnFrom(T, 2, monitor, link, context, { name: s.processName(), messages: s.messages }, s);
  };
  spawnerMeta = metatable(vm, 'process.Spawner', {
    ...settingsMethods(checkSpawner, (s, context, options) => new Spawner(context, options, s.name, s.messages), pushSpawner, { guard, vm, prefix: 'process', raises: true }),
    with_name: (T) => {
      const s = checkSpawner(T);
      const name = checkJsString(T, 2);
      if (name === '') return lauxlib.luaL_argerror(T, 2, 'name cannot be empty');
      return pushSpawner(T, s.derive(new Spawner(s.context, s.options, name, s.messages)));
    },
    with_message: (T) => {
      const s = checkSpawner(T);
      const topic = checkJsString(T, 2);
      if (topic.startsWith('@')) return lauxlib.luaL_argerror(T, 2, 'cannot send to @ topics');
      const payloads = exportArgs(T, 3);
      if (payloads instanceof ErrorValue) return raise(T, payloads.message);
      return pushSpawner(T, s.derive(new Spawner(s.context, s.options, s.name, [...s.messages, { topic, payloads }])));
    },
    spawn: spawnWith(false, false),
    spawn_monitored: spawnWith(true, false),
    spawn_linked: spawnWith(false, true),
    spawn_linked_monitored: spawnWith(true, true),
  });

  const pushEvent = (L: LuaState, event: Value): void => pushValue(L, event, vm);
  /**
   * Wippy's check before a send, terminate, cancel, monitor or link: `process.<what>` on the destination's PID
   * (a name is looked up first; one that names nobody is left for the router to refuse). Null when allowed.
   */
  const mayReach = (T: LuaState, link: KernelLink, what: string, dest: string): ErrorValue | null => {
    if (vm.currentProcess(T).security === null && !strict()) return null; // nothing configured: nothing to look up
    let pid = dest;
    if (parsePid(dest) === null) {
      const found = link.router.lookup(dest);
      if (found.ok) pid = found.value;
    }
    return guard(T, `process.${what}`, pid) ? null : new ErrorValue(`not allowed to ${what}: ${dest}`, 'PermissionDenied', false);
  };
  /** A call `process.x(dest)` that the Router answers with an error or null. */
  const onTarget = (what: string, op: (router: Router, me: string, dest: string) => ErrorValue | null): JSFunction => (T) => {
    const { proc, link } = self(T);
    const dest = checkJsString(T, 1);
    return outcome(T, proc, mayReach(T, link, what, dest) ?? op(link.router, link.pid, dest));
  };

  let sendingThread: LuaState = vm.L;
  const sendCheckpoint = (): void => vm.checkpoint(sendingThread);

  const api: Record<string, JSFunction> = {
    pid: (T) => (pushString(T, self(T).link.pid), 1),
    id: (T) => (pushString(T, vm.currentProcess(T).spec.entryId), 1),
    send: (T) => {
      const proc = vm.currentProcess(T);
      const link = proc.kernel ?? raise(T, 'process functions need a running node');
      const dest = checkJsString(T, 1);
      const topic = checkJsString(T, 2);
      const denied = mayReach(T, link, 'send', dest);
      if (denied !== null) return outcome(T, proc, denied);
      const payloads = exportArgs(T, 3);
      if (payloads instanceof ErrorValue) return outcome(T, proc, payloads);
      // The receiver's `listen` wildcards are matched against the topic on the sender's time (the send of every
      // message: the checkpoint is one closure for the VM, told which thread sends).
      const savedThread = sendingThread;
      sendingThread = T;
      const saved = swapCheckpoint(sendCheckpoint);
      let error: ErrorValue | null;
      try {
        error = link.router.send(link.pid, dest, topic, payloads);
      } finally {
        swapCheckpoint(saved);
        sendingThread = savedThread;
      }
      return outcome(T, proc, error);
    },
    spawn: spawner(false, false),
    spawn_monitored: spawner(true, false),
    spawn_linked: spawner(false, true),
    spawn_linked_monitored: spawner(true, true),
    with_context: (T) => {
      if (!guard(T, 'process.context', 'context')) return raise(T, 'not allowed to spawn processes with custom context');
      return pushSpawner(T, new Spawner(contextFrom(T, 1, NO_CONTEXT), NO_CONTEXT));
    },
    with_options: (T) => pushSpawner(T, new Spawner(NO_CONTEXT, contextFrom(T, 1, NO_CONTEXT))),
    exec: (T) => {
      const { proc, link } = self(T);
      const entry = checkJsString(T, 1);
      const host = checkJsString(T, 2);
      const args = exportArgs(T, 3);
      if (args instanceof ErrorValue) return lua.lua_pushnil(T), processError(T, args), 2;
      if (!guard(T, 'process.exec', entry)) return raise(T, `not allowed to exec process: ${entry}`);
      const task = sched.current;
      const exited = (result: Outcome): void => {
        if (task === null || !proc.alive) return;
        sched.wake(task, (R) => {
          if (result.error === null) return pushValue(R, result.value, vm), 1;
          return lua.lua_pushnil(R), processError(R, result.error), 2;
        });
      };
      const r = link.router.spawn({ entry, host, args, parent: link.pid, monitor: false, link: false, context: proc.context, security: proc.security, exited });
      if (!r.ok) return lua.lua_pushnil(T), processError(T, r.error), 2;
      return sched.block(T);
    },
    terminate: onTarget('terminate', (r, me, dest) => r.terminate(me, dest)),
    cancel: (T) => {
      const { proc, link } = self(T);
      const reason = lua.lua_isnoneornil(T, 2) ? '' : tostringAt(T, 2);
      const dest = checkJsString(T, 1);
      return outcome(T, proc, mayReach(T, link, 'cancel', dest) ?? link.router.cancel(link.pid, dest, reason));
    },
    monitor: onTarget('monitor', (r, me, dest) => r.monitor(me, dest)),
    unmonitor: onTarget('unmonitor', (r, me, dest) => r.unmonitor(me, dest)),
    link: onTarget('link', (r, me, dest) => r.link(me, dest)),
    unlink: onTarget('unlink', (r, me, dest) => r.unlink(me, dest)),
    get_options: (T) => {
      const { link } = self(T);
      lua.lua_createtable(T, 0, 1);
      setField(vm, T, -1, 'trap_links', () => lua.lua_pushboolean(T, link.router.trapLinks(link.pid)));
      return 1;
    },
    set_options: (T) => {
      const { link } = self(T);
      lauxlib.luaL_checktype(T, 1, lua.LUA_TTABLE);
      let trap: boolean | null = null;
      lua.lua_pushnil(T);
      while (lua.lua_next(T, 1)) {
        const key = lua.lua_type(T, -2) === lua.LUA_TSTRING ? toJsString(T, -2) : String(exportValue(T, -2));
        if (key !== 'trap_links') return lua.lua_pushboolean(T, false), processError(T, errorOf(`option ${key} is not supported`)), 2;
        if (lua.lua_type(T, -1) !== lua.LUA_TBOOLEAN) {
          return lua.lua_pushboolean(T, false), processError(T, errorOf('trap_links must be a boolean')), 2;
        }
        trap = lua.lua_toboolean(T, -1);
        lua.lua_settop(T, -2);
      }
      if (trap !== null) link.router.setTrapLinks(link.pid, trap);
      lua.lua_pushboolean(T, true);
      lua.lua_pushnil(T);
      return 2;
    },
    inbox: (T) => {
      const { proc, link } = self(T);
      const subs = subsOf(proc);
      if (subs.inbox === null) {
        const ch = (subs.inbox = channels.create(Infinity));
        link.router.mailboxOf(link.pid)?.subscribeInbox((m: Message) => ch.offer(payloads.messageSlot(m)), ch);
      }
      pushSlot(T, subs.inbox.identity as Slot);
      return 1;
    },
    events: (T) => {
      const { proc, link } = self(T);
      const subs = subsOf(proc);
      if (subs.events === null) {
        const ch = (subs.events = channels.create(Infinity));
        link.router.mailboxOf(link.pid)?.subscribeEvents((e) => ch.offer(built((L) => pushEvent(L, e))));
      }
      pushSlot(T, subs.events.identity as Slot);
      return 1;
    },
    listen: (T) => {
      const { proc, link } = self(T);
      const topic = checkJsString(T, 1);
      if (topic === '' || topic.startsWith('@')) return fail(T, vm, `cannot listen to topic '${topic}'`, 'Invalid', { retryable: false });
      let asMessages = false;
      if (lua.lua_type(T, 2) === lua.LUA_TTABLE) {
        lua.lua_getfield(T, 2, 'message');
        asMessages = lua.lua_toboolean(T, -1);
      }
      const subs = subsOf(proc);
      let entry = subs.listens.get(topic);
      if (entry === undefined) {
        const ch = channels.create(Infinity);
        const mailbox = link.router.mailboxOf(link.pid);
        if (mailbox === null) return raise(T, 'no mailbox');
        let matcher: (topic: string) => boolean;
        try {
          matcher = topicMatcher(topic);
        } catch (e) {
          if (!(e instanceof RegexError)) throw e;
          return fail(T, vm, `cannot listen to topic: ${e.message}`, 'Invalid', { retryable: false });
        }
        if (subs.listens.size >= LISTEN_LIMIT) {
          return fail(T, vm, `too many listen subscriptions: this process has ${LISTEN_LIMIT}`, 'Unavailable', { retryable: false });
        }
        const sink = (m: Message): void => {
          ch.offer(asMessages ? payloads.messageSlot(m) : built((L) => payloads.pushRawPayload(L, m)));
        };
        // Messages already waiting are matched now, on the listener's time.
        const sub = checkpointed(() => vm.checkpoint(T), () => mailbox.listen(topic, sink, ch, matcher));
        subs.listens.set(topic, (entry = { channel: ch, sub }));
      }
      pushSlot(T, entry.channel.identity as Slot);
      return 1;
    },
    unlisten: (T) => {
      const { proc, link } = self(T);
      const ch = argObject(T, 1);
      const subs = subsOf(proc);
      for (const [topic, entry] of subs.listens) {
        if (entry.channel !== ch) continue;
        link.router.mailboxOf(link.pid)?.unlisten(entry.sub);
        entry.channel.close();
        subs.listens.delete(topic);
        lua.lua_pushboolean(T, true);
        return 1;
      }
      lua.lua_pushboolean(T, false);
      return 1;
    },
  };

  const scopeArg = (T: LuaState, n: number): number => lauxlib.luaL_optinteger(T, n, SCOPE.LOCAL);
  const registry = functionTable(vm,
    {
      register: (T) => {
        const { proc, link } = self(T);
        const name = checkJsString(T, 1);
        const pid = lua.lua_isnoneornil(T, 2) ? link.pid : checkJsString(T, 2);
        if (pid !== link.pid && !guard(T, 'process.registry.foreign', pid)) {
          return outcome(T, proc, new ErrorValue(`not allowed to register foreign pid ${pid} under name "${name}"`, 'PermissionDenied', false));
        }
        if (!guard(T, 'process.registry.register', name)) return outcome(T, proc, new ErrorValue(`not allowed to register name: ${name}`, 'PermissionDenied', false));
        const answer = link.router.register(name, pid, scopeArg(T, 3));
        if (!(answer instanceof Promise)) return outcome(T, proc, answer);
        const task = sched.current;
        if (task === null || !proc.alive) return sched.block(T);
        void answer.then((error) =>
          sched.wake(task, (R) => (error === null ? (lua.lua_pushboolean(R, true), 1) : (lua.lua_pushnil(R), processError(R, error), 2))));
        return sched.block(T);
      },
      lookup: (T) => {
        const r = self(T).link.router.lookup(checkJsString(T, 1));
        if (!r.ok) return lua.lua_pushnil(T), processError(T, r.error), 2;
        pushString(T, r.value);
        return 1;
      },
      unregister: (T) => {
        const { proc, link } = self(T);
        const name = checkJsString(T, 1);
        if (!guard(T, 'process.registry.unregister', name)) return outcome(T, proc, new ErrorValue(`not allowed to unregister name: ${name}`, 'PermissionDenied', false));
        lua.lua_pushboolean(T, link.router.unregister(name, scopeArg(T, 2)));
        return 1;
      },
    },
    SCOPE,
  );

  const table = functionTable(vm, api);
  nestTable(vm, table, 'registry', registry, 'process.registry');
  nestTable(vm, table, 'event', functionTable(vm, {}, EVENT), 'process.event');
  vm.defineModule('process', table);
}

const errorOf = (message: string): ErrorValue => new ErrorValue(message, 'Invalid');

/** The spawn builder: context and options (ctx), and Wippy's spawn-or-signal name and first messages. */
class Spawner extends CallSettings {
  constructor(
    context: ContextValues = NO_CONTEXT,
    options: ContextValues = NO_CONTEXT,
    readonly name = '',
    readonly messages: readonly StartMessage[] = [],
  ) {
    super(context, options);
  }

  override forEachValue(fn: (v: Value) => void): void {
    super.forEachValue(fn);
    for (const m of this.messages) for (const p of m.payloads) fn(p);
  }

  /** `next` with this spawner's actor and scope. */
  derive(next: Spawner): Spawner {
    next.security = this.security;
    return next;
  }

  /** with_name's name, else a `process.name` string among the options (Wippy's hosts read it from there). */
  processName(): string {
    const option = this.options.get('process.name');
    return this.name !== '' ? this.name : typeof option === 'string' ? option : '';
  }
}

export const processModule = luaModule({
  name: 'process',
  description: 'Process management and messaging',
  classes: ['process'],
  global: true,
  needs: [channelModule, payloadModule],
  install: (vm, ctx) => installProcess(vm, ctx.api(channelModule), ctx.api(payloadModule), securityGuard(vm, ctx.services), () => ctx.services.security?.strict ?? false),
});
