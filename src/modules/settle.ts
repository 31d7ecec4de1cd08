/**
 * A host function whose answer may need async JS work (a socket read, an HTTP exchange): it answers at once
 * when the work is done already, else blocks only the calling task until the Promise settles. A process that
 * ends meanwhile is never woken; `orphan` then releases what the work produced.
 */
import { raise, type LuaState } from '../engine/lua';
import type { LuaVM } from '../engine/vm';
import type { Maybe } from '../lib/byte-stream';

/** Pushes the Lua results for a value (or an error) and says how many. */
export type Answer<V> = (T: LuaState, value: V) => number;

export function settle<V>(vm: LuaVM, T: LuaState, work: () => Maybe<V>, onValue: Answer<V>, onError: Answer<unknown>, orphan?: (value: V) => void): number {
  let result: Maybe<V>;
  try {
    result = work();
  } catch (e) {
    return onError(T, e);
  }
  if (!(result instanceof Promise)) return onValue(T, result);
  const sched = vm.sched;
  const task = sched.current ?? raise(T, 'blocking call outside a process');
  result.then(
    (value) => {
      if (!sched.wake(task, (R) => onValue(R, value))) orphan?.(value);
    },
    (e: unknown) => void sched.wake(task, (R) => onError(R, e)),
  );
  return sched.block(T);
}
