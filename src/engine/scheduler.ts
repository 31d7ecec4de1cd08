/**
 * The run queue of one Lua state. Every Lua thread the runtime drives (a process's main function and each
 * `coroutine.spawn`ed function) is a Task. Runnable tasks are resumed in batches; between batches Node's event
 * loop gets its turn (timers, I/O). Nothing is ever resumed from inside another task's host call: waking a task
 * only queues it.
 */
import { lua, type LuaState } from './lua';
import type { KFunction } from 'fengari';
import { pushSlot, type Slot } from './slots';
import { Fifo } from '../util/fifo';

/**
 * Values for a resume: slots, or a function that pushes them on the task's own thread and says how many
 * (it gets the task, so a shared function can read `task.payload` instead of a closure per wake-up).
 */
export type ResumeValues = Slot[] | ((T: LuaState, task: Task) => number);

export type TaskState = 'queued' | 'running' | 'blocked' | 'done';

/** Who a task belongs to: told when it returns (results on its stack) or fails (error value on its stack). */
export interface TaskOwner {
  taskReturned(task: Task): void;
  taskFailed(task: Task): void;
  /** A JS exception escaped the runtime's own code while driving this task: fail its owner, not the runtime. */
  taskCrashed(task: Task, error: unknown): void;
  /** One resume of `task` took `ms` of the thread (the live view's run time and step count). */
  taskRan(ms: number): void;
}

export class Task {
  state: TaskState = 'queued';
  /** Values already on the thread's stack for its first resume (function arguments). */
  startArgs = 0;
  resumeValues: ResumeValues | null = null;
  /** Whatever the waker wants the resume-values function to see. */
  payload: unknown = null;
  /** Why the runaway guard killed it; once set, every hook raises this until the task has unwound. */
  killed: string | null = null;

  constructor(
    readonly thread: LuaState,
    readonly owner: TaskOwner,
  ) {}
}

export interface SchedulerOptions {
  /** How long one batch may run before the event loop gets its turn. */
  batchMs: number;
}

/**
 * The schedulers of this thread with a batch queued. The transport between threads polls for a reply before
 * its thread sleeps, and runs these straight from the poll instead of a turn of the event loop later
 * (src/cluster/thread-link.ts).
 */
const due = new Set<Scheduler>();

/** Whether a scheduler of this thread has a batch queued. */
export const schedulersDue = (): boolean => due.size > 0;

/** Runs now the batch each due scheduler of this thread would run at its next turn. */
export function runDueSchedulers(): void {
  // A copy: a scheduler whose batch ran out of time queues itself again, for the next turn.
  for (const s of [...due]) s.runNow();
}

export class Scheduler {
  /** The task whose thread is running right now (host functions find their process through it). */
  current: Task | null = null;
  /** When the current task was resumed (performance.now()), for time-sliced preemption. */
  resumedAt = 0;
  /** Counts resumes, so per-resume state elsewhere (the runaway guard) can tell one resume from the next. */
  resumes = 0;
  private readonly queue = new Fifo<Task>();
  private scheduled: NodeJS.Immediate | null = null;
  private readonly drainBound = (): void => this.drain();
  /** Called after each batch with the time it ended (the memory watchdog's cheap check). */
  afterBatch: ((now: number) => void) | null = null;

  constructor(
    private readonly L: LuaState,
    /** Pushed by `block` so the yield-through patch recognises host requests (Lua code cannot forge it). */
    private readonly requestTag: object,
    private readonly options: SchedulerOptions = { batchMs: 4 },
  ) {}

  get queued(): number {
    return this.queue.length;
  }

  /** Queues a task; `values` become the results of whatever it yielded from. */
  enqueue(task: Task, values: ResumeValues | null = null): void {
    task.state = 'queued';
    task.resumeValues = values;
    this.queue.push(task);
    if (this.scheduled === null) this.schedule();
  }

  private schedule(): void {
    this.scheduled = setImmediate(this.drainBound);
    due.add(this);
  }

  /** Runs the queued batch now rather than at the next turn (runDueSchedulers). */
  runNow(): void {
    if (this.scheduled === null) return;
    clearImmediate(this.scheduled);
    this.drain();
  }

  /** Resumes a blocked task with `values`. Waking a task that is not blocked is a no-op (returns false). */
  wake(task: Task, values: ResumeValues | null = null): boolean {
    if (task.state !== 'blocked') return false;
    this.enqueue(task, values);
    return true;
  }

  /**
   * Suspends the running task until `wake`. Call as `return sched.block(T)` from a host function (the yield
   * usually returns instead of throwing: nothing may run between it and the host function's return); the values
   * given to `wake` become that host function's results, or, with a continuation `k`, k sees them on top of
   * the stack and decides the results (or raises). Works from inside user coroutines and pcall.
   */
  block(T: LuaState, k: KFunction | null = null): number {
    const task = this.current;
    if (task === null) throw new Error('block() outside a running task');
    task.state = 'blocked';
    return this.yieldToScheduler(T, task, k);
  }

  /**
   * Yields the running task to the back of the queue, resuming it later with `values` (with a continuation
   * `k`, k goes on from there, as with `block`).
   */
  reschedule(T: LuaState, values: ResumeValues | null = null, k: KFunction | null = null): number {
    const task = this.current;
    if (task === null) throw new Error('reschedule() outside a running task');
    this.enqueue(task, values);
    return this.yieldToScheduler(T, task, k);
  }

  /**
   * Inside a user coroutine the yield carries the request tag, so the prelude's resume passes it up to the
   * scheduler; on the task's own thread it reaches the scheduler directly, which reads nothing from it.
   */
  private yieldToScheduler(T: LuaState, task: Task, k: KFunction | null): number {
    if (T === task.thread) return lua.wisp_yieldk(T, 0, null, k);
    lua.lua_pushlightuserdata(T, this.requestTag);
    return lua.wisp_yieldk(T, 1, null, k);
  }

  /**
   * Runs `fn` (which calls into Lua on the main thread) as if `task` were running, so the hook and the runaway
   * guard watch over it; for user code the runtime runs on a task's behalf after it ended (its error's
   * __tostring).
   */
  runAs<T>(task: Task, fn: () => T): T {
    const saved = { current: this.current, resumedAt: this.resumedAt, state: task.state };
    this.current = task;
    this.resumedAt = performance.now();
    this.resumes++;
    task.state = 'running';
    try {
      return fn();
    } finally {
      this.current = saved.current;
      this.resumedAt = saved.resumedAt;
      task.state = saved.state;
    }
  }

  /** Drops a task: it will never run again (its process ended). */
  cancel(task: Task): void {
    task.state = 'done';
    task.resumeValues = null;
  }

  private drain(): void {
    this.scheduled = null;
    due.delete(this);
    let now = performance.now();
    const deadline = now + this.options.batchMs;
    for (let task = this.queue.shift(); task !== undefined; task = this.queue.shift()) {
      if (task.state !== 'queued') continue;
      this.resumedAt = now;
      const began = now;
      try {
        this.step(task);
      } catch (e) {
        this.current = null;
        task.state = 'done';
        task.owner.taskCrashed(task, e);
      }
      now = performance.now();
      task.owner.taskRan(now - began);
      if (now > deadline) break;
    }
    if (this.queue.length > 0 && this.scheduled === null) this.schedule();
    if (this.afterBatch !== null) this.afterBatch(now);
  }

  private step(task: Task): void {
    const T = task.thread;
    let nargs = task.startArgs;
    task.startArgs = 0;
    const values = task.resumeValues;
    if (values !== null) {
      task.resumeValues = null;
      if (typeof values === 'function') {
        nargs = values(T, task);
      } else {
        lua.lua_checkstack(T, values.length);
        for (const v of values) pushSlot(T, v);
        nargs = values.length;
      }
    }
    task.state = 'running';
    this.current = task;
    this.resumes++;
    const status = lua.lua_resume(T, this.L, nargs);
    this.current = null;
    if (status === lua.LUA_YIELD) {
      lua.lua_settop(T, 0);
      // Still 'running': a bare coroutine.yield or a preemption; either way it goes to the back of the queue.
      if (task.state === 'running') this.enqueue(task);
      return;
    }
    if ((task.state as TaskState) === 'done') return; // its process ended while it ran (terminate from inside)
    task.state = 'done';
    if (status === lua.LUA_OK) task.owner.taskReturned(task);
    else task.owner.taskFailed(task);
  }
}
