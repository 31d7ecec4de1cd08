/**
 * bench/floor: the kernel benchmarks' scripts, unmodified, on the minimal Lua actor runtime, on our Fengari.
 * The echo client errors on any reply but HELLO WORLD; a workload errors if its process does not end with the
 * count it was given.
 */
import * as fengari from 'fengari';
import { readFileSync } from 'fs';
import { join } from 'path';
import { floorState, ROOT, SOURCES } from '../../bench/floor/fengari';

describe('the floor runtime runs the benchmark scripts', () => {
  const floor = floorState(fengari);

  test('the tutorial relay and worker answer the Lua client: 100 HELLO WORLD round trips, twice', () => {
    expect(floor.call('echo', 100)).toMatchObject({ round_trips: 100 });
    expect(floor.call('echo', 100)).toMatchObject({ round_trips: 100 }); // the same relay, still serving
  });

  test('a worker that does not upper-case fails the echo', () => {
    const worker = readFileSync(join(ROOT, SOURCES.worker), 'utf8').replace('string.upper(data)', 'data');
    expect(() => floorState(fengari, { worker }).call('echo', 1)).toThrow(/bad reply/);
  });

  test('a worker that still sleeps is refused (the echo would time a parked worker)', () => {
    const worker = 'local time = require("time") return { main = function() end }';
    expect(() => floorState(fengari, { worker })).toThrow(/no time.sleep\("100ms"\) to remove/);
  });

  test('spawner: 500 monitored children, each EXIT received', () => {
    expect(floor.call('spawn_exit', 500)).toMatchObject({ exits: 500 });
  });

  test('ring: 1000 processes pass the token 5000 hops, then ring-done gets one message', () => {
    // the token sent in, 5000 forwards, the done message
    expect(floor.call('ring', 1000, 5000)).toEqual({ us: expect.any(Number), sends: 5002, processes: 1000 });
    expect(floor.call('ring', 1000, 3000)).toMatchObject({ sends: 3002 });
  });

  test('the unit: time.sleep(0) round trips', () => {
    expect(floor.call('yield', 1000).us).toBeGreaterThan(0);
  });
});
