/**
 * Events in a cluster of nodes with threads (src/cluster/spec.md "Threads", events): the event bus is the
 * node's, so an event crosses between the threads of its node (to those with a subscriber) and never to another
 * node. Two wisp nodes of two threads each, as OS processes through a real nats-server, a listener subscribed on
 * every thread of both.
 */
import { writeFileSync } from 'fs';
import { join } from 'path';
import { projectCopy, ROOT } from '../helpers/cli';
import { describeNats, NatsServer } from '../helpers/nats';
import { startNode, writeClusterConfig } from '../helpers/cluster';

/** The threadcluster fixture (app:processes runs on thread 2, app:processes2 on thread 1) with a listener on each. */
function project(): string {
  const dir = projectCopy(join(ROOT, 'fixtures', 'threadcluster'), {
    'src/_index.yaml': (text) => `${text}
  - { name: listener, kind: process.lua, source: file://listener.lua, method: main, modules: [events] }
  - { name: listener_t2, kind: process.service, process: app:listener, host: app:processes, lifecycle: { auto_start: true } }
  - { name: listener_t1, kind: process.service, process: app:listener, host: app:processes2, lifecycle: { auto_start: true } }
  - { name: events_driver, kind: process.lua, source: file://events_driver.lua, method: main, modules: [events, io, time] }
`,
  });
  // Registers "listener-<node>-<thread>" in the cluster once subscribed; records every "ev.sys" event's path;
  // "report_to" answers once the path given has come; "publish" publishes on this node and asks this node's
  // other listener for its report (a message that follows the events on the same pair of threads).
  writeFileSync(join(dir, 'src', 'listener.lua'), `local events = require("events")
local function main()
  local node, thread = process.pid():match("^{([%w_-]+)%.(t%d+)@")
  if node == nil then node, thread = process.pid():match("^{([%w_-]+)@"), "t1" end
  local me = node .. "-" .. thread
  local sub = assert(events.subscribe("ev.sys"))
  assert(process.registry.register("listener-" .. me, nil, process.registry.CONSISTENT))
  local ch, inbox, stop = sub:channel(), process.inbox(), process.events()
  local seen, got, waiting = {}, {}, {}
  while true do
    local r = channel.select { ch:case_receive(), inbox:case_receive(), stop:case_receive() }
    if r.channel == stop then
      if r.value.kind == process.event.CANCEL then return 0 end
    elseif r.channel == ch then
      seen[r.value.path] = true
      got[#got + 1] = r.value.path
    else
      local topic, d = r.value:topic(), r.value:payload():data()
      if topic == "ping" then process.send(r.value:from(), "pong", me) end
      if topic == "report_to" then waiting[#waiting + 1] = d end
      if topic == "publish" then
        for i = 1, d.n do assert(events.send("ev.sys", "k", d.prefix .. i)) end
        assert(events.send("ev.sys", "k", d.prefix .. "end"))
        process.send(d.other, "report_to", { to = d.to, after = d.prefix .. "end" })
        waiting[#waiting + 1] = { to = d.to, after = d.prefix .. "end" }
      end
    end
    for i = #waiting, 1, -1 do
      if seen[waiting[i].after] then
        process.send(waiting[i].to, "report", me .. ": " .. table.concat(got, ","))
        table.remove(waiting, i)
      end
    end
  end
end
return { main = main }
`);
  // Node a's -x (thread 1): publishes on a, has b's thread 1 publish on b, prints what each listener got.
  writeFileSync(join(dir, 'src', 'events_driver.lua'), `local events = require("events")
local io = require("io")
local time = require("time")
local function await(name)
  for _ = 1, 600 do
    local pid = process.registry.lookup(name)
    if pid then return pid end
    time.sleep("50ms")
  end
  error("no " .. name)
end
local function take(inbox, topic)
  local r = channel.select { inbox:case_receive(), time.after("30s"):case_receive() }
  if r.channel ~= inbox then error("no " .. topic) end
  assert(r.value:topic() == topic, r.value:topic())
  return r.value:payload():data()
end
local function main()
  local me, inbox = process.pid(), process.inbox()
  local a1, a2 = await("listener-a-t1"), await("listener-a-t2")
  local b1, b2 = await("listener-b-t1"), await("listener-b-t2")
  -- A round trip to a's thread 2 first: its subscription was announced on that pair before the answer.
  process.send(a2, "ping", true)
  take(inbox, "pong")
  for i = 1, 10 do assert(events.send("ev.sys", "k", "a" .. i)) end
  assert(events.send("ev.sys", "k", "aend"))
  process.send(a1, "report_to", { to = me, after = "aend" })
  process.send(a2, "report_to", { to = me, after = "aend" })
  process.send(b1, "publish", { n = 2, prefix = "b", to = me, other = b2 })
  local reports = {}
  for _ = 1, 4 do reports[#reports + 1] = take(inbox, "report") end
  table.sort(reports)
  for _, line in ipairs(reports) do io.print(line) end
  return 0
end
return { main = main }
`);
  writeClusterConfig(dir);
  return dir;
}

describeNats('events in a cluster of nodes with two threads each', () => {
  let nats: NatsServer;
  beforeAll(async () => {
    nats = await NatsServer.start();
  });
  afterAll(async () => {
    await nats.stop();
  });

  test("an event reaches its node's other thread and no other node; each node's events stay its own", async () => {
    const dir = project();
    const b = startNode(dir, 'b', nats.url, ['--threads', '2']);
    const a = startNode(dir, 'a', nats.url, ['--threads', '2', '-x', 'app:events_driver']);
    try {
      const code = await a.exited;
      expect({ code, out: a.out(), err: a.err() }).toEqual({ code: 0, out: expect.any(String), err: '' });
      const a10 = Array.from({ length: 10 }, (_, i) => `a${i + 1}`).join(',');
      expect(a.out().split('\n').filter((line) => line.startsWith('a-') || line.startsWith('b-'))).toEqual([
        `a-t1: ${a10},aend`,
        `a-t2: ${a10},aend`,
        'b-t1: b1,b2,bend',
        'b-t2: b1,b2,bend',
      ]);
    } finally {
      await a.kill();
      await b.kill();
    }
  }, 120_000);
});
