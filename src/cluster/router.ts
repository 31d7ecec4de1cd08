/**
 * The cluster Router (spec.md): wraps the node's own Router and forwards what belongs to other nodes over the
 * bus. Everything a remote node asks for is checked and applied through the local node, so remote processes get
 * exactly the local guarantees; what crosses nodes (monitors and links of remote PIDs) is tracked here, and a
 * lost node turns into EXIT / LINK_DOWN events with a "node down" error.
 */
import { CONTROL_HOST, formatPid, parsePid, type Pid } from '../kernel/pid';
import { exitEvent, type Outcome } from '../kernel/message';
import { ErrorValue, type Value } from '../kernel/value';
import { kernelErrors } from '../kernel/errors';
import { SCOPE } from '../kernel/names';
import { OP, eventFrame, interestFrame, outcomeFrame, parseBatch, parseFrames, sendFrame, shrunkOutcome, spawnFrame, type Frame, type Received } from './frames';
import { decode, flatten } from './wire';
import type { Node } from '../kernel/node';
import type { BusDelivery, Result, Router, SpawnRequest } from '../kernel/router';
import type { SecurityContext } from '../lib/security';
import type { BusEvent, BusSubscription, PatternChange } from '../kernel/events';
import { EventInterest } from './event-interest';
import type { LiveSets } from './live-set';
import type { Mailbox } from '../kernel/mailbox';
import type { Bus } from './bus';
import type { ClusterNames } from './names';
import type { Peers } from './peers';
import type { Log } from '../api/logging';
import { BoundedMap } from '../util/bounded-map';
import { SetMap } from '../util/set-map';


const { nodeDown } = kernelErrors;
const NOPROC = (): Outcome => ({ value: null, error: kernelErrors.processNotFound() });

/** PID → PIDs: the cross-node relationships of one kind. */
class Relations extends SetMap<string, string> {
  /** Removes and returns every pair whose second PID is on `node`. */
  takeNode(node: string): [string, string][] {
    const out: [string, string][] = [];
    for (const [a, set] of this.entries()) {
      for (const b of set) if (nodeOf(b) === node) out.push([a, b]);
    }
    for (const [a, b] of out) this.delete(a, b);
    return out;
  }
}

/**
 * A PID string's node and canonical form (null for a name); memoised, as every frame asks twice. Only strings
 * of a PID's length are kept: a process sending to long made-up strings must not fill the cache.
 */
const PID_CACHE_SIZE = 10_000;
const pidCache = new BoundedMap<string, { readonly node: string | null; readonly uniq: number; readonly canonical: string } | null>(PID_CACHE_SIZE, 'all');
const PID_CACHE_KEY = 256;
function parsed(pid: string): { readonly node: string | null; readonly uniq: number; readonly canonical: string } | null {
  let entry = pidCache.get(pid);
  if (entry === undefined) {
    const p = pid.startsWith('{') ? parsePid(pid) : null;
    entry = p === null ? null : { node: p.node, uniq: p.uniq, canonical: formatPid(p) };
    if (pid.length > PID_CACHE_KEY) return entry;
    pidCache.set(pid, entry);
  }
  return entry;
}

const nodeOf = (pid: string): string | null => parsed(pid)?.node ?? null;

/** Where spawns run when the node has several threads (src/cli/threads.ts "threadPlacement"). */
export interface Placement {
  /**
   * Another thread of this node for `request` (`up` says which are up): the child's PID there (numbered by
   * that thread's shared counter, its node part naming the thread) and the child's security context as text
   * ("" for none); null for this thread.
   */
  place(request: SpawnRequest, up: (node: string) => boolean): { readonly pid: Pid; readonly security: string } | null;
  /** The security context of a spawn from another thread, from its text: null for none, undefined when unreadable. */
  security(text: string): SecurityContext | null | undefined;
}

export class ClusterRouter implements Router {
  /** Spawns onto a host placed on other threads (src/cli/threads.ts); null: every child runs here. */
  placement: Placement | null = null;
  /** Which processes of this node's other threads are alive (threads only; live-set.ts). */
  liveness: LiveSets | null = null;
  /** Remote processes monitoring a local one. */
  private readonly remoteMonitors = new Relations();
  /** Local processes monitoring a remote one. */
  private readonly watchingRemote = new Relations();
  /** Links between a local process and a remote one (each node keeps its side). */
  private readonly remoteLinks = new Relations();
  /** Local PIDs whose exit this router already watches. */
  private readonly hooked = new Set<string>();
  private droppedFull = 0;
  private catchingUp = false;
  /**
   * The runtime's own watchers (`onExit`: process.exec, funcs) of processes on another thread: they monitor
   * through one PID of this node that never runs.
   */
  private exitWatcher: string | null = null;
  private readonly exitFns = new Map<string, ((outcome: Outcome) => void)[]>();
  /** What the node's other threads subscribe to (threads only): a publish goes only where it may be wanted. */
  private readonly interest = new EventInterest();
  /** EVENT frames this thread has posted to each other thread (what the tests count). */
  readonly eventsPosted = new Map<string, number>();

  constructor(
    readonly local: Node,
    private readonly bus: Bus,
    private readonly peers: Peers,
    private readonly names: ClusterNames,
    private readonly log: Log,
    /**
     * The node's LOCAL names when the node has several threads (threads.ts): they are the node's, not one
     * thread's, so they live in the node's shared table (as EVENTUAL claims there). With threads only, that
     * table is `names` itself; in a cluster, `names` is the cluster's and this one the node's.
     */
    private readonly nodeNames: ClusterNames | null = null,
  ) {
    bus.onBatch((data) => this.receive(data));
    if (nodeNames === null) return;
    local.events.watchPatterns((change) => this.announce(change));
    for (const node of peers.nodes()) this.connected(node);
  }

  get self(): string {
    return this.local.name as string;
  }

  /** A PID on another node → its node if that node is up, else the error a caller gets. */
  private reachable(remote: string): Result<string> {
    const node = nodeOf(remote) as string;
    return this.peers.isUp(node) ? { ok: true, value: node } : { ok: false, error: nodeDown(node) };
  }

  /** Whether `remote`, a process of another thread of this node, is known to have ended (live-set.ts). */
  hasEnded(remote: string): boolean {
    const pid = this.liveness === null ? null : parsed(remote);
    return pid !== null && this.liveness?.alive(pid.node, pid.uniq) === false;
  }

  send(from: string, dest: string, topic: string, payloads: readonly Value[]): ErrorValue | null {
    const remote = this.routeRemote(dest);
    if (remote === null) return this.local.send(from, this.localTarget(dest), topic, payloads);
    if (topic.startsWith('@')) return kernelErrors.atTopic();
    const node = this.reachable(remote);
    if (!node.ok) return node.error;
    if (this.hasEnded(remote)) return kernelErrors.processNotFound();
    return this.bus.post(node.value, sendFrame(from, remote, topic, payloads));
  }

  /** The remote PID `dest` stands for (canonical), or null when it is local (a local PID, or a name not held elsewhere). */
  private routeRemote(dest: string): string | null {
    if (dest.startsWith('{')) {
      const pid = parsed(dest);
      return pid !== null && pid.node !== null && pid.node !== this.self ? pid.canonical : null;
    }
    const owner = this.nameOwner(dest);
    return owner !== undefined && nodeOf(owner) !== this.self ? owner : null;
  }

  spawn(request: SpawnRequest): Result<string> {
    const name = request.name ?? '';
    // Spawn-or-signal: a name already held signals its holder, wherever it runs (the local spawn does that).
    if (name !== '' && this.lookup(name).ok) return this.local.spawn(request);
    const there = this.placement?.place(request, (node) => this.peers.isUp(node)) ?? null;
    if (there === null || there.pid.node === null || there.pid.node === this.self) return this.local.spawn(request);
    return this.spawnOn(there.pid.node, there.pid, there.security, request);
  }

  /**
   * Starts `child` on another thread of this node. The spawner gets the PID at once; its monitor or link is in
   * place on this side before the frame goes, and the other thread sets its side before the child's first
   * instruction, so an early exit reaches it as EXIT / LINK_DOWN like any other. A start that fails there
   * (the entry cannot be loaded) is the child's failure: EXIT to a monitor, LINK_DOWN to a link.
   */
  private spawnOn(node: string, pid: Pid, security: string, request: SpawnRequest): Result<string> {
    const parent = request.parent as string;
    if (!this.peers.isUp(node)) return { ok: false, error: nodeDown(node) };
    const watcher = request.exited === undefined ? '' : this.exitWatcherPid();
    const child = formatPid(pid);
    // Alive from now for every thread, as a child on one thread is once spawn returns: its thread clears it.
    this.liveness?.started(pid);
    // A name is claimed here for the child, as `register` claims one for a process of another thread, and before
    // the child can run: it has the name from its first instruction. (The SPAWN frame carries no name.) Lost to
    // another thread since the lookup, it is revoked from the child, as on its own thread (Node.spawn).
    const name = request.name ?? '';
    const claimed = name === '' ? null : this.register(name, child, SCOPE.LOCAL);
    // (From the spawner: a frame from no PID carries only messages.)
    if (claimed instanceof Promise) void claimed.then((error) => error !== null && this.cancel(parent, child, `name revoked: ${name}`));
    const refused = this.bus.post(node, spawnFrame(child, request, watcher, security));
    if (refused !== null) {
      this.liveness?.ended(pid);
      return { ok: false, error: refused };
    }
    if (request.exited !== undefined) this.watchExit(child, request.exited);
    if (request.monitor) this.watchingRemote.add(parent, child);
    if (request.link) this.remoteLinks.add(parent, child);
    if (request.monitor || request.link) this.hook(parent);
    return { ok: true, value: child };
  }

  /**
   * The other side of spawnOn: the child starts here as `to`, with its spawner's monitor or link, and the
   * spawner thread's `watcher` (SpawnRequest `exited`) monitoring it.
   */
  private spawnHere(from: string, to: string, spawned: SpawnRequest, watcher: string, securityText: string): void {
    const pid = parsePid(to);
    const security = securityText === '' ? null : this.placement?.security(securityText);
    const request = { ...spawned, security };
    const started =
      pid === null ? { ok: false as const, error: kernelErrors.processNotFound() }
      : security === undefined ? { ok: false as const, error: new ErrorValue('spawn: unreadable security context', 'Internal') }
      : this.local.spawn(request, pid);
    if (!started.ok) {
      if (pid !== null) this.liveness?.ended(pid);
      this.log('warn', 'threads: a process spawned from another thread failed to start', { pid: to, entry: request.entry, error: started.error.message });
      const failed: Outcome = { value: null, error: started.error };
      if (request.monitor) this.postOutcome(to, from, failed, false);
      if (request.link) this.postOutcome(to, from, failed, true);
      if (watcher !== '') this.postOutcome(to, watcher, failed, false);
      return;
    }
    if (request.monitor) this.remoteMonitors.add(to, from);
    if (request.link) this.remoteLinks.add(to, from);
    if (watcher !== '') this.remoteMonitors.add(to, watcher);
    if (request.monitor || request.link || watcher !== '') this.hook(to);
  }

  terminate(from: string, dest: string): ErrorValue | null {
    return this.forward(dest, (remote) => [OP.TERMINATE, from, remote], (local) => this.local.terminate(from, local));
  }

  cancel(from: string, dest: string, reason: string): ErrorValue | null {
    return this.forward(dest, (remote) => [OP.CANCEL, from, remote, reason], (local) => this.local.cancel(from, local, reason));
  }

  monitor(watcher: string, dest: string): ErrorValue | null {
    const remote = this.routeRemote(dest);
    if (remote === null) return this.local.monitor(watcher, this.localTarget(dest));
    if (this.local.process(watcher) === undefined) return kernelErrors.processNotFound();
    if (this.hasEnded(remote)) return kernelErrors.pidNotRegistered();
    if (this.watchingRemote.has(watcher, remote)) return kernelErrors.alreadyMonitoring();
    const node = this.reachable(remote);
    if (!node.ok) return node.error;
    const refused = this.bus.post(node.value, [OP.MONITOR, watcher, remote]);
    if (refused !== null) return refused;
    this.watchingRemote.add(watcher, remote);
    this.hook(watcher);
    return null;
  }

  unmonitor(watcher: string, dest: string): ErrorValue | null {
    return this.detach(watcher, dest, this.watchingRemote, OP.UNMONITOR, (target) => this.local.unmonitor(watcher, target));
  }

  link(pid: string, dest: string): ErrorValue | null {
    const remote = this.routeRemote(dest);
    if (remote === null) return this.local.link(pid, this.localTarget(dest));
    if (this.local.process(pid) === undefined) return kernelErrors.processNotFound();
    const node = this.reachable(remote);
    if (!node.ok) return node.error;
    if (this.hasEnded(remote)) return kernelErrors.pidNotRegistered();
    if (this.remoteLinks.has(pid, remote)) return null;
    const refused = this.bus.post(node.value, [OP.LINK, pid, remote]);
    if (refused !== null) return refused;
    this.remoteLinks.add(pid, remote);
    this.hook(pid);
    return null;
  }

  unlink(pid: string, dest: string): ErrorValue | null {
    return this.detach(pid, dest, this.remoteLinks, OP.UNLINK, (target) => this.local.unlink(pid, target));
  }

  /** Drops a monitor or link: locally, or this side of a remote one, telling the other side if it is up. */
  private detach(
    self: string,
    dest: string,
    relations: Relations,
    op: typeof OP.UNMONITOR | typeof OP.UNLINK,
    locally: (target: string) => ErrorValue | null,
  ): ErrorValue | null {
    const remote = this.routeRemote(dest);
    if (remote === null) return locally(this.localTarget(dest));
    if (this.hasEnded(remote)) {
      relations.delete(self, remote);
      return kernelErrors.pidNotRegistered();
    }
    if (!relations.delete(self, remote)) return null;
    const node = this.reachable(remote);
    return node.ok ? this.bus.post(node.value, [op, self, remote]) : null;
  }

  register(name: string, pid: string, scope: number): ErrorValue | null | Promise<ErrorValue | null> {
    const table = scope === SCOPE.LOCAL ? this.nodeNames : this.names;
    if (table === null) return this.local.register(name, pid, scope);
    if (name === '') return kernelErrors.nameEmpty();
    if (scope === SCOPE.LOCAL) scope = SCOPE.EVENTUAL;
    const owner = this.local.resolve(pid);
    if (!owner.ok) {
      const remote = parsed(pid);
      if (remote === null || remote.node === null || remote.node === this.self) return owner.error;
      // A process of another thread of this node: claimed for it, that thread takes the claim over.
      if (!this.peers.isSteady(remote.node)) return new ErrorValue('a cluster name can only be registered for a process of this node', 'Invalid');
      if (!this.peers.isUp(remote.node) || this.hasEnded(remote.canonical)) return kernelErrors.processNotFound();
      return table.register(name, remote.canonical, scope, remote.node);
    }
    const id = owner.value.id;
    this.hook(id);
    return table.register(name, id, scope);
  }

  lookup(name: string): Result<string> {
    const owner = this.nameOwner(name);
    return owner === undefined ? this.local.lookup(name) : { ok: true, value: owner };
  }

  /** The holder of `name` in the cluster's scopes, else in the node's LOCAL table (threads), else undefined. */
  private nameOwner(name: string): string | undefined {
    return this.names.lookup(name) ?? (this.nodeNames === this.names ? undefined : this.nodeNames?.lookup(name));
  }

  unregister(name: string, scope: number): boolean {
    if (scope !== SCOPE.LOCAL) return this.names.unregister(name, scope);
    return this.nodeNames?.unregister(name, SCOPE.EVENTUAL) === true || this.local.unregister(name, scope);
  }

  /** Whether a name claim of this node is on its way to the cluster's or the node's table. */
  get claiming(): boolean {
    return this.names.claiming || this.nodeNames?.claiming === true;
  }

  namesOf(pid: string): string[] {
    const node = this.nodeNames === null || this.nodeNames === this.names ? [] : this.nodeNames.namesOf(pid);
    return [...this.local.namesOf(pid), ...this.names.namesOf(pid), ...node];
  }

  setTrapLinks(pid: string, trap: boolean): void {
    this.local.setTrapLinks(pid, trap);
  }

  trapLinks(pid: string): boolean {
    return this.local.trapLinks(pid);
  }

  mailboxOf(pid: string): Mailbox | null {
    return this.local.mailboxOf(pid);
  }

  onExit(pid: string, fn: (outcome: Outcome) => void): void {
    const remote = this.routeRemote(pid);
    if (remote === null) return this.local.onExit(pid, fn);
    const waiting = this.exitFns.get(remote);
    if (waiting !== undefined) return void waiting.push(fn);
    const node = this.reachable(remote);
    const refused = node.ok ? this.bus.post(node.value, [OP.MONITOR, this.exitWatcherPid(), remote]) : node.error;
    if (refused !== null) return queueMicrotask(() => fn({ value: null, error: refused }));
    this.watchExit(remote, fn);
  }

  /** The local PID that monitors remote processes for the runtime's onExit watchers. */
  private exitWatcherPid(): string {
    return (this.exitWatcher ??= this.local.createProcess(CONTROL_HOST, 'cluster:exit-watcher', null, null).id);
  }

  /** `fn` is told when remote `pid` ends (its monitor by the exit watcher is set or on its way). */
  private watchExit(pid: string, fn: (outcome: Outcome) => void): void {
    this.exitFns.set(pid, [fn]);
    this.watchingRemote.add(this.exitWatcherPid(), pid);
  }

  /** `target` (remote) ended for local `watcher`: an EXIT event, or the runtime's own onExit watchers. */
  private watchedExit(watcher: string, target: string, outcome: Outcome): void {
    if (watcher !== this.exitWatcher) return void this.local.mailboxOf(watcher)?.deliverEvent(exitEvent(target, outcome));
    const fns = this.exitFns.get(target) ?? [];
    this.exitFns.delete(target);
    for (const fn of fns) fn(outcome);
  }

  /**
   * The event bus is per node, as Wippy's: across nodes nothing crosses. The threads of one node are one node:
   * a publish goes to every other thread with a subscription it may match (each thread announces its patterns,
   * below), in order per publisher (as every frame between two threads), and to this thread's subscribers. It
   * goes too to a thread whose messages to this one wait unread: one of them may announce a subscription made
   * before (causally) this publish, which reached here by way of a third thread. A value too large to cross to a
   * thread that may want it is refused whole, before anyone gets it.
   */
  publish(event: BusEvent, fromProcess?: boolean): ErrorValue | null {
    if (this.nodeNames === null) return this.local.publish(event, fromProcess);
    let data: ReturnType<typeof flatten> | null = null;
    let posted = false;
    for (const node of this.peers.nodes()) {
      if (!this.peers.isSteady(node) || !(this.interest.wants(node, event) || this.bus.mayHaveUnread(node))) continue;
      data ??= flatten([event.data]);
      const unsent = this.bus.post(node, eventFrame(this.self, node, event, data));
      if (unsent === null) {
        posted = true;
        this.eventsPosted.set(node, (this.eventsPosted.get(node) ?? 0) + 1);
      } else if (!posted) return unsent;
      else this.log('warn', 'threads: an event could not reach a thread', { node, system: event.system, kind: event.kind, error: unsent.message });
    }
    return this.local.publish(event, fromProcess);
  }

  /**
   * This thread's bus has its first subscription of a pattern pair, or no more: every other thread of the node
   * hears of it before anything this thread sends it later, so a process that subscribes and then tells another
   * thread to publish gets the event.
   */
  private announce(change: PatternChange): void {
    for (const node of this.peers.nodes()) if (this.peers.isSteady(node)) this.postInterest(node, false, [change]);
  }

  /**
   * The connection with `node` is up: if it is another thread of this node, its first frame from here is this
   * thread's whole set of patterns (a thread that starts late, or a connection that was reset, starts from it).
   */
  connected(node: string): void {
    if (this.nodeNames !== null && this.peers.isSteady(node)) this.postInterest(node, true, this.local.events.patterns());
  }

  /** A thread that does not hear of this one's subscriptions would miss events: if it cannot be told, the connection is reset. */
  private postInterest(node: string, whole: boolean, changes: readonly PatternChange[]): void {
    const refused = this.bus.post(node, interestFrame(this.self, node, whole, changes));
    if (refused !== null) this.unsent(node, refused);
  }

  subscribeBus(pid: string, system: string, kind: string, delivery: BusDelivery): Result<BusSubscription> {
    return this.local.subscribeBus(pid, system, kind, delivery);
  }

  unsubscribeBus(subscription: BusSubscription): void {
    this.local.unsubscribeBus(subscription);
  }

  /** A name held by a local process in a cluster scope resolves to its PID; anything else stays as given. */
  private localTarget(dest: string): string {
    return dest.startsWith('{') ? dest : (this.nameOwner(dest) ?? dest);
  }

  private forward(dest: string, remoteFrame: (remote: string) => Frame, locally: (dest: string) => ErrorValue | null): ErrorValue | null {
    const remote = this.routeRemote(dest);
    if (remote === null) return locally(this.localTarget(dest));
    const node = this.reachable(remote);
    if (!node.ok) return node.error;
    return this.hasEnded(remote) ? kernelErrors.processNotFound() : this.bus.post(node.value, remoteFrame(remote));
  }

  /** Watches a local process's exit once, to tell remote monitors and links and to release its cluster names. */
  private hook(pid: string): void {
    if (this.hooked.has(pid)) return;
    this.hooked.add(pid);
    this.local.onExit(pid, (outcome) => this.localExited(pid, outcome));
  }

  private localExited(pid: string, outcome: Outcome): void {
    this.hooked.delete(pid);
    this.names.releaseAll(pid);
    if (this.nodeNames !== this.names) this.nodeNames?.releaseAll(pid);
    for (const watcher of this.remoteMonitors.take(pid)) this.postOutcome(pid, watcher, outcome, false);
    for (const other of this.remoteLinks.take(pid)) this.postOutcome(pid, other, outcome, true);
    for (const target of this.watchingRemote.take(pid)) this.postIfUp(target, [OP.UNMONITOR, pid, target]);
  }

  /** Posts to the node of `remote` if it is up; if it is not, the connection's reset already told that node. */
  private postIfUp(remote: string, frame: Frame): void {
    const node = nodeOf(remote);
    if (node === null || !this.peers.isUp(node)) return;
    const refused = this.bus.post(node, frame);
    if (refused !== null) this.unsent(node, refused);
  }

  /** The EXIT of local `pid` for remote `to`; an outcome too large for the bus crosses shrunk, saying so. */
  private postOutcome(pid: string, to: string, outcome: Outcome, link: boolean): void {
    const node = nodeOf(to);
    if (node === null || !this.peers.isUp(node)) return;
    const refused = this.bus.post(node, outcomeFrame(pid, to, outcome, link));
    if (refused === null) return;
    if (refused.kind === 'Invalid') this.postIfUp(to, outcomeFrame(pid, to, shrunkOutcome(outcome, refused), link));
    else this.unsent(node, refused);
  }

  /** A frame the runtime owed a node (an EXIT, an UNMONITOR) could not be queued: the connection is reset. */
  private unsent(node: string, refused: ErrorValue): void {
    this.log('error', 'cluster: a frame could not be queued; resetting the connection', { node, error: refused.message });
    this.peers.reset(node, `could not queue a frame: ${refused.message}`);
  }

  /** Messages from other nodes dropped for a full mailbox: one warning a second at most, with the count. */
  private fullMailbox(pid: string): void {
    if (this.droppedFull++ > 0) return;
    setTimeout(() => {
      this.log('warn', 'cluster: messages from other nodes dropped: the mailbox was full', { count: this.droppedFull, last: pid });
      this.droppedFull = 0;
    }, 1000).unref();
  }

  /** A node is gone: every relationship with its processes ends as if each of them had failed with "node down". */
  lost(node: string): void {
    const outcome: Outcome = { value: null, error: nodeDown(node) };
    this.interest.forget(node);
    this.remoteMonitors.takeNode(node);
    for (const [watcher, target] of this.watchingRemote.takeNode(node)) this.watchedExit(watcher, target, outcome);
    for (const [pid, other] of this.remoteLinks.takeNode(node)) this.local.linkBroken(pid, other, outcome);
  }


  /** One bus message for this node. Anything malformed is dropped whole, with a log line. */
  private receive(data: Uint8Array): void {
    let batch: ReturnType<typeof parseBatch>;
    try {
      batch = parseBatch(decode(data));
    } catch (e) {
      this.log('warn', 'cluster: dropped a malformed bus message', { error: e instanceof Error ? e.message : String(e), bytes: data.length });
      return;
    }
    const { node } = batch.header;
    if (!this.peers.accept(batch.header)) return;
    let frames: Received[];
    try {
      frames = parseFrames(batch.frames);
    } catch (e) {
      // A numbered message from a known node that cannot be read is a message lost: its connection is reset.
      this.log('warn', 'cluster: dropped a malformed bus message', { error: e instanceof Error ? e.message : String(e), bytes: data.length, node });
      this.peers.reset(node, 'it sent a malformed message');
      return;
    }
    for (const frame of frames) {
      if (!this.owned(frame, node)) {
        this.log('warn', 'cluster: dropped a frame for a process this node does not own', { from: frame.from, to: frame.to, node });
        continue;
      }
      if (frame.op !== OP.SPAWN && frame.op !== OP.EVENT && frame.op !== OP.INTEREST && this.local.process(frame.to) === undefined) this.catchUp(node);
      try {
        this.apply(frame);
      } catch (e) {
        this.log('error', 'cluster: a bus frame failed', { error: e instanceof Error ? e.message : String(e), op: frame.op });
      }
    }
  }

  /**
   * Whether `node` may send `frame`: as its own processes, to one of this node's. Events and interest are
   * between threads, node to node; a message from no PID (a spawn's first messages to a name's holder, an
   * embedding app's) only from a thread of this node.
   */
  private owned(frame: Received, node: string): boolean {
    if (frame.op === OP.EVENT || frame.op === OP.INTEREST) return frame.from === node && frame.to === this.self && this.peers.isSteady(node);
    const from = frame.op === OP.SEND && frame.from === '' && this.peers.isSteady(node) ? node : nodeOf(frame.from);
    return from === node && nodeOf(frame.to) === this.self;
  }

  /**
   * A frame for a process that is not here may be for one another thread has just started here, whose SPAWN
   * frame waits on that thread's port while this one, sent after it (causally: the PID went from the spawner
   * to a third thread, which sent this), was read first (a thread reads its ports in no set order). So the
   * other ports' waiting messages are read first; the sender's own are not, to keep its order.
   */
  private catchUp(sender: string): void {
    if (this.catchingUp) return;
    this.catchingUp = true;
    try {
      this.bus.catchUp(sender);
    } finally {
      this.catchingUp = false;
    }
  }

  /** A remote monitor or link of a local process; for a process that is gone, its EXIT "process not found". */
  private accept(remote: string, local: string, relations: Relations, link: boolean): void {
    const target = this.local.resolve(local);
    if (!target.ok) {
      this.postOutcome(local, remote, NOPROC(), link);
      return;
    }
    relations.add(target.value.id, remote);
    this.hook(target.value.id);
  }

  private apply(f: Received): void {
    switch (f.op) {
      case OP.SEND: {
        // Fire and forget, as across Erlang nodes: a message for a process that is gone is dropped. One for a
        // full mailbox is too (the sender cannot be told), but not without a word: see fullMailbox.
        const refused = this.local.send(f.from, f.to, f.topic, f.payloads);
        if (refused !== null && refused.message.startsWith('mailbox full')) this.fullMailbox(f.to);
        return;
      }
      case OP.TERMINATE:
        this.local.terminate(f.from, f.to);
        return;
      case OP.CANCEL:
        this.local.cancel(f.from, f.to, f.reason);
        return;
      case OP.MONITOR:
        this.accept(f.from, f.to, this.remoteMonitors, false);
        return;
      case OP.UNMONITOR:
        this.remoteMonitors.delete(f.to, f.from);
        return;
      case OP.LINK:
        this.accept(f.from, f.to, this.remoteLinks, true);
        return;
      case OP.UNLINK:
        this.remoteLinks.delete(f.to, f.from);
        return;
      case OP.SPAWN:
        // Only a thread of this node starts processes here; another node's word is not enough.
        if (this.peers.isSteady(nodeOf(f.from) as string)) this.spawnHere(f.from, f.to, f.request, f.watcher, f.security);
        else this.log('warn', 'cluster: dropped a spawn from another node', { from: f.from });
        return;
      case OP.EXIT:
        if (f.link) {
          if (this.remoteLinks.delete(f.to, f.from)) this.local.linkBroken(f.to, f.from, f.outcome);
        } else if (this.watchingRemote.delete(f.to, f.from)) {
          this.watchedExit(f.to, f.from, f.outcome);
        }
        return;
      case OP.EVENT:
        this.local.publish(f.event);
        return;
      case OP.INTEREST:
        if (!this.interest.apply(f.from, f.whole, f.changes)) {
          this.log('warn', 'threads: a thread announced too many event patterns; the rest are ignored', { node: f.from });
        }
    }
  }
}
