-- bench/threads.js: `rtt N` prints the echo round trip in us to echo1 and to echo2; `pairs N` runs both
-- clients at once, N round trips each, and prints the round trips per second of the two together.
local time = require("time")
local io = require("io")

local function now() return time.now():unix_nano() end

local function rtt(inbox, target, n)
  local me = process.pid()
  for _ = 1, 500 do process.send(target, "echo", me) inbox:receive() end
  local t0 = now()
  for _ = 1, n do
    process.send(target, "echo", me)
    inbox:receive()
  end
  return (now() - t0) / n / 1000
end

local function main(mode, n)
  n = tonumber(n)
  for _, name in ipairs({ "echo1", "echo2", "client1", "client2" }) do
    while process.registry.lookup(name) == nil do time.sleep("10ms") end
  end
  local inbox = process.inbox()
  if mode == "rtt" then
    local one = rtt(inbox, "echo1", n)
    local two = rtt(inbox, "echo2", n)
    io.print(string.format("rtt: %.3f %.3f", one, two))
  else
    local t0 = now()
    process.send("client1", "go", { n = n, reply = process.pid() })
    process.send("client2", "go", { n = n, reply = process.pid() })
    inbox:receive()
    inbox:receive()
    io.print(string.format("pairs: %.1f", 2 * n / ((now() - t0) / 1e9)))
  end
  return 0
end

return { main = main }
