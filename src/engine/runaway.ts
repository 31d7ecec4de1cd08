/**
 * The runaway guard: time-sliced preemption cannot stop code that runs where a yield is impossible (a
 * string.gsub callback, a table.sort comparator, __tostring reached from tostring, a load reader, an xpcall
 * handler, pattern-match backtracking). Such code may run on past its slice, but once it has used
 * `hardSliceMs` of CPU since it was first seen stuck, its process is killed: the hook raises the kill message
 * at every instruction until the task has unwound (the sandbox's pcall, xpcall and coroutine.resume re-raise
 * it, so it cannot be caught). CPU time, not wall time, so a machine that deschedules Node kills nobody.
 */
import { lua, raise, type LuaState } from './lua';
import type { Hook } from 'fengari';
import type { Scheduler, Task } from './scheduler';

export class RunawayGuard {
  private stuckResume = -1;
  private stuckWall = 0;
  private stuckCpu = 0;

  constructor(
    private readonly sched: Scheduler,
    readonly hardSliceMs: number,
    /** The VM's count hook, reinstalled on a killed thread to fire at every instruction. */
    private readonly hook: Hook,
  ) {}

  /** Raises the kill message if the running task has been killed; otherwise does nothing. */
  raiseIfKilled(T: LuaState): void {
    const task = this.sched.current;
    if (task !== null && task.killed !== null) this.kill(T, task, task.killed);
  }

  /** The running task is past its slice and cannot yield at this point: kill it once it has overrun. */
  stuck(T: LuaState): void {
    const task = this.sched.current;
    if (task === null) return;
    if (task.killed !== null) this.kill(T, task, task.killed);
    const now = performance.now();
    if (this.stuckResume !== this.sched.resumes) {
      this.stuckResume = this.sched.resumes;
      this.stuckWall = now;
      this.stuckCpu = cpuMs();
      return;
    }
    if (now - this.stuckWall < this.hardSliceMs) return;
    const used = cpuMs() - this.stuckCpu;
    if (used < this.hardSliceMs) return;
    this.kill(
      T,
      task,
      `runaway code: ran ${Math.round(used)} ms without yielding where it cannot be preempted ` +
        `(a callback from a library function, a metamethod reached from one, a pattern match, or host work done for it such as a regular expression); ` +
        `the limit is ${this.hardSliceMs} ms`,
    );
  }

  private kill(T: LuaState, task: Task, message: string): never {
    task.killed = message;
    // Every instruction from now on raises again; not on the main thread, whose hook every new thread inherits.
    if (T !== T.l_G.mainthread) lua.lua_sethook(T, this.hook, lua.LUA_MASKCOUNT, 1);
    // Raising from inside the hook skips Fengari's reset of allowhook; an xpcall handler called for this very
    // error would then run with hooks off, out of the guard's reach.
    T.allowhook = 1;
    return raise(T, message);
  }
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
