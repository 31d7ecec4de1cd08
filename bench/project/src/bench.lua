-- Processes for the kernel benchmarks (bench/kernel.js).

-- spawn_monitored a child that returns at once, wait for its EXIT; n times.
local function spawner(n)
  local events = process.events()
  for _ = 1, n do
    process.spawn_monitored("bench:child", "bench:processes")
    events:receive()
  end
  return n
end

local function child()
  return 0
end

-- A ring member: learns its successor from the first message, then forwards every token it receives.
local function ring_node()
  local inbox = process.inbox()
  local next_pid = inbox:receive():payload():data()
  while true do
    local msg = inbox:receive()
    local hops = msg:payload():data()
    if hops == 0 then
      process.send("ring-done", "done", 0)
    else
      process.send(next_pid, "token", hops - 1)
    end
  end
end

local function idle()
  process.inbox():receive()
end

return { spawner = spawner, child = child, ring_node = ring_node, idle = idle }
