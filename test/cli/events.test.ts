/** An event-bus app through the CLI: auto-started services publish and subscribe; `wisp run`, then SIGINT (logs: stderr). */
import { startWisp, writeProject, sleep } from '../helpers/cli';

const INDEX = `version: "1.0"
namespace: bus
entries:
  - name: processes
    kind: process.host
    lifecycle:
      auto_start: true
  - name: subscriber
    kind: process.lua
    source: file://bus.lua
    method: subscriber
    modules: [events, logger, time]
  - name: publisher
    kind: process.lua
    source: file://bus.lua
    method: publisher
    modules: [events, logger, time]
  - name: tally
    kind: process.service
    process: subscriber
    host: processes
    input: [tally, "orders.*"]
    lifecycle:
      auto_start: true
  - name: watch
    kind: process.service
    process: subscriber
    host: processes
    input: [watch, "orders.eu", "order.paid"]
    lifecycle:
      auto_start: true
  - name: shop
    kind: process.service
    process: publisher
    host: processes
    lifecycle:
      auto_start: true
`;

const BUS = `local events = require("events")
local logger = require("logger")
local time = require("time")

local function subscriber(name, system, kind)
  local sub = assert(events.subscribe(system, kind))
  process.registry.register(name)
  local ch, evts = sub:channel(), process.events()
  local seen = {}
  while true do
    local r = channel.select { ch:case_receive(), evts:case_receive() }
    if r.channel == evts then
      if r.value.kind == process.event.CANCEL then
        sub:close()
        logger:info(name .. " final", { seen = table.concat(seen, " ") })
        return 0
      end
    else
      local evt = r.value
      seen[#seen + 1] = evt.system .. ":" .. evt.kind .. ":" .. evt.data.id
    end
  end
end

local function publisher()
  while not (process.registry.lookup("tally") and process.registry.lookup("watch")) do time.sleep("10ms") end
  local orders = { { "orders.eu", "order.placed", 1 }, { "orders.us", "order.placed", 2 },
    { "orders.eu", "order.paid", 1 }, { "billing", "order.paid", 2 }, { "orders.us", "order.paid", 2 } }
  for _, o in ipairs(orders) do assert(events.send(o[1], o[2], "/orders/" .. o[3], { id = o[3] })) end
  logger:info("published")
  return 0
end

return { subscriber = subscriber, publisher = publisher }
`;

describe('an event-bus app under `wisp run`', () => {
  test('two subscriber services get what their patterns match, in order; SIGINT stops them cleanly', async () => {
    const dir = writeProject({ '_index.yaml': INDEX, 'bus.lua': BUS });
    const run = startWisp(['run'], dir);
    try {
      for (let i = 0; !run.err().includes('\tpublished\t') && run.running(); i++) {
        if (i > 1000) throw new Error(`no "published" line\nstdout: ${run.out()}\nstderr: ${run.err()}`);
        await sleep(10);
      }
    } finally {
      run.child.kill('SIGINT');
    }
    expect(await run.exited).toBe(0);
    const finals = run.err().split('\n').filter((l) => l.includes(' final'));
    const seen = (name: string) => {
      const line = finals.find((l) => l.includes(`${name} final`)) ?? '';
      return /"seen": ?"([^"]*)"/.exec(line)?.[1];
    };
    expect(seen('tally')).toBe('orders.eu:order.placed:1 orders.us:order.placed:2 orders.eu:order.paid:1 orders.us:order.paid:2');
    expect(seen('watch')).toBe('orders.eu:order.paid:1');
    expect(run.err()).not.toMatch(/WARN|ERROR/);
  }, 30_000);
});
