/**
 * The memory watchdog watches every process without keeping any alive (src/engine/watchdog.ts): a process
 * parked where nothing can reach it is garbage, and so is one that ended in its first resume.
 */
import { setFlagsFromString } from 'v8';
import { runInNewContext } from 'vm';
import { createVM } from '../../src/modules';
import { spawn } from '../helpers/lua';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const PARKED = 'return { main = function() channel.new():receive() end }';
const DONE = 'return { main = function() return 1 end }';

const vm = createVM();

/** Starts `n` processes of `source`, lets them run, drops every reference to them; WeakRefs to them. */
async function abandoned(source: string, n: number): Promise<WeakRef<object>[]> {
  const refs: WeakRef<object>[] = [];
  for (let i = 0; i < n; i++) refs.push(new WeakRef(spawn(vm, source).proc));
  await new Promise((r) => setTimeout(r, 20)); // the scheduler runs them (they park or end)
  return refs;
}

/** How many of `refs` are still alive after a few full GCs. */
async function survivors(refs: WeakRef<object>[]): Promise<number> {
  const alive = (): number => refs.filter((r) => r.deref() !== undefined).length;
  for (let i = 0; i < 20 && alive() > 0; i++) {
    await new Promise((r) => setTimeout(r, 10)); // a WeakRef target lives at least until the job ends
    gc();
  }
  return alive();
}

describe('processes nothing can reach are garbage', () => {
  test('parked processes', async () => {
    expect(await survivors(await abandoned(PARKED, 50))).toBe(0);
  });

  test('processes that ended in their first resume', async () => {
    expect(await survivors(await abandoned(DONE, 50))).toBe(0);
  });

  test('a process that sleeps is kept, and finishes', async () => {
    // Only its timer holds it (no reference from here): it must live on, not be lost as garbage.
    const start = (): { ref: WeakRef<object>; exit: Promise<{ value: unknown }> } => {
      const run = spawn(vm, 'local time = require("time") return { main = function() for i = 1, 20 do time.sleep("5ms") end return "ran" end }');
      return { ref: new WeakRef(run.proc), exit: run.exit };
    };
    const { ref, exit } = start();
    await new Promise((r) => setTimeout(r, 20));
    gc();
    expect(ref.deref()).toBeDefined();
    expect((await exit).value).toBe('ran');
  });
});
