/**
 * A standalone node: its processes, hosts, names, monitors and links. Plain TypeScript, no Lua. Hosts start
 * processes and report their exits; everything else goes through the Router methods.
 */
import { CONTROL_HOST, formatPid, parsePid, PidAllocator, type Pid } from './pid';
import { PidSet } from './pid-set';
import { Mailbox, MAILBOX_LIMIT } from './mailbox';
import { MAX_NAME_LENGTH, NameRegistry, NAMES_PER_PROCESS, SCOPE } from './names';
import { cancelEvent, exitEvent, linkDownEvent, type Outcome } from './message';
import { ErrorValue, type ErrorKind, type Value } from './value';
import { kernelErrors } from './errors';
import { EventBus, type BusEvent, type BusSubscription } from './events';
import { DrainQueue } from '../util/drain-queue';
import type { SecurityContext } from '../lib/security';
import { NO_CONTEXT, type BusDelivery, type ContextValues, type Result, type Router, type SpawnRequest } from './router';

/** How the node kills a process; the runtime then reports the exit through `Node.exited`. */
export interface Runtime {
  terminate(reason: ErrorValue): void;
  /** How long the process has run so far (ms), where its host measures it. */
  ranMs?(): number;
}

/** A host runs processes of some kind (Lua on a process host or terminal host). */
export interface Host {
  readonly id: string;
  /** Creates the process for `entry`; it must not run before this returns. */
  start(record: ProcessRecord, entry: string, args: readonly Value[]): ErrorValue | null;
}

/** How many failed exits the node remembers for the live view. */
export const RECENT_FAILURES = 20;

/** A process that ended with an error: what the live view shows as its last error. */
export interface FailedExit {
  readonly pid: string;
  readonly entry: string;
  readonly parent: string | null;
  /** The error's message, cut to MAX_ERROR_TEXT characters (a hostile message costs no more). */
  readonly message: string;
  /** ms since the epoch. */
  readonly at: number;
}

/** The longest error text kept for the live view. */
export const MAX_ERROR_TEXT = 2000;

/** `text`, cut to MAX_ERROR_TEXT characters with a mark. */
export function clip(text: string): string {
  return text.length <= MAX_ERROR_TEXT ? text : `${text.slice(0, MAX_ERROR_TEXT)}… (${text.length} characters)`;
}

export class ProcessRecord {
  readonly mailbox = new Mailbox();
  /** PIDs that receive EXIT when this process ends. */
  readonly monitors = new PidSet();
  /** PIDs this process monitors (so its exit can drop them). */
  readonly watching = new PidSet();
  readonly links = new PidSet();
  trapLinks = false;
  alive = true;
  context: ContextValues = NO_CONTEXT;
  security: SecurityContext | null = null;
  runtime: Runtime | null = null;

  constructor(
    readonly pid: Pid,
    readonly id: string,
    readonly entry: string,
    readonly parent: string | null,
  ) {}
}

const AT = '@'.charCodeAt(0);

const fail = (message: string, kind: ErrorKind = 'NotFound'): ErrorValue => new ErrorValue(message, kind);

export interface ProcessObserver {
  started(pid: Pid): void;
  ended(pid: Pid): void;
}

export class Node implements Router {
  readonly pids: PidAllocator;
  /** Unread messages a process may have; a send beyond it fails (src/engine/spec.md "Memory"). */
  mailboxLimit = MAILBOX_LIMIT;
  /** Messages delivered since the node started (the live view's messages/s). */
  delivered = 0;
  /** The latest processes that ended with an error, newest last (at most RECENT_FAILURES; the live view's). */
  readonly failures: FailedExit[] = [];
  /** The node's event bus; runtime parts (the registry) may publish and subscribe on it directly. */
  readonly events = new EventBus();
  private readonly unreadMemo = new WeakMap<Mailbox, { sequence: number; unread: number }>();
  private readonly hosts = new Map<string, Host>();
  private readonly processes = new Map<string, ProcessRecord>();
  private readonly names = new NameRegistry();
  private readonly exitWatchers = new Map<string, ((outcome: Outcome) => void)[]>();
  /** Exits waiting to be reported: a link cascade is a queue, never JS recursion (spec.md "Recursion"). */
  private readonly exits = new DrainQueue<{ readonly pid: string; readonly outcome: Outcome }>((e) => this.report(e.pid, e.outcome));
  /** What processes send through: this node, or a cluster router wrapping it (src/cluster/). */
  router: Router = this;
  /** Told of every process created and ended (the threads' shared live sets, src/cluster/live-set.ts). */
  private observer: ProcessObserver | null = null;

  constructor(readonly name: string | null = null, firstUniq = 1) {
    this.pids = new PidAllocator(name, firstUniq);
  }

  addHost(host: Host): void {
    this.hosts.set(host.id, host);
  }

  get processCount(): number {
    return this.processes.size;
  }

  process(pid: string): ProcessRecord | undefined {
    return this.processes.get(pid);
  }

  /** Every live process (for shutdown). */
  allProcesses(): ProcessRecord[] {
    return [...this.processes.values()];
  }

  /** The names `pid` has registered. */
  namesOf(pid: string): string[] {
    return this.names.namesOf(pid);
  }

  /** Makes a PID for a process the runtime itself drives (a supervisor, an exec watcher). */
  createProcess(host: string, entry: string, parent: string | null, runtime: Runtime | null, given?: Pid): ProcessRecord {
    const pid = given ?? this.pids.allocate(host);
    const record = new ProcessRecord(pid, formatPid(pid), entry, parent);
    record.runtime = runtime;
    this.processes.set(record.id, record);
    this.observer?.started(pid);
    return record;
  }

  /** Tells `observer` of every process from now on, and at once of those alive. */
  observeProcesses(observer: ProcessObserver): void {
    this.observer = observer;
    for (const record of this.processes.values()) observer.started(record.pid);
  }

  /** Calls `fn` once when `pid` exits (runtime-internal watchers: exec, supervisors, the terminal). */
  onExit(pid: string, fn: (outcome: Outcome) => void): void {
    const list = this.exitWatchers.get(pid);
    if (list === undefined) this.exitWatchers.set(pid, [fn]);
    else list.push(fn);
  }

  /** `as`: the PID the child gets, numbered by the thread that asked for it (src/cluster/router.ts "spawnOn"). */
  spawn(request: SpawnRequest, as?: Pid): Result<string> {
    const host = this.hosts.get(request.host);
    if (host === undefined) return { ok: false, error: kernelErrors.hostNotFound() };
    const name = request.name ?? '';
    if (name !== '') {
      const holder = this.router.lookup(name);
      if (holder.ok) {
        this.deliverStart(holder.value, request);
        return holder;
      }
    }
    const record = this.createProcess(request.host, request.entry, request.parent, null, as);
    if (request.context !== undefined) record.context = request.context;
    if (request.security !== undefined) record.security = request.security;
    const error = host.start(record, request.entry, request.args);
    if (error !== null) {
      this.forget(record);
      return { ok: false, error };
    }
    // The child is queued, not yet run: its name, monitor, link and first messages are in place before its
    // first instruction.
    if (name !== '') this.claimAtSpawn(name, record.id);
    if (request.exited !== undefined) this.onExit(record.id, request.exited);
    const parent = request.parent === null ? undefined : this.processes.get(request.parent);
    if (parent !== undefined) {
      if (request.monitor) this.addMonitor(parent, record);
      if (request.link) this.addLink(parent, record);
    }
    this.deliverStart(record.id, request);
    return { ok: true, value: record.id };
  }

  /**
   * With threads the name goes to the node's table through the router, as `process.registry.register` does, so
   * that every thread sees it (src/cluster/spec.md "Names"). Another thread may have taken it since it was looked
   * up: then the child loses it as a later EVENTUAL claim does, by CANCEL.
   */
  private claimAtSpawn(name: string, pid: string): void {
    if (this.router === this) return void this.names.register(name, pid);
    const claimed = this.router.register(name, pid, SCOPE.LOCAL);
    if (claimed instanceof Promise) {
      void claimed.then((error) => error !== null && this.mailboxOf(pid)?.deliverEvent(cancelEvent('', `name revoked: ${name}`)));
    }
  }

  /** A spawn's messages, from no PID; like Wippy, a failed delivery (a full mailbox) fails nothing. */
  private deliverStart(pid: string, request: SpawnRequest): void {
    for (const m of request.messages ?? []) this.router.send('', pid, m.topic, m.payloads);
  }

  /**
   * Called by a runtime when its process has ended: names first, then EXIT and LINK_DOWN. A process
   * that a link kills reports its own exit from inside this call; that exit is queued and reported after the
   * current one, so a chain of any length is a loop.
   */
  exited(pid: string, outcome: Outcome): void {
    this.exits.run({ pid, outcome });
  }

  private report(pid: string, outcome: Outcome): void {
    const record = this.processes.get(pid);
    if (record === undefined || !record.alive) return;
    this.forget(record);
    if (outcome.error !== null) {
      if (this.failures.length >= RECENT_FAILURES) this.failures.shift();
      this.failures.push({ pid, entry: record.entry, parent: record.parent, message: clip(outcome.error.message), at: Date.now() });
    }
    for (const watched of record.watching) this.processes.get(watched)?.monitors.delete(pid);
    if (record.monitors.size > 0) {
      const event = exitEvent(pid, outcome);
      for (const m of record.monitors) {
        const watcher = this.processes.get(m);
        if (watcher === undefined) continue;
        watcher.watching.delete(pid); // it watches a dead process no more (nor holds its PID forever)
        watcher.mailbox.deliverEvent(event);
      }
    }
    for (const l of record.links) {
      const other = this.processes.get(l);
      if (other === undefined) continue;
      other.links.delete(pid);
      this.linkBroken(other, pid, outcome);
    }
    const watchers = this.exitWatchers.get(pid);
    if (watchers !== undefined) {
      this.exitWatchers.delete(pid);
      for (const fn of watchers) fn(outcome);
    }
  }

  /**
   * The link rule, for links within this node and to other nodes alike: the process at the other end of a link
   * ended with `outcome`. A normal exit breaks nothing; a failure reaches `survivor` as LINK_DOWN when it traps
   * links, and otherwise ends it with "linked process failed".
   */
  linkBroken(survivor: ProcessRecord | string, dead: string, outcome: Outcome): void {
    if (outcome.error === null) return;
    const p = typeof survivor === 'string' ? this.processes.get(survivor) : survivor;
    if (p === undefined) return;
    if (p.trapLinks) p.mailbox.deliverEvent(linkDownEvent(dead, outcome));
    else p.runtime?.terminate(kernelErrors.linkedProcessFailed());
  }

  send(from: string, dest: string, topic: string, payloads: readonly Value[]): ErrorValue | null {
    if (topic.charCodeAt(0) === AT) return kernelErrors.atTopic();
    let record = this.processes.get(dest); // a canonical PID string: resolve's common case, without its Result
    if (record === undefined) {
      const target = this.resolve(dest);
      if (!target.ok) return target.error;
      record = target.value;
    }
    const mailbox = record.mailbox;
    if (mailbox.unread >= this.mailboxLimit) {
      // The sender hears of it; the receiver and what it has queued are untouched.
      return kernelErrors.mailboxFull(record.id, this.mailboxLimit);
    }
    mailbox.deliver({ from, topic, payloads });
    this.delivered++;
    return null;
  }

  terminate(_from: string, dest: string): ErrorValue | null {
    const target = this.resolve(dest);
    if (!target.ok) return target.error;
    target.value.runtime?.terminate(kernelErrors.terminated());
    return null;
  }

  cancel(from: string, dest: string, reason: string): ErrorValue | null {
    const target = this.resolve(dest);
    if (!target.ok) return target.error;
    target.value.mailbox.deliverEvent(cancelEvent(from, reason));
    return null;
  }

  monitor(watcher: string, dest: string): ErrorValue | null {
    const pair = this.pair(watcher, dest);
    if (!pair.ok) return pair.error;
    const [w, target] = pair.value;
    if (target.monitors.has(w.id)) return kernelErrors.alreadyMonitoring();
    this.addMonitor(w, target);
    return null;
  }

  unmonitor(watcher: string, dest: string): ErrorValue | null {
    const pair = this.pair(watcher, dest);
    if (!pair.ok) return pair.error;
    const [w, target] = pair.value;
    target.monitors.delete(w.id);
    w.watching.delete(target.id);
    return null;
  }

  link(pid: string, dest: string): ErrorValue | null {
    const pair = this.pair(pid, dest);
    if (!pair.ok) return pair.error;
    this.addLink(pair.value[0], pair.value[1]);
    return null;
  }

  unlink(pid: string, dest: string): ErrorValue | null {
    const pair = this.pair(pid, dest);
    if (!pair.ok) return pair.error;
    const [a, b] = pair.value;
    a.links.delete(b.id);
    b.links.delete(a.id);
    return null;
  }

  register(name: string, pid: string, scope: number): ErrorValue | null {
    const unavailable = this.scopeError(scope);
    if (unavailable !== null) return unavailable;
    if (name === '') return kernelErrors.nameEmpty();
    if (name.length > MAX_NAME_LENGTH) return fail(`name too long: ${name.length} characters (at most ${MAX_NAME_LENGTH})`, 'Invalid');
    const owner = this.resolve(pid);
    if (!owner.ok) return owner.error;
    const done = this.names.register(name, owner.value.id);
    if (done === 'full') return fail(`too many names: ${owner.value.id} has ${NAMES_PER_PROCESS} registered`, 'Unavailable');
    return done === true ? null : kernelErrors.nameTaken();
  }

  lookup(name: string): Result<string> {
    const pid = this.names.lookup(name);
    return pid === undefined ? { ok: false, error: kernelErrors.nameNotRegistered() } : { ok: true, value: pid };
  }

  unregister(name: string, scope: number): boolean {
    return scope === SCOPE.LOCAL && this.names.unregister(name);
  }

  setTrapLinks(pid: string, trap: boolean): void {
    const record = this.processes.get(pid);
    if (record !== undefined) record.trapLinks = trap;
  }

  trapLinks(pid: string): boolean {
    return this.processes.get(pid)?.trapLinks ?? false;
  }

  publish(event: BusEvent, fromProcess = false): ErrorValue | null {
    return this.events.publish(event, fromProcess);
  }

  subscribeBus(pid: string, system: string, kind: string, delivery: BusDelivery): Result<BusSubscription> {
    const record = this.processes.get(pid);
    if (record === undefined) return { ok: false, error: kernelErrors.processNotFound() };
    const mailbox = record.mailbox;
    const sub = this.events.subscribe(system, kind, {
      take: (event, sequence) => {
        // Like a send to a full mailbox, but the publisher is not told: the subscriber is, by its channel closing.
        if (this.unreadDuring(mailbox, sequence) >= this.mailboxLimit) return false;
        delivery.deliver(event);
        (this.unreadMemo.get(mailbox) as { unread: number }).unread++;
        return true;
      },
      ended: delivery.ended,
    }, pid);
    if (sub instanceof ErrorValue) return { ok: false, error: sub };
    mailbox.hold(delivery.backlog);
    return { ok: true, value: sub };
  }

  /**
   * A mailbox's unread count during one publish, counted once: no Lua runs while an event is delivered, so
   * only the deliveries themselves add to it (a process with many subscriptions costs linear, not quadratic).
   */
  private unreadDuring(mailbox: Mailbox, sequence: number): number {
    const memo = this.unreadMemo.get(mailbox);
    if (memo !== undefined && memo.sequence === sequence) return memo.unread;
    const unread = mailbox.unread;
    this.unreadMemo.set(mailbox, { sequence, unread });
    return unread;
  }

  unsubscribeBus(subscription: BusSubscription): void {
    this.events.unsubscribe(subscription);
  }

  mailboxOf(pid: string): Mailbox | null {
    return this.processes.get(pid)?.mailbox ?? null;
  }

  /** A PID string or a registered name → a live local process, or the spec's error. */
  resolve(dest: string): Result<ProcessRecord> {
    const known = this.processes.get(dest); // a canonical PID string: the common case, no parsing
    if (known !== undefined) return { ok: true, value: known };
    const pid = parsePid(dest);
    if (pid === null) {
      const owner = this.names.lookup(dest);
      const record = owner === undefined ? undefined : this.processes.get(owner);
      if (record === undefined) return { ok: false, error: fail(`could not resolve '${dest}' as PID or registered name`) };
      return { ok: true, value: record };
    }
    if (pid.node !== this.name) return { ok: false, error: fail(`node not found: ${pid.node ?? 'local'}`, 'Unavailable') };
    if (pid.host !== CONTROL_HOST && !this.hosts.has(pid.host)) return { ok: false, error: kernelErrors.hostNotFound() };
    const record = this.processes.get(formatPid(pid));
    return record === undefined ? { ok: false, error: kernelErrors.processNotFound() } : { ok: true, value: record };
  }

  private pair(self: string, dest: string): Result<[ProcessRecord, ProcessRecord]> {
    const me = this.processes.get(self);
    if (me === undefined) return { ok: false, error: kernelErrors.processNotFound() };
    const target = this.resolve(dest);
    if (!target.ok) {
      const notFound = target.error.message === 'process not found';
      return notFound ? { ok: false, error: kernelErrors.pidNotRegistered() } : target;
    }
    if (target.value === me) return { ok: false, error: kernelErrors.watchSelf() };
    return { ok: true, value: [me, target.value] };
  }

  private addMonitor(watcher: ProcessRecord, target: ProcessRecord): void {
    target.monitors.add(watcher.id);
    watcher.watching.add(target.id);
  }

  private addLink(a: ProcessRecord, b: ProcessRecord): void {
    a.links.add(b.id);
    b.links.add(a.id);
  }

  private forget(record: ProcessRecord): void {
    record.alive = false;
    this.processes.delete(record.id);
    this.observer?.ended(record.pid);
    this.names.releaseAll(record.id);
    this.events.releaseOwner(record.id);
  }

  private scopeError(scope: number): ErrorValue | null {
    if (scope === SCOPE.LOCAL) return null;
    const name = Object.entries(SCOPE).find(([, v]) => v === scope)?.[0].toLowerCase() ?? `scope ${scope}`;
    return fail(`${name} registry not available`, 'Internal');
  }
}
