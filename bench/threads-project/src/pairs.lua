-- An echo server and a client that makes n round trips to it when told "go" (or times n name writes when told
-- "names"); both stop on CANCEL.
local function serve(name, on_message)
  process.registry.register(name)
  local inbox = process.inbox()
  local events = process.events()
  while true do
    local r = channel.select { inbox:case_receive(), events:case_receive() }
    if r.channel == events then
      if r.value.kind == process.event.CANCEL then return 0 end
    else
      on_message(r.value, inbox)
    end
  end
end

local function echo(name)
  return serve(name, function(msg)
    process.send(msg:payload():data(), "echo", "pong")
  end)
end

local time = require("time")

-- n names registered and unregistered in turn; the ns it took.
local function name_writes(n)
  local t0 = time.now():unix_nano()
  for i = 1, n do
    process.registry.register("bench-name-" .. i)
    process.registry.unregister("bench-name-" .. i)
  end
  return time.now():unix_nano() - t0
end

local function client(name, target)
  local me = process.pid()
  return serve(name, function(msg, inbox)
    if msg:topic() == "names" then
      local ask = msg:payload():data()
      name_writes(ask.n) -- the first time warms up
      process.send(ask.reply, "names", name_writes(ask.n))
      return
    end
    if msg:topic() ~= "go" then return end
    local go = msg:payload():data()
    for _ = 1, go.n do
      process.send(target, "echo", me)
      inbox:receive()
    end
    process.send(go.reply, "done", name)
  end)
end

return { echo = echo, client = client }
