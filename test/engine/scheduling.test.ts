import { createVM } from '../../src/modules';
import { fixture, runFixture, spawn } from '../helpers/lua';
import { valueToPlain } from '../../src/engine/plain';

describe('scheduler, coroutines and preemption', () => {
  test('buffered producer/consumer with close', async () => {
    const r = (await runFixture('engine/producer_consumer.lua')) as Record<string, unknown>;
    expect(r.received).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(r.after_close).toEqual([true, false]);
    expect(r.log_first).toBe('sent 1');
    expect(r.log_last).toBe('closed');
  });

  test('three coroutines share a counter', async () => {
    // Each spawned child runs first, then they interleave at every sleep(0); all see the same variable.
    expect(await runFixture('engine/shared_counter.lua')).toEqual({ counter: 600, order: ['a', 'a', 'b', 'a', 'b', 'c'] });
  });

  test('blocking inside pcall, xpcall, wrap generators and nested coroutines; plain coroutines unchanged', async () => {
    const r = (await runFixture('engine/blocking_contexts.lua')) as Record<string, unknown>;
    expect(r.pcall).toEqual([true, 'slept in pcall']);
    expect(r.pcall_error).toEqual([false, 'after sleep']);
    expect(r.xpcall).toEqual([true, 42]);
    expect(r.gen).toEqual([10, 20, 30]);
    expect(r.reader).toEqual(['v1', 'v2', 'v3']);
    expect(r.nested).toEqual(['inner yielded', 'inner done', 'dead']);
    expect(r.plain).toEqual([true, 3, true, 42, 'dead']);
    expect(r.plain_error).toEqual([false, 'inner boom']);
  });

  test('coroutine.spawn runs the child first; main returning ends the process and its coroutines', async () => {
    const r = (await runFixture('engine/spawn_order.lua')) as Record<string, unknown>;
    expect(r.log).toEqual(['main start', 'child start', 'main after spawn', 'child after sleep', 'main end']);
    expect(r.kind).toBe('thread');
  });

  test('an error in a spawned coroutine fails its own process only, with entry ids and right lines', async () => {
    const vm = createVM();
    const failing = spawn(vm, fixture('engine/coroutine_error.lua'), 'app:failing');
    const healthy = spawn(vm, 'local time = require("time") return { main = function() time.sleep("50ms") return "fine" end }', 'app:healthy');
    const f = await failing.exit;
    expect(f.error?.message).toBe("app:failing:7: attempt to index a nil value (local 't')");
    expect(f.error?.stack).toMatch(/app:failing:7: in function <app:failing:4>/);
    const h = await healthy.exit;
    expect(h.error).toBeNull();
    expect(valueToPlain(h.value)).toBe('fine');
  });

  test('a busy loop does not delay a ticker by more than a few time slices, and can be terminated', async () => {
    const vm = createVM();
    const busy = spawn(vm, fixture('engine/busy.lua'), 'app:busy');
    const ticker = spawn(vm, fixture('engine/ticker.lua'), 'app:ticker');
    const r = await ticker.exit.finally(() => setTimeout(() => busy.proc.terminate(), 1000));
    expect(r.error).toBeNull();
    const arrivals = valueToPlain(r.value) as number[];
    expect(arrivals).toHaveLength(10);
    // Without preemption no tick would ever arrive: the busy loop never ends by itself. With 2 ms slices a tick
    // is late by a few slices on a quiet machine; the bound is wide because a loaded 2-core machine can stall
    // any process for hundreds of milliseconds, and a flaky test proves nothing.
    const lateness = arrivals.map((t, i) => t - 10 * (i + 1));
    expect(Math.max(...lateness)).toBeLessThan(1000);
    expect(busy.proc.alive).toBe(true);
    busy.proc.terminate();
    const b = await busy.exit;
    expect(b.error?.message).toBe('process terminated');
  });
});
