/**
 * The heap watchdog (spec.md "Memory"): when the JS heap nears its limit, it fails the Lua process holding the
 * most, with "out of memory: ...", before V8 aborts the whole runtime; everything else carries on.
 *
 * One per Node isolate (every VM shares the one JS heap). It reads v8.getHeapStatistics (about 0.5 µs) at
 * cheap points: every HOOK_CHECK_EVERY preemption-hook ticks (so code that cannot be preempted is watched too),
 * after each scheduler batch (at most once per BATCH_CHECK_MS), whenever Fengari has allocated BIG_CHECK_BYTES
 * of large string buffers, and on an unref'd timer. Nothing is added to a resume.
 *
 * Budget: V8's old-generation limit (heap_size_limit minus the young generation), for the heap in use plus
 * external memory (string bytes live outside the V8 heap). Past ACT of the budget it forces a full GC (at most
 * every GC_EVERY_MS, or CRITICAL_GC_EVERY_MS past CRITICAL); if the live size is still over ACT, it measures
 * every process (memory.ts) and fails the one holding the most, if that is at least MIN_VICTIM of the budget
 * (when nobody does, as in a spawn storm, it only refuses new processes, and looks again less often).
 * A victim's memory still looks live until its thread has unwound and the scheduler has dropped its tasks:
 * until its thread is collected (a WeakRef; at most VICTIM_WAIT_MS), what it held is deducted, so a second
 * process is failed only for memory of its own. (A second GC when external memory is large makes V8 finish
 * releasing freed string buffers, which it does in the background.) While the live heap (less that) is over
 * ACT, new processes are refused ("out of memory").
 */
import { lua, type LuaState } from './lua'; // first: Fengari must be loaded before any of its internal modules
import { getHeapStatistics, setFlagsFromString } from 'v8';
import { runInNewContext } from 'vm';
import { wisp_limits } from 'fengari/src/luaconf';
import { lua_gethook } from 'fengari/src/ldebug';
import { MemoryMeter, type MemoryRoot } from './memory';
import type { LuaVM } from './vm';
import type { LuaProcess } from './process';
import { TERMINATION_REASON } from '../kernel/errors';

const MiB = 1024 * 1024;
const ACT = 0.7;
const CRITICAL = 0.8;
const MIN_VICTIM = 1 / 64;
const GC_EVERY_MS = 100;
const CRITICAL_GC_EVERY_MS = 20;
const VICTIM_WAIT_MS = 1000;
const NO_VICTIM_BACKOFF_MS = 2000;
const BACKOFF_GC_EVERY_MS = 1000;
const HOOK_CHECK_EVERY = 16;
const BATCH_CHECK_MS = 5;
const TIMER_MS = 100;
const BIG_CHECK_BYTES = 16 * MiB;

/** What the watchdog did, for logs and tests. */
export interface OomReport {
  /** The process it failed (its PID, or its entry outside a node). */
  readonly process: string;
  /** Estimated bytes the process held. */
  readonly heldBytes: number;
  /** Heap in use plus external memory after a full GC, when it acted. */
  readonly liveBytes: number;
  readonly budgetBytes: number;
  /** How long measuring every process took. */
  readonly measureMs: number;
  readonly message: string;
}

const mib = (n: number): string => (n / MiB).toFixed(0);

export class MemoryWatchdog {
  /** V8's heap_size_limit. */
  readonly heapLimit: number;
  /** What live heap plus external memory may use: the old-generation limit. */
  readonly budget: number;
  readonly actAt: number;
  readonly criticalAt: number;
  /** True while the live heap is over the threshold: new processes are refused. */
  underPressure = false;
  // Weak: a process nothing else can reach any more (parked on a channel nobody holds) is garbage, and the
  // watchdog must not be what keeps it, its VM and everything they hold alive.
  private readonly processes = new Set<WeakRef<LuaProcess>>();
  private readonly refs = new WeakMap<LuaProcess, WeakRef<LuaProcess>>();
  /** Processes started since the last batch end, not yet given a WeakRef (see track). */
  private fresh: LuaProcess[] = [];
  /** Each VM's first id not shared with its processes, by Fengari global state. */
  private readonly vms = new WeakMap<object, { vm: LuaVM; sharedBelow: number }>();
  private readonly listeners = new Set<(report: OomReport) => void>();
  private readonly reasons = new WeakMap<LuaProcess, string>();
  private gc: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private acting = false;
  private lastGcAt = -Infinity;
  /** The last victim, until its memory is back: its main thread (weakly), what it held, when to stop waiting. */
  private victim: { readonly thread: WeakRef<LuaState>; readonly held: number; readonly until: number } | null = null;
  /** Until then, nobody was found holding much: GC and measure less often. */
  private backoffUntil = -Infinity;
  private nextBatchCheck = 0;
  private hookCountdown = HOOK_CHECK_EVERY;
  private bigBytes = 0;

  constructor() {
    this.heapLimit = getHeapStatistics().heap_size_limit;
    this.budget = this.heapLimit - Math.min(48 * MiB, this.heapLimit / 2);
    this.actAt = this.budget * ACT;
    this.criticalAt = this.budget * CRITICAL;
  }

  /** Watches a VM: its hook ticks, its scheduler batches, its large string buffers. */
  attach(vm: LuaVM): void {
    this.vms.set(vm.L.l_G, { vm, sharedBelow: (vm.L.l_G as unknown as { id_counter: number }).id_counter });
    vm.watchdog = this;
    vm.hookTick = (T) => this.tick(vm, T);
    vm.sched.afterBatch = (now) => {
      this.adopt();
      if (now < this.nextBatchCheck) return;
      this.nextBatchCheck = now + BATCH_CHECK_MS;
      this.check();
    };
    wisp_limits.on_big = (L, bytes) => this.onBig(L, bytes);
    if (this.timer === null) {
      this.timer = setInterval(() => {
        this.adopt();
        this.check();
      }, TIMER_MS);
      this.timer.unref();
    }
  }

  /**
   * Watches a new process. Most processes of a busy node live for one resume (a worker that replies and
   * returns), so they wait in a plain list first and get a WeakRef only if still alive at the next batch end or
   * measurement: a spawn costs an array push, and the list holds a process strongly for one batch at most.
   */
  track(proc: LuaProcess): void {
    this.fresh.push(proc);
  }

  /** Gives the processes started since the last call their weak references; those that have ended are dropped. */
  private adopt(): void {
    const fresh = this.fresh;
    if (fresh.length === 0) return;
    this.fresh = [];
    for (const proc of fresh) {
      if (!proc.alive) continue;
      const ref = new WeakRef(proc);
      this.refs.set(proc, ref);
      this.processes.add(ref);
    }
  }

  untrack(proc: LuaProcess): void {
    const ref = this.refs.get(proc);
    if (ref !== undefined) this.processes.delete(ref);
  }

  /** Calls `fn` each time the watchdog is about to fail a process; returns how to stop. */
  onFailure(fn: (report: OomReport) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** The cheap check: one heap statistics read, and work only near the limit. */
  check(): void {
    if (this.acting) return;
    const s = getHeapStatistics();
    const used = s.used_heap_size + s.external_memory;
    if (used < this.actAt) {
      this.underPressure = false;
      return;
    }
    const now = performance.now();
    const every = now < this.backoffUntil ? BACKOFF_GC_EVERY_MS : used < this.criticalAt ? GC_EVERY_MS : CRITICAL_GC_EVERY_MS;
    if (now - this.lastGcAt < every) return;
    this.acting = true;
    try {
      this.relieve();
    } finally {
      this.acting = false;
    }
  }

  private relieve(): void {
    const live = this.collect();
    const effective = live - this.pendingVictimBytes();
    this.underPressure = effective >= this.actAt;
    if (!this.underPressure) return;
    const t0 = performance.now();
    const [victim, held] = this.largest();
    const measureMs = performance.now() - t0;
    if (victim === null || held < this.budget * MIN_VICTIM) {
      this.backoffUntil = performance.now() + NO_VICTIM_BACKOFF_MS;
      return;
    }
    const message =
      `out of memory: this process held about ${mib(held)} MiB when the runtime's heap reached ` +
      `${mib(live)} MiB of ${mib(this.budget)} MiB`;
    this.reasons.set(victim, message);
    const thread = victim.mainThread;
    const until = performance.now() + VICTIM_WAIT_MS;
    this.victim = thread === null ? null : { thread: new WeakRef(thread), held, until };
    const report: OomReport = { process: victim.name, heldBytes: held, liveBytes: live, budgetBytes: this.budget, measureMs, message };
    for (const fn of this.listeners) fn(report); // before the exit, so listeners can still see the process
    victim.terminate(message);
    this.underPressure = effective - held >= this.actAt;
    this.lastGcAt = performance.now(); // no GC before the batch that ran the victim is over: it would see it live
  }

  /** What the last victim held, while its thread is still alive (its memory is not back yet). */
  private pendingVictimBytes(): number {
    const v = this.victim;
    if (v === null) return 0;
    if (v.thread.deref() !== undefined && performance.now() < v.until) return v.held;
    this.victim = null;
    return 0;
  }

  /** A full GC, then the heap in use plus external memory. */
  /** A full collection now (the `system` module's gc.collect). */
  fullGc(): void {
    if (this.gc === null) this.gc = gcFunction();
    this.gc();
  }

  private collect(): number {
    if (this.gc === null) this.gc = gcFunction();
    this.gc();
    let s = getHeapStatistics();
    if (s.external_memory > this.budget / 8) {
      this.gc(); // finishes releasing the buffers the first one freed (V8 sweeps them in the background)
      s = getHeapStatistics();
    }
    this.lastGcAt = performance.now();
    return s.used_heap_size + s.external_memory;
  }

  /** Measures every process; the one holding the most, and how much. */
  private largest(): [LuaProcess | null, number] {
    this.adopt();
    const meter = new MemoryMeter();
    let victim: LuaProcess | null = null;
    let most = 0;
    try {
      for (const ref of this.processes) {
        const proc = ref.deref();
        if (proc === undefined) {
          this.processes.delete(ref);
          continue;
        }
        if (!proc.alive) continue;
        const shared = this.vms.get(proc.vm.L.l_G)?.sharedBelow ?? 0;
        const held = meter.measure(rootsOf(proc), shared);
        if (held > most) [victim, most] = [proc, held];
      }
    } finally {
      meter.finish();
    }
    return [victim, most];
  }

  /** Every preemption-hook tick of `vm`: unwinds a process failed while it ran, checks now and then. */
  private tick(vm: LuaVM, T: LuaState): void {
    const task = vm.sched.current;
    if (task !== null && task.state === 'done') this.unwind(task.owner, T);
    if (--this.hookCountdown > 0) return;
    this.hookCountdown = HOOK_CHECK_EVERY;
    this.check();
    if (task !== null && task.state === 'done') this.unwind(task.owner, T);
  }

  /** Fengari is about to allocate a string buffer of `bytes` (at least wisp_limits.big) on thread L. */
  private onBig(L: LuaState, bytes: number): void {
    const entry = this.vms.get(L.l_G);
    const task = entry?.vm.sched.current ?? null;
    const running = task !== null && L !== entry?.vm.L;
    if (running && task.state === 'done') this.unwind(task.owner, L);
    this.bigBytes += bytes;
    if (this.bigBytes < BIG_CHECK_BYTES) return;
    this.bigBytes = 0;
    this.check();
    if (running && task.state === 'done') this.unwind(task.owner, L);
  }

  /**
   * The running process was failed: its Lua code must not go on. Where it can yield, it yields and is never
   * resumed. Elsewhere (a sort comparator, a gsub callback, an error handler) it gets an error at every
   * instruction (count hook 1 on each of its threads as they run, hooks allowed again even inside this hook
   * so that an xpcall handler this error runs is stopped too): it is out of any pcall in a few instructions.
   */
  private unwind(owner: unknown, T: LuaState): never {
    lua.lua_sethook(T, lua_gethook(T), lua.LUA_MASKCOUNT, 1);
    if (lua.lua_isyieldable(T)) {
      lua.lua_yield(T, 0);
      throw new Error('unreachable: lua_yield returned');
    }
    (T as unknown as { allowhook: number }).allowhook = 1;
    const reason = this.reasons.get(owner as LuaProcess) ?? TERMINATION_REASON;
    lua.lua_pushstring(T, new TextEncoder().encode(reason));
    return lua.lua_error(T);
  }
}

function rootsOf(proc: LuaProcess): MemoryRoot[] {
  const roots: MemoryRoot[] = proc.memoryRoots();
  const link = proc.kernel;
  const mailbox = link === null ? null : link.router.mailboxOf(link.pid);
  if (mailbox !== null) {
    mailbox.forEachPending((m) => roots.push(m));
    for (const backlog of mailbox.backlogs()) roots.push(backlog as unknown as MemoryRoot);
  }
  return roots;
}

/** Node's gc() when started with --expose-gc; otherwise exposed now (V8 allows that flag at run time). */
function gcFunction(): () => void {
  const exposed = (globalThis as { gc?: unknown }).gc;
  if (typeof exposed === 'function') return exposed as () => void;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** The one watchdog of this isolate. */
let isolateWatchdog: MemoryWatchdog | null = null;

/**
 * The watchdog of this JS isolate. The heap limit, V8's collector and Fengari's string-size hook are one per
 * isolate, so every runtime in it shares one watchdog: whoever creates VMs (the runtime, an embedder, a test)
 * takes this one and passes it to `createVM`.
 */
export function watchdogOfIsolate(): MemoryWatchdog {
  return (isolateWatchdog ??= new MemoryWatchdog());
}
