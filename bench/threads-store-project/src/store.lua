-- bench/threads-store.js: `driver N` prints `store: <owner us> <other us>`, the time of one store get by a
-- process on the store's own thread and by one on another thread (the getter), each the best of ROUNDS blocks
-- of N gets, blocks alternating so that the machine's drift weighs on both alike (and each thread's V8 has
-- compiled Fengari's interpreter loop by the later blocks).
local store = require("store")
local channel = require("channel")
local time = require("time")

local ROUNDS = 12

local function now() return time.now():unix_nano() end

local function gets(n)
  local s = assert(store.get("app:cache"))
  local t0 = now()
  for _ = 1, n do assert(s:get("k")) end
  local us = (now() - t0) / 1000 / n
  s:release()
  return us
end

local function getter()
  process.registry.register("getter")
  local inbox, events = process.inbox(), process.events()
  while true do
    local r = channel.select { inbox:case_receive(), events:case_receive() }
    if r.channel == events then
      if r.value.kind == process.event.CANCEL then return 0 end
    else
      local req = r.value:payload():data()
      process.send(req.reply, "done", { us = gets(req.n), pid = process.pid() })
    end
  end
end

local function driver(n)
  n = tonumber(n)
  local io = require("io")
  local s = assert(store.get("app:cache"))
  assert(s:set("k", { name = "value", list = { 1, 2, 3 } }))
  while process.registry.lookup("getter") == nil do time.sleep("10ms") end
  local inbox = process.inbox()
  local best_here, best_there, where = math.huge, math.huge, ""
  for _ = 1, ROUNDS do
    best_here = math.min(best_here, gets(n))
    process.send("getter", "go", { n = n, reply = process.pid() })
    local r = inbox:receive():payload():data()
    best_there = math.min(best_there, r.us)
    where = r.pid
  end
  io.print(string.format("store: %.3f %.3f %s %s", best_here, best_there, process.pid(), where))
  return 0
end

return { getter = getter, driver = driver }
