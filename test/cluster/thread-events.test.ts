/**
 * Events between the threads of one node (src/cluster/spec.md "Threads", events): an event crosses only to the
 * threads with a subscription it may match, each thread having announced its patterns to the others.
 *
 * With real Lua on three real threads (this jest process is thread 1; `npm run build` first): a flood nobody on
 * another thread subscribes to sends no frame to any; a subscriber on thread 2 that subscribes just before it
 * tells the publisher gets every event, in order, round after round; wildcard patterns cross only what they
 * match; and a subscription made on thread 1 reaches a publisher on thread 2 that was told by way of thread 3,
 * even while thread 1's messages to thread 2 go by port.
 *
 * With kernel nodes on in-process thread links: a thread whose subscriptions were made before the threads were
 * connected is told of them when the connection comes up, and one that drops its last subscription gets no more.
 */
import { writeProject } from '../helpers/cli';
import { bootThreaded } from '../helpers/threads';
import { until } from '../helpers/poll';
import { joinThreads, threadPorts, type ThreadNode } from '../../src/cluster/threads';
import { MemoryBucket } from '../../src/cluster/name-table';
import { Node } from '../../src/kernel/node';
import { CONTROL_HOST } from '../../src/kernel/pid';
import type { BusEvent, BusSubscription } from '../../src/kernel/events';
import { OP, interestFrame, parseFrames } from '../../src/cluster/frames';
import { decode, encode } from '../../src/cluster/wire';
import type { ClusterRouter } from '../../src/cluster/router';
import type { Runtime } from '../../src/hosts/runtime';

/** Process hosts are dealt from thread 2 in id order: app:a runs on t2, app:b on t3, app:c on t1. */
function project(): string {
  return writeProject({
    '_index.yaml': `version: "1.0"
namespace: app
entries:
  - { name: a, kind: process.host, lifecycle: { auto_start: true } }
  - { name: b, kind: process.host, lifecycle: { auto_start: true } }
  - { name: c, kind: process.host, lifecycle: { auto_start: true } }
  - { name: subscriber, kind: process.lua, source: file://subscriber.lua, method: main, modules: [events] }
  - { name: subscriber-service, kind: process.service, process: app:subscriber, host: app:a, lifecycle: { auto_start: true } }
  - { name: relay, kind: process.lua, source: file://relay.lua, method: main }
  - { name: relay-service, kind: process.service, process: app:relay, host: app:b, lifecycle: { auto_start: true } }
  - { name: driver, kind: process.lua, source: file://driver.lua, method: main, modules: [events, time] }
`,
    'subscriber.lua': `local events = require("events")
local function main()
  process.registry.register("subscriber")
  local inbox = process.inbox()
  while true do
    local msg = inbox:receive()
    local topic, d = msg:topic(), msg:payload():data()
    if topic == "subscribe" then
      local sub = assert(events.subscribe(d.system, d.kind))
      process.send(d.reply, "subscribed", process.pid())
      local got, ch = {}, sub:channel()
      while true do
        local e = ch:receive()
        if e.path == "end" then break end
        got[#got + 1] = e.path
      end
      sub:close()
      process.send(d.reply, "got", table.concat(got, ","))
    elseif topic == "publish" then
      for i = 1, d.n do assert(events.send(d.system, "n", tostring(i))) end
      assert(events.send(d.system, "n", "end"))
    end
  end
end
return { main = main }
`,
    'relay.lua': `local function main()
  process.registry.register("relay")
  local inbox = process.inbox()
  while true do
    local d = inbox:receive():payload():data()
    process.send(d.to, d.topic, d.data)
  end
end
return { main = main }
`,
    'driver.lua': `local events = require("events")
local time = require("time")

local function await(name)
  while process.registry.lookup(name) == nil do time.sleep("10ms") end
end

-- The next value on ch, or nil after 20 s.
local function take(ch)
  local r = channel.select { ch:case_receive(), time.after("20s"):case_receive() }
  if r.channel ~= ch then return nil end
  return r.value
end

local function reply(topic)
  local msg = take(process.inbox())
  if msg == nil then error("no " .. topic) end
  assert(msg:topic() == topic, msg:topic())
  return msg:payload():data()
end

local function paths(ch)
  local got = {}
  while true do
    local e = take(ch)
    if e == nil then return table.concat(got, ",") .. " (timed out)" end
    if e.path == "end" then return table.concat(got, ",") end
    got[#got + 1] = e.path
  end
end

local function upto(n)
  local t = {}
  for i = 1, n do t[i] = tostring(i) end
  return table.concat(t, ",")
end

local scenarios = {}

-- Large events only this thread subscribes to.
function scenarios.quiet(n)
  local sub = assert(events.subscribe("quiet.sys"))
  local chunk = string.rep("q", 65536)
  for i = 1, n do assert(events.send("quiet.sys", "big", tostring(i), chunk)) end
  local ch, got = sub:channel(), 0
  for _ = 1, n do
    if take(ch) == nil then break end
    got = got + 1
  end
  sub:close()
  return "quiet " .. got
end

-- The subscriber on t2 subscribes, then tells this process, which publishes at once.
function scenarios.just_before(rounds)
  await("subscriber")
  for r = 1, rounds do
    local system = "jb." .. r
    process.send("subscriber", "subscribe", { system = system, kind = "*", reply = process.pid() })
    reply("subscribed")
    for i = 1, 10 do assert(events.send(system, "n", tostring(i))) end
    assert(events.send(system, "n", "end"))
    local got = reply("got")
    if got ~= upto(10) then return "round " .. r .. " got " .. got end
  end
  return "in order " .. rounds
end

function scenarios.wildcards()
  await("subscriber")
  process.send("subscriber", "subscribe", { system = "wild.*", kind = "k", reply = process.pid() })
  reply("subscribed")
  assert(events.send("wild.x", "k", "1"))
  assert(events.send("wild.x", "other", "2"))
  assert(events.send("tame", "k", "3"))
  assert(events.send("wild.", "k", "4"))
  assert(events.send("wild.y.z", "k", "end"))
  return "wild " .. reply("got")
end

-- Subscribes on t1 while its messages to t2 go by port (a large one first), then has t2 publish by way of t3.
function scenarios.three_threads(rounds)
  await("subscriber")
  await("relay")
  local junk = string.rep("j", 20000)
  for r = 1, rounds do
    local system = "tt." .. r
    process.send("subscriber", "junk", junk)
    local sub = assert(events.subscribe(system))
    process.send("relay", "relay", { to = "subscriber", topic = "publish", data = { system = system, n = 5 } })
    local got = paths(sub:channel())
    sub:close()
    if got ~= upto(5) then return "round " .. r .. " got " .. got end
  end
  return "in order " .. rounds
end

local function main(scenario, arg)
  return scenarios[scenario](tonumber(arg))
end
return { main = main }
`,
  });
}

describe('events across three threads (real Lua)', () => {
  let runtime: Runtime;
  let router: ClusterRouter;
  beforeAll(async () => {
    runtime = await bootThreaded(project(), 3);
    router = runtime.node.router as ClusterRouter;
  }, 60_000);
  afterAll(async () => {
    await runtime.shutdown();
  }, 60_000);

  const posted = (): Record<string, number> => ({ t2: router.eventsPosted.get('t2') ?? 0, t3: router.eventsPosted.get('t3') ?? 0 });
  const drive = async (scenario: string, arg = 0): Promise<unknown> => {
    const outcome = await runtime.exec('app:driver', 'app:c', [scenario, arg]);
    expect(outcome.error).toBeNull();
    return outcome.value;
  };

  test('200 events of 64 KiB nobody on another thread subscribes to: all reach the subscriber here, no frame crosses', async () => {
    const before = posted();
    expect(await drive('quiet', 200)).toBe('quiet 200');
    expect(posted()).toEqual(before);
  }, 60_000);

  test('a subscriber on t2 that subscribed just before telling the publisher gets every event, in order (20 rounds); only t2 is sent them', async () => {
    const before = posted();
    expect(await drive('just_before', 20)).toBe('in order 20');
    expect(posted()).toEqual({ t2: before.t2 + 20 * 11, t3: before.t3 });
  }, 60_000);

  test('a wildcard subscription crosses what it matches and nothing else', async () => {
    const before = posted();
    expect(await drive('wildcards')).toBe('wild 1,4');
    expect(posted()).toEqual({ t2: before.t2 + 3, t3: before.t3 });
  }, 60_000);

  test('subscribed on t1 while its messages to t2 go by port, then t2 told by way of t3: t1 gets every event (20 rounds)', async () => {
    expect(await drive('three_threads', 20)).toBe('in order 20');
  }, 60_000);
});

describe('event patterns between thread links (kernel nodes)', () => {
  interface Thread {
    readonly node: Node;
    readonly threads: ThreadNode;
  }
  const idle = { pending: () => false, run: () => undefined };

  function threadsOf(count: number): Thread[] {
    const bucket = new MemoryBucket();
    return threadPorts(count).map((ports, i) => {
      const self = `t${i + 1}`;
      return { node: new Node(self, 1), threads: joinThreads({ self, ports, names: bucket, work: idle }, () => undefined) };
    });
  }

  const event = (system: string, path: string): BusEvent => ({ system, kind: 'k', path, data: null });
  const collect = (node: Node, system: string): { got: string[]; sub: BusSubscription } => {
    const got: string[] = [];
    const sub = node.events.subscribe(system, '', { take: (e) => (got.push(e.path), true) });
    if (!('active' in sub)) throw new Error(sub.message);
    return { got, sub };
  };

  test('subscriptions made before the threads connect are announced when they do; after the last one closes, nothing crosses', async () => {
    const [t1, t2] = threadsOf(2);
    try {
      const early = collect(t2.node, 'early.sys');
      const [r1, r2] = await Promise.all([t1.threads.attach(t1.node), t2.threads.attach(t2.node)]);
      const watcher = t1.node.createProcess(CONTROL_HOST, 'test:watcher', null, { terminate: () => undefined });
      const sender = t2.node.createProcess(CONTROL_HOST, 'test:sender', null, { terminate: () => undefined });
      // What t2 says after the connection is up arrives after its announcement, which the connection began with.
      const tell = async (topic: string, unread: number): Promise<void> => {
        expect(r2.send(sender.id, watcher.id, topic, [])).toBeNull();
        await until(`t1 to get "${topic}"`, () => watcher.mailbox.unread === unread);
      };
      await tell('connected', 1);
      r1.publish(event('early.sys', '1'));
      r1.publish(event('other.sys', 'x'));
      expect(r1.eventsPosted.get('t2')).toBe(1);
      await until('t2 to get the event', () => early.got.length === 1);

      t2.node.events.unsubscribe(early.sub);
      await tell('closed', 2);
      r1.publish(event('early.sys', '2'));
      expect(r1.eventsPosted.get('t2')).toBe(1);
      expect(early.got).toEqual(['1']);
    } finally {
      for (const t of [t1, t2]) t.threads.close();
    }
  }, 30_000);
});

describe('the INTEREST frame', () => {
  test('carries a whole set or changes; anything else in its shape is refused whole', () => {
    const frame = interestFrame('t1', 't2', false, [{ system: 'a.*', kind: '*', present: true }, { system: 'b', kind: 'k', present: false }]);
    expect(parseFrames([decode(encode(frame))])).toEqual([
      { op: OP.INTEREST, from: 't1', to: 't2', whole: false, changes: [{ system: 'a.*', kind: '*', present: true }, { system: 'b', kind: 'k', present: false }] },
    ]);
    for (const bad of [
      [OP.INTEREST, 't1', 't2', 1, []],
      [OP.INTEREST, 't1', 't2', true, {}],
      [OP.INTEREST, 't1', 't2', true, [['a', 'k']]],
      [OP.INTEREST, 't1', 't2', true, [['a', 1, true]]],
      [OP.INTEREST, 't1', 't2', true, [['a', 'k', 'yes']]],
      [OP.INTEREST, 't1', 't2', true],
    ]) {
      expect(() => parseFrames([bad])).toThrow('bad interest frame');
    }
  });
});
