-- An echo server and a client that makes n round trips to it when told "go"; both stop on CANCEL.
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

local function client(name, target)
  local me = process.pid()
  return serve(name, function(msg, inbox)
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
