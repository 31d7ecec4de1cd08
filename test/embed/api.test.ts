/**
 * The embedding API (src/index.ts) against real Lua processes: entries given in code and a project directory,
 * JS mailboxes as kernel processes, function calls, TypeScript modules (sync, async, userdata, errors), logs
 * and the event bus.
 */
import { existsSync } from 'fs';
import { createRuntime, defineModule, defineObjectType, HostObject, LuaError, type WispRuntime, type LogRecord } from '../../src';
import { writeFiles } from '../helpers/service-project';

const ECHO = `
local function main()
  process.registry.register("echo")
  local inbox = process.inbox()
  while true do
    local msg = inbox:receive()
    local data = msg:payload():data()
    if data == "stop" then return "stopped" end
    process.send(msg:from(), "echoed", { got = data, topic = msg:topic() })
  end
end
return { main = main }`;

function app(entries: Record<string, unknown>[]): WispRuntime {
  return createRuntime(
    [{ namespace: 'app', entries: [{ name: 'processes', kind: 'process.host', lifecycle: { auto_start: true } }, ...(entries as { name: string; kind: string }[])] }],
    { logsWithoutListener: 'silent' },
  );
}

const running: WispRuntime[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.shutdown();
});

async function booted(r: WispRuntime): Promise<WispRuntime> {
  running.push(r);
  await r.boot();
  return r;
}

describe('a runtime from entries given in code', () => {
  test('a JS mailbox and a Lua process exchange messages, by name and by PID', async () => {
    const r = await booted(app([{ name: 'echo', kind: 'process.lua', source: ECHO, method: 'main' }]));
    const echo = r.spawn('app:echo');
    const box = r.mailbox('js-client');
    // The echo registers its name on its first run: wait for it through the public lookup.
    while (r.lookup('echo') === null) await new Promise((res) => setImmediate(res));
    expect(r.lookup('echo')).toBe(echo);
    box.send('echo', 'hello', { n: 1, list: [1, 2, 3] });
    const reply = await box.receive();
    expect(reply).toMatchObject({ from: echo, topic: 'echoed', data: { got: { n: 1, list: [1, 2, 3] }, topic: 'hello' } });
    box.send(echo, 'again', 'text');
    expect((await box.receive()).data).toEqual({ got: 'text', topic: 'again' });
    expect(box.pid).toMatch(/^\{js\|0x[0-9a-f]+\}$/);
    expect(r.lookup('js-client')).toBe(box.pid);
  });

  test('data crosses as plain values: bytes stay bytes, holes are nils, errors are LuaErrors', async () => {
    const r = await booted(app([{ name: 'echo', kind: 'process.lua', source: ECHO, method: 'main' }]));
    r.spawn('app:echo');
    const box = r.mailbox();
    while (r.lookup('echo') === null) await new Promise((res) => setImmediate(res));
    box.send('echo', 'data', {
      bytes: new Uint8Array([0xff, 0x00, 0x41]),
      text: 'héllo',
      float: 1.5,
      whole: 4,
      holes: [1, null, 3],
      map: new Map<unknown, unknown>([[1, 'one'], [2, 'two']]),
      nested: { a: { b: true }, skipped: undefined },
      when: new Date(0),
      error: new LuaError('bad thing', 'Invalid'),
    });
    const got = (await box.receive()).data as { got: Record<string, unknown> };
    expect(got.got).toEqual({
      bytes: new Uint8Array([0xff, 0x00, 0x41]),
      text: 'héllo',
      float: 1.5,
      whole: 4,
      holes: { 1: 1, 3: 3 },
      map: ['one', 'two'],
      nested: { a: { b: true } },
      when: '1970-01-01T00:00:00.000Z',
      error: expect.objectContaining({ message: 'bad thing', kind: 'Invalid' }),
    });
    expect(got.got.error).toBeInstanceOf(LuaError);
  });

  test('a Lua process sends to a mailbox by its registered name; for await reads until close', async () => {
    const r = await booted(app([{
      name: 'pinger', kind: 'process.lua', method: 'main', source: `
        return { main = function(n)
          for i = 1, n do assert(process.send("inbox", "ping", i)) end
          return n
        end }`,
    }]));
    const box = r.mailbox('inbox');
    const pid = r.spawn('app:pinger', { args: [3], monitor: box });
    const got: unknown[] = [];
    for await (const msg of box) {
      got.push(msg.data);
      if (got.length === 3) break;
    }
    expect(got).toEqual([1, 2, 3]);
    expect(await box.nextEvent()).toMatchObject({ kind: 'pid.exit', from: pid, result: 3 });
    box.close();
    expect(box.alive).toBe(false);
    expect(r.lookup('inbox')).toBeNull();
    await expect(box.receive()).rejects.toThrow(/closed/);
  });

  test('a mailbox JavaScript does not read fills up: past the limit, Lua\'s sends fail (nothing grows unbounded)', async () => {
    const r = createRuntime(
      [{ namespace: 'app', entries: [
        { name: 'processes', kind: 'process.host', lifecycle: { auto_start: true } },
        { name: 'flood', kind: 'process.lua', method: 'main', source: `return { main = function()
          local ok, failed, last = 0, 0, nil
          for i = 1, 25 do
            local sent, err = process.send("sink", "spam", i)
            if sent then ok = ok + 1 else failed = failed + 1; last = tostring(err) end
          end
          return { ok = ok, failed = failed, last = last }
        end }` },
      ] }],
      { logsWithoutListener: 'silent', mailboxLimit: 10 },
    );
    await booted(r);
    const sink = r.mailbox('sink');
    expect(await r.wait(r.spawn('app:flood'))).toEqual({ ok: true, value: { ok: 10, failed: 15, last: expect.stringMatching(/mailbox full/) } });
    expect((await sink.receive()).data).toBe(1);
  });

  test('wait() gives a process outcome; a failing process gives its error', async () => {
    const r = await booted(app([
      { name: 'ok', kind: 'process.lua', method: 'main', source: 'return { main = function(a, b) return a + b end }' },
      { name: 'bad', kind: 'process.lua', method: 'main', source: 'return { main = function() error("boom") end }' },
    ]));
    expect(await r.wait(r.spawn('app:ok', { args: [2, 3] }))).toEqual({ ok: true, value: 5 });
    const failed = await r.wait(r.spawn('app:bad'));
    expect(failed.ok).toBe(false);
    if (!failed.ok) expect(failed.error.message).toMatch(/boom/);
    expect(await r.wait('{app:processes|0xfffff}')).toMatchObject({ ok: false });
  });

  test('call() runs a function.lua and resolves with its result, or rejects with its error', async () => {
    const r = await booted(app([
      { name: 'sum', kind: 'function.lua', method: 'run', source: 'return { run = function(t) local s = 0 for _, v in ipairs(t) do s = s + v end return { sum = s } end }' },
      { name: 'fails', kind: 'function.lua', method: 'run', source: 'local errors = require("errors") return { run = function() return nil, errors.new({ message = "no way", kind = errors.INVALID }) end }', modules: ['errors'] },
    ]));
    expect(await r.call('app:sum', [1, 2, 3.5])).toEqual({ sum: 6.5 });
    await expect(r.call('app:fails')).rejects.toMatchObject({ message: 'no way', kind: 'Invalid' });
    await expect(r.call('app:missing')).rejects.toBeInstanceOf(LuaError);
  });

  test('a mailbox gets CANCEL, and LINK_DOWN from a linked process that fails; cyclic data is refused', async () => {
    const r = await booted(app([{ name: 'fail', kind: 'process.lua', method: 'main', source: 'return { main = function() coroutine.yield() error("linked failure") end }' }]));
    const box = r.mailbox();
    r.cancel(box.pid, 'please stop');
    expect(await box.nextEvent()).toMatchObject({ kind: 'pid.cancel', from: '', reason: 'please stop' });
    const pid = r.spawn('app:fail');
    box.link(pid);
    expect(await box.nextEvent()).toMatchObject({ kind: 'pid.link.down', from: pid, error: expect.objectContaining({ message: expect.stringMatching(/linked failure/) }) });
    expect(box.alive).toBe(true);
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    expect(() => box.send(box.pid, 't', cyclic)).toThrow(/contains itself/);
  });

  test('a bad definition is a one-line error naming the entry', () => {
    expect(() => app([{ name: 'x', kind: 'process.lua', method: 'main' }])).toThrow(/app:x/);
    expect(() => app([{ name: 'x', kind: 'process.lua', method: 'main' }])).not.toThrow(/\n/);
  });

  test('the temporary project is removed at shutdown; boot twice is one boot, after shutdown none', async () => {
    const r = app([{ name: 'svc', kind: 'process.service', process: 'app:idle', host: 'app:processes', lifecycle: { auto_start: true } },
      { name: 'idle', kind: 'process.lua', method: 'main', source: 'return { main = function() process.registry.register("idle") process.events():receive() end }' }]);
    const first = r.boot();
    expect(r.boot()).toBe(first);
    await first;
    while (r.lookup('idle') === null) await new Promise((res) => setImmediate(res));
    expect(existsSync(r.root)).toBe(true);
    await r.shutdown();
    expect(existsSync(r.root)).toBe(false);
    expect(r.lookup('idle')).toBeNull();
    await expect(r.boot()).rejects.toThrow(/shut down/);
    expect(() => r.mailbox()).toThrow(/shut down/);
  });

  test('send to nobody throws a LuaError; spawn of an unknown entry too', async () => {
    const r = await booted(app([]));
    expect(() => r.send('nobody', 't', 1)).toThrow(LuaError);
    expect(() => r.spawn('app:none')).toThrow(/app:none not found/);
    expect(() => r.mailbox().send('nobody', 't')).toThrow(/could not resolve/);
  });
});

describe('modules written in TypeScript', () => {
  interface Counter {
    count: number;
  }
  const counterType = defineObjectType<Counter>('demo.Counter', {
    add: (c, n: number) => (c.count += n),
    get: (c) => c.count,
  });
  const demo = defineModule({
    name: 'demo',
    functions: {
      greet: (name: string) => `hello, ${name}`,
      later: (ms: number, value: string) => new Promise<string>((res) => setTimeout(() => res(value), ms)),
      refuse: () => {
        throw new LuaError('not allowed', 'PermissionDenied');
      },
      reject: async () => {
        throw new Error('async failure');
      },
      counter: (start: number) => new HostObject(counterType, { count: start }),
      peek: (c: Counter) => (typeof c === 'object' && c !== null && 'count' in c ? c.count : 'not a counter'),
    },
  });

  function withDemo(source: string): WispRuntime {
    return createRuntime(
      [{ namespace: 'app', entries: [{ name: 'processes', kind: 'process.host', lifecycle: { auto_start: true } }, { name: 'main', kind: 'process.lua', method: 'main', modules: ['demo', 'time'], source }] }],
      { logsWithoutListener: 'silent', modules: [demo] },
    );
  }

  test('functions, async answers that block only the caller, userdata with methods, errors as nil, err', async () => {
    const r = await booted(withDemo(`
      local demo = require("demo")
      return { main = function()
        local out = {}
        out.greet = demo.greet("lua")
        out.later = demo.later(30, "late")
        local c = demo.counter(10)
        c:add(5)
        out.count = c:get()
        out.peek = demo.peek(c)
        out.name = tostring(c)
        local v, err = demo.refuse()
        out.refused = { v == nil, tostring(err), err:kind() }
        local v2, err2 = demo.reject()
        out.rejected = tostring(err2)
        local ok, e = pcall(c.add, "nope", 1)
        out.badself = tostring(e)
        return out
      end }`));
    const outcome = await r.wait(r.spawn('app:main'));
    expect(outcome).toEqual({
      ok: true,
      value: {
        greet: 'hello, lua',
        later: 'late',
        count: 15,
        peek: 15,
        name: 'demo.Counter',
        refused: [true, 'not allowed', 'PermissionDenied'],
        rejected: 'async failure',
        badself: expect.stringMatching(/demo.Counter expected/),
      },
    });
  });

  test('an async answer does not stall other processes of the same host', async () => {
    const r = await booted(withDemo(`
      local demo = require("demo")
      return { main = function(mode)
        if mode == "slow" then return demo.later(200, "slow") end
        return "fast"
      end }`));
    const slowPid = r.spawn('app:main', { args: ['slow'] });
    const fast = await r.wait(r.spawn('app:main', { args: ['fast'] }));
    expect(fast).toEqual({ ok: true, value: 'fast' });
    expect(r.isAlive(slowPid)).toBe(true);
    expect(await r.wait(slowPid)).toEqual({ ok: true, value: 'slow' });
    expect(r.isAlive(slowPid)).toBe(false);
  });

  test('hostile calls: odd arguments, a value that contains itself, a caller killed while its promise is pending', async () => {
    let settledLate = false;
    const edge = defineModule({
      name: 'edge',
      functions: {
        kinds: (...args: unknown[]) => args.map((a) => (a === null ? 'nil' : typeof a)),
        cyclic: () => {
          const o: Record<string, unknown> = {};
          o.self = o;
          return o as never;
        },
        throwsText: () => {
          throw 'plain text'; // eslint-disable-line no-throw-literal
        },
        slow: () => new Promise<string>((res) => setTimeout(() => {
          settledLate = true;
          res('too late');
        }, 150)),
      },
    });
    const r = await booted(createRuntime(
      [{ namespace: 'app', entries: [
        { name: 'processes', kind: 'process.host', lifecycle: { auto_start: true } },
        { name: 'main', kind: 'process.lua', method: 'main', modules: ['edge'], source: `
          local edge = require("edge")
          return { main = function(mode)
            if mode == "slow" then return edge.slow() end
            local kinds = edge.kinds(print, coroutine.create(function() end), 1.5, "s", { 1 })
            local c, cerr = edge.cyclic()
            local t, terr = edge.throwsText()
            return { kinds = kinds, cyclic = tostring(cerr), text = tostring(terr) }
          end }` },
      ] }],
      { logsWithoutListener: 'silent', modules: [edge] },
    ));
    expect(await r.wait(r.spawn('app:main'))).toEqual({
      ok: true,
      value: { kinds: ['nil', 'nil', 'number', 'string', 'object'], cyclic: 'cannot pass a value that contains itself to Lua', text: 'plain text' },
    });
    const slow = r.spawn('app:main', { args: ['slow'] });
    await new Promise((res) => setTimeout(res, 30));
    r.terminate(slow);
    expect(await r.wait(slow)).toMatchObject({ ok: false });
    await new Promise((res) => setTimeout(res, 200));
    expect(settledLate).toBe(true); // the answer came after its process ended: dropped, nothing broke
    expect(await r.wait(r.spawn('app:main'))).toMatchObject({ ok: true });
  });

  test('a module name must be requirable and not one of wisp\'s own', () => {
    expect(() => defineModule({ name: 'Bad Name', functions: {} })).toThrow(/lowercase/);
    const json = defineModule({ name: 'json', functions: {} });
    expect(() => createRuntime([], { modules: [json], logsWithoutListener: 'silent' })).toThrow(/one of wisp's own/);
    expect(() => createRuntime([], { modules: [demo, demo], logsWithoutListener: 'silent' })).toThrow(/twice/);
  });
});

describe('logs and the event bus', () => {
  test('onLog gets logger records; onEvent gets what Lua sends; Lua receives what JS publishes', async () => {
    const r = createRuntime(
      [{
        namespace: 'app',
        entries: [
          { name: 'processes', kind: 'process.host', lifecycle: { auto_start: true } },
          {
            name: 'main', kind: 'process.lua', method: 'main', modules: ['logger', 'events'], source: `
              local logger = require("logger")
              local events = require("events")
              return { main = function()
                local sub = events.subscribe("js")
                logger:info("subscribed", { n = 1 })
                events.send("lua", "ready", "/main", { ok = true })
                local e = sub:channel():receive()
                return e.data
              end }`,
          },
        ],
      }],
      { logLevel: 'info' },
    );
    const logs: LogRecord[] = [];
    r.onLog((rec) => logs.push(rec));
    const events: unknown[] = [];
    const ready = new Promise<void>((res) => {
      r.onEvent('lua', '*', (e) => {
        events.push(e);
        r.publish({ system: 'js', kind: 'answer', path: '/js', data: { answer: 42 } });
        res();
      });
    });
    await booted(r);
    const pid = r.spawn('app:main');
    await ready;
    expect(await r.wait(pid)).toEqual({ ok: true, value: { answer: 42 } });
    expect(events).toEqual([{ system: 'lua', kind: 'ready', path: '/main', data: { ok: true } }]);
    expect(logs.find((l) => l.message === 'subscribed')).toMatchObject({ level: 'info', fields: expect.objectContaining({ n: 1 }) });
  });
});

describe('a runtime from a project directory', () => {
  test('boots its services and lets JS talk to them', async () => {
    const dir = writeFiles({
      'src/_index.yaml': `
version: "1.0"
namespace: demo
entries:
  - name: processes
    kind: process.host
    lifecycle: { auto_start: true }
  - name: upper
    kind: process.lua
    source: file://upper.lua
    method: main
  - name: upper-service
    kind: process.service
    process: demo:upper
    host: demo:processes
    lifecycle: { auto_start: true }
`,
      'src/upper.lua': `
return { main = function()
  process.registry.register("upper")
  local inbox, events = process.inbox(), process.events()
  while true do
    local r = channel.select { inbox:case_receive(), events:case_receive() }
    if r.channel == events then return 0 end
    process.send(r.value:from(), "upper", string.upper(r.value:payload():data()))
  end
end }`,
    });
    const r = await booted(createRuntime(dir, { logsWithoutListener: 'silent' }));
    expect(r.root).toBe(dir);
    const box = r.mailbox();
    while (r.lookup('upper') === null) await new Promise((res) => setTimeout(res, 5));
    box.send('upper', 'text', 'shout');
    expect((await box.receive()).data).toBe('SHOUT');
    await r.shutdown();
    expect(box.alive).toBe(false);
  });
});
