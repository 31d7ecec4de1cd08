-- Event bus benchmarks (bench/events.js).
local events = require("events")

-- Reads n events on `system`, then returns.
local function subscriber(system, n)
  local ch = events.subscribe(system):channel()
  for _ = 1, n do ch:receive() end
  return n
end

-- Sends n events on `system`, each with a small table.
local function publisher(system, n)
  for i = 1, n do events.send(system, "bench.tick", "/bench", { n = i, text = "hello world" }) end
  return n
end

-- Subscribes and never reads.
local function hoarder(system)
  events.subscribe(system)
  process.events():receive()
end

return { subscriber = subscriber, publisher = publisher, hoarder = hoarder }
