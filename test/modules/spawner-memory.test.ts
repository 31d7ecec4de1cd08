/**
 * What a process keeps in a spawn or call builder (`process.Spawner`, `funcs.Executor`) is its memory: the
 * memory meter counts the context and option values and the queued messages' payloads.
 */
import { createVM } from '../../src/modules';
import { MemoryMeter } from '../../src/engine/memory';
import { spawn } from '../helpers/lua';

const MiB = 2 ** 20;

/** Bytes the meter finds in a process that keeps what `build` returns (`big` is a 1 MiB string) and waits. */
async function heldBy(build: string): Promise<number> {
  const vm = createVM();
  const source = `local time = require("time")
local funcs = require("funcs")
return { main = function()
  local big = "x" for _ = 1, 20 do big = big .. big end
  kept = ${build}
  big = nil
  time.sleep("1h")
end }`;
  const { proc } = spawn(vm, source, 'test:main', [], ['time', 'funcs']);
  while (proc.activity !== 'waiting') await new Promise((resolve) => setTimeout(resolve, 10)); // in time.sleep
  expect(proc.alive).toBe(true);
  const meter = new MemoryMeter();
  try {
    return meter.measure(proc.memoryRoots(), 0);
  } finally {
    meter.finish();
    proc.terminate();
  }
}

describe('builders hold memory the meter counts', () => {
  test("a spawner's messages, context and options; an executor's context", async () => {
    const spawner = await heldBy('process.with_options({})');
    const executor = await heldBy('funcs.new()');
    expect(Math.max(spawner, executor)).toBeLessThan(MiB);
    expect(await heldBy('process.with_options({}):with_message("t", big):with_message("u", big, big)') - spawner).toBeGreaterThanOrEqual(3 * MiB);
    expect(await heldBy('process.with_context({ k = big }):with_options({ o = big })') - spawner).toBeGreaterThanOrEqual(2 * MiB);
    expect(await heldBy('funcs.new():with_context({ k = big })') - executor).toBeGreaterThanOrEqual(MiB);
  });
});
