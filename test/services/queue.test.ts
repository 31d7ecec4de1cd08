/**
 * Queues on the memory driver through the real runtime: Lua publishes, a queue.consumer runs a function.lua
 * per message as a kernel process, and what the handlers saw is read back from a store.memory. Nothing is lost
 * (a handler that raises, returns false or is killed mid-message gets the message again; a consumer stopped
 * with messages in flight and held puts them all back), dead letters move after max_attempts with their
 * headers, and a publish flood or a huge message is refused with a clear error while memory stays bounded.
 */
import type { Runtime } from '../../src/hosts/runtime';
import { ErrorValue } from '../../src/kernel/value';
import { bootProject, definitions, luaEntry, runLua, writeFiles } from '../helpers/service-project';
import { valueToPlain, plainToValue } from '../../src/engine/plain';

const HANDLER = `
local store = require("store")
local queue = require("queue")
local time = require("time")
local function main(body)
  local s = assert(store.get("t:mem"))
  local msg = assert(queue.message())
  local n = (s:get("seen:" .. body.key) or 0) + 1
  s:set("seen:" .. body.key, n)
  s:set("attempts:" .. body.key, msg:header("attempts") or 0)
  if body.mode == "crash" and n == 1 then error("boom") end
  if body.mode == "false" and n == 1 then return false end
  if body.mode == "hang" and n == 1 then s:set("pid:" .. body.key, process.pid()); time.sleep("60s") end
  if body.mode == "always" then error("always fails") end
  if body.mode == "slow" and not s:has("fast") then time.sleep("3s") end
  if body.mode == "manual" then msg:nack(); s:set("done:" .. body.key, n); return true end
  s:set("done:" .. body.key, n)
  return true
end
return { main = main }
`;

const DEAD_HANDLER = `
local store = require("store")
local queue = require("queue")
local function main(body)
  local msg = assert(queue.message())
  assert(store.get("t:mem")):set("dead:" .. body.key, { headers = msg:headers(), body = body })
  return true
end
return { main = main }
`;

const PUBLISH = `
local queue = require("queue")
local function main(queue_id, items)
  local out = {}
  for i, item in ipairs(items) do
    local ok, err = queue.publish(queue_id, item, { correlation_id = "c" .. i })
    out[i] = ok and "ok" or (err:kind() .. ": " .. err:message())
  end
  return out
end
return { main = main }
`;

const FLOOD = `
local queue = require("queue")
local function main()
  local accepted, first_error = 0, nil
  for i = 1, 10000 do
    local ok, err = queue.publish("t:small", { n = i })
    if ok then accepted = accepted + 1 elseif not first_error then first_error = { err:kind(), err:retryable(), err:message() } end
  end
  local _, huge = queue.publish("t:small", string.rep("x", 100000))
  local _, reserved = queue.publish("t:small", "x", { x_original_queue = "forged" })
  local _, fn = queue.publish("t:small", print)
  local info = assert(queue.info("t:small"))
  return { accepted = accepted, first_error = first_error, huge = { huge:kind(), huge:message() }, reserved = reserved:kind(), fn = fn:message(), waiting = info.message_count }
end
return { main = main }
`;

const fn = (name: string, file: string): string =>
  `  - name: ${name}\n    kind: function.lua\n    source: file://${file}\n    method: main\n    modules: [store, queue, time]\n`;

const ENTRIES = `
  - name: mem
    kind: store.memory
    lifecycle: { auto_start: true }
  - name: drv
    kind: queue.driver.memory
    lifecycle: { auto_start: true }
  - name: jobs
    kind: queue.queue
    driver: t:drv
    dead_letter: { queue: t:dead, max_attempts: 2 }
  - name: dead
    kind: queue.queue
    driver: t:drv
  - name: small
    kind: queue.queue
    driver: t:drv
    driver_options: { memory: { max_length: 5, max_bytes: 50000 } }
${fn('handler', 'handler.lua')}${fn('dead_handler', 'dead_handler.lua')}
  - name: consumer
    kind: queue.consumer
    queue: t:jobs
    func: t:handler
    concurrency: 2
    prefetch: 2
    lifecycle: { auto_start: true, stop_timeout: 1s }
  - name: dead_consumer
    kind: queue.consumer
    queue: t:dead
    func: t:dead_handler
    lifecycle: { auto_start: true }
${luaEntry('publish', 'publish.lua', ['queue'])}${luaEntry('flood', 'flood.lua', ['queue'])}`;

/** The probe's first value that is neither null nor false (checked every 20 ms, for at most 15 s). */
async function until<T>(what: string, probe: () => T | null | false): Promise<T> {
  const end = Date.now() + 15_000;
  for (;;) {
    const v = probe();
    if (v !== null && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('queue on the memory driver', () => {
  let rt: Runtime;
  const stored = (key: string): unknown => {
    const s = rt.native.get('t:mem', 'store');
    if (s instanceof ErrorValue) throw new Error(s.message);
    try {
      return valueToPlain(s.get(key) as never);
    } catch {
      return null;
    }
  };
  const publish = (items: unknown[], queue = 't:jobs'): Promise<unknown> => runLua(rt, 'publish', [queue, plainToValue(items)]);

  beforeAll(async () => {
    rt = await bootProject(
      writeFiles({
        'src/_index.yaml': definitions(ENTRIES),
        'src/handler.lua': HANDLER,
        'src/dead_handler.lua': DEAD_HANDLER,
        'src/publish.lua': PUBLISH,
        'src/flood.lua': FLOOD,
      }),
    );
  });
  afterAll(() => rt.shutdown());

  test('a handler that raises, returns false, or nacks itself gets its message again, attempts counted', async () => {
    expect(await publish([{ key: 'crash', mode: 'crash' }, { key: 'false', mode: 'false' }, { key: 'plain', mode: 'plain' }, { key: 'manual', mode: 'manual' }])).toEqual(['ok', 'ok', 'ok', 'ok']);
    await until('all processed', () => stored('done:crash') !== null && stored('done:false') !== null && stored('done:plain') !== null);
    expect([stored('seen:crash'), stored('attempts:crash')]).toEqual([2, 1]);
    expect([stored('seen:false'), stored('attempts:false')]).toEqual([2, 1]);
    expect([stored('seen:plain'), stored('attempts:plain')]).toEqual([1, 0]);
    // its own nack wins over the `return true` after it, every time: dead-lettered after two
    await until('manual dead-lettered', () => stored('dead:manual'));
    expect(stored('seen:manual')).toBe(2);
  });

  test('a handler killed mid-message: the message comes again', async () => {
    await publish([{ key: 'hang', mode: 'hang' }]);
    const pid = await until('handler running', () => stored('pid:hang') as string | null);
    expect(rt.node.terminate('', pid)).toBeNull();
    await until('redelivered and done', () => stored('done:hang'));
    expect(stored('seen:hang')).toBe(2);
  });

  test('after max_attempts nacks a message moves to the dead-letter queue with its headers', async () => {
    await publish([{ key: 'poison', mode: 'always' }]);
    const dead = (await until('dead-lettered', () => stored('dead:poison'))) as { headers: Record<string, unknown>; body: Record<string, unknown> };
    expect(stored('seen:poison')).toBe(2);
    expect(dead.body).toEqual({ key: 'poison', mode: 'always' });
    expect(dead.headers).toMatchObject({ x_original_queue: 't:jobs', attempts: 2, correlation_id: 'c1', x_dead_letter_reason: 'nacked 2 times' });
    expect(typeof dead.headers.x_dead_letter_time).toBe('number');
  });

  test('a consumer stopped with messages in flight and held puts every one back; restarted, it processes them all', async () => {
    const keys = ['s1', 's2', 's3', 's4', 's5'];
    await publish(keys.map((key) => ({ key, mode: 'slow' })));
    await until('two running', () => stored('seen:s1') !== null && stored('seen:s2') !== null);
    const queue = rt.native.get('t:jobs', 'queue');
    if (queue instanceof ErrorValue) throw new Error(queue.message);
    await rt.native.stop('t:consumer');
    expect(rt.native.services.get('t:consumer')?.state).toBe('Stopped');
    expect(queue.info()).toMatchObject({ message_count: 5, in_flight: 0, consumer_count: 0 });
    const s = rt.native.get('t:mem', 'store');
    if (s instanceof ErrorValue) throw new Error(s.message);
    s.set('fast', true, 0);
    const entry = rt.registry.get('t:consumer');
    expect(await rt.native.start(entry as never)).toBe(true);
    await until('all done', () => keys.every((k) => stored(`done:${k}`) !== null));
    expect(queue.info()).toMatchObject({ message_count: 0, in_flight: 0, consumer_count: 1 });
  });

  test('a publish flood is refused once the queue is full, with a clear error; huge and forged messages too', async () => {
    expect(await runLua(rt, 'flood')).toEqual({
      accepted: 5,
      first_error: ['Unavailable', true, 'queue t:small is full (max_length 5)'],
      huge: ['Invalid', 'message too large for queue t:small (more than 50000 bytes)'],
      reserved: 'Invalid',
      fn: 'a function cannot be a message',
      waiting: 5,
    });
  });

  test('a driver restart: publishing meanwhile is Unavailable, then the consumer attaches again by itself', async () => {
    await rt.native.stop('t:drv');
    expect(await publish([{ key: 'during' }])).toEqual([expect.stringMatching(/^Unavailable: queue t:jobs: driver t:drv: resource t:drv is not running/)]);
    expect(await rt.native.start(rt.registry.get('t:drv') as never)).toBe(true);
    expect(await publish([{ key: 'after', mode: 'plain' }])).toEqual(['ok']);
    await until('processed after the restart', () => stored('done:after'));
  });

  test('publishing to what is not a queue', async () => {
    const r = (await publish([{ key: 'x' }], 't:nothing')) as string[];
    expect(r[0]).toMatch(/^Internal: resource not found/);
  });
});
