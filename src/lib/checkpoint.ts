/**
 * Long host work (a regular-expression match, an encode of a large table) reports its progress here, and
 * whoever started it decides what a checkpoint does: for a process's host call, the VM's `checkpoint(T)`,
 * which lets the runaway guard stop the process once it has used its hard slice (src/engine/spec.md).
 */
let current: (() => void) | null = null;

/** Runs `fn` with `cp` as the checkpoint of the work it does (cp may throw to stop it). Nests. */
export function checkpointed<R>(cp: () => void, fn: () => R): R {
  const saved = current;
  current = cp;
  try {
    return fn();
  } finally {
    current = saved;
  }
}

/**
 * Sets the checkpoint and returns the one it replaces, for a hot caller that restores it itself in a `finally`
 * (`checkpointed` without its two closures per call).
 */
export function swapCheckpoint(cp: (() => void) | null): (() => void) | null {
  const saved = current;
  current = cp;
  return saved;
}

/** The checkpoint of the work running now, or null when nobody set one. */
export function currentCheckpoint(): (() => void) | null {
  return current;
}

/** Calls the current checkpoint, if any. */
export function checkpoint(): void {
  if (current !== null) current();
}

let ticks = 0;

/** One unit of work (a value encoded, a record pushed): every 1024th calls the current checkpoint. */
export function tick(): void {
  if (current !== null && (++ticks & 1023) === 0) current();
}
