-- bench/threads.js: `rtt N` prints the echo round trip in us to echo1 and to echo2; `pairs N` runs both
-- clients at once, N round trips each, and prints the round trips per second of the two together; `names N`
-- prints what a name write (register or unregister) costs client1 and client2, in us, over N of each.
-- Both measure the steady state: every thread first runs the same flow until its rate settles, so that each
-- thread's V8 has compiled Fengari's interpreter loop (luaV_execute alone takes ~0.35 s of a core, and each
-- thread compiles it for itself: code is not shared between V8 isolates). How long that took is printed too
-- (`warm: ms`, printed before the timed part, so that bench/threads.js can read the process's CPU time there and
-- at the result line; the driver waits a little after the result, so that the process is still there).
local time = require("time")
local io = require("io")

-- Floats: Fengari's integers are 32-bit, and 15 * 1000 * 1000 * 1000 wrapped to 2.1 s.
local WARM_MIN_NS, WARM_MAX_NS = 1e9, 15e9
local BLOCK = 1000

local function now() return time.now():unix_nano() end

local function round_trips(inbox, target, n)
  local me = process.pid()
  local t0 = now()
  for _ = 1, n do
    process.send(target, "echo", me)
    inbox:receive()
  end
  return now() - t0
end

local function go(inbox, n)
  process.send("client1", "go", { n = n, reply = process.pid() })
  process.send("client2", "go", { n = n, reply = process.pid() })
  inbox:receive()
  inbox:receive()
end

-- Runs `step` (round trips, returns how many) until two steps in a row reach 80% of the best rate seen, at
-- least WARM_MIN_NS and at most WARM_MAX_NS; returns the ms it took.
local function warm(step)
  local t0, best, good = now(), 0, 0
  while good < 2 and now() - t0 < WARM_MAX_NS do
    local t1 = now()
    local rate = step() / (now() - t1)
    if rate > best then best = rate end
    if rate >= 0.8 * best and now() - t0 >= WARM_MIN_NS then good = good + 1 else good = 0 end
  end
  return (now() - t0) / 1e6
end

local function main(mode, n)
  n = tonumber(n)
  for _, name in ipairs({ "echo1", "echo2", "client1", "client2" }) do
    while process.registry.lookup(name) == nil do time.sleep("10ms") end
  end
  local inbox = process.inbox()
  if mode == "names" then
    -- A name write's cost on each client's thread (t2 and t1 with --threads 2): register and unregister, in us.
    io.print("warm: 0")
    local us = {}
    for i, client in ipairs({ "client1", "client2" }) do
      process.send(client, "names", { n = n, reply = process.pid() })
      us[i] = inbox:receive():payload():data() / (2 * n) / 1000
    end
    io.print(string.format("names: %.3f %.3f", us[1], us[2]))
    time.sleep("300ms")
    return 0
  end
  if mode == "rtt" then
    -- Blocks to each echo server in turn, so that drift (the machine's other work) weighs on both alike.
    local cold = warm(function()
      round_trips(inbox, "echo1", BLOCK)
      round_trips(inbox, "echo2", BLOCK)
      return 2 * BLOCK
    end)
    io.print(string.format("warm: %.0f", cold))
    local one, two, done = 0, 0, 0
    while done < n do
      one = one + round_trips(inbox, "echo1", BLOCK)
      two = two + round_trips(inbox, "echo2", BLOCK)
      done = done + BLOCK
    end
    io.print(string.format("rtt: %.3f %.3f", one / done / 1000, two / done / 1000))
  else
    local cold = warm(function() go(inbox, BLOCK) return 2 * BLOCK end)
    io.print(string.format("warm: %.0f", cold))
    local t0 = now()
    go(inbox, n)
    io.print(string.format("pairs: %.1f", 2 * n / ((now() - t0) / 1e9)))
  end
  time.sleep("300ms")
  return 0
end

return { main = main }
