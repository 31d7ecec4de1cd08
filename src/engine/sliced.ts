/**
 * Long host work done for a process in pieces (a decode building a million tables): between pieces, once the
 * task is past its slice, the host function yields to the scheduler and goes on at the task's next turn, so
 * every other process runs meanwhile; what it has built waits on its thread's stack, where the memory watchdog
 * counts it as the process's. Where the task cannot yield (the call came from a metamethod, a sort
 * comparator...), it goes on and the runaway guard watches it, as it watches Lua code there.
 */
import { lua, type LuaState } from './lua';
import type { KFunction } from 'fengari';
import type { LuaVM } from './vm';

export interface SlicedWork {
  /** Does at most about `budget` units of work; true once everything is done. May throw. */
  step(budget: number): boolean;
}

/** Units of work between two looks at the clock. */
const PIECE = 256;

/**
 * Runs `work` for the task running on T, then returns `finish(T)`; a JS exception from a step goes to
 * `failed(T, e)` (which returns the host function's results, or rethrows). Call as `return runSliced(...)`.
 */
export function runSliced(vm: LuaVM, T: LuaState, work: SlicedWork, finish: (T: LuaState) => number, failed: (T: LuaState, e: unknown) => number): number {
  let top = 0;
  const loop = (R: LuaState): number => {
    for (;;) {
      let done: boolean;
      try {
        done = work.step(PIECE);
      } catch (e) {
        return failed(R, e);
      }
      if (done) return finish(R);
      if (!vm.pastSlice()) continue;
      if (canYield(vm, R)) {
        top = lua.lua_gettop(R);
        return vm.sched.reschedule(R, null, resume);
      }
      vm.checkpoint(R);
    }
  };
  const resume: KFunction = (R) => {
    lua.lua_settop(R, top); // whatever the resume brought: the work's stack is as it left it
    return loop(R);
  };
  return loop(T);
}

/** Whether the host function running on T may yield to the scheduler (as the preemption hook decides). */
function canYield(vm: LuaVM, T: LuaState): boolean {
  const task = vm.sched.current;
  if (task === null || !lua.lua_isyieldable(T)) return false;
  return T === task.thread || lua.lua_isyieldable(task.thread);
}
