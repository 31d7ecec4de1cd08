-- The Lua echo client of bench/kernel.js (echo_lua_us) and bench/floor: n round trips through the relay.
local time = require("time")
return { main = function(n)
  local inbox = process.inbox()
  while process.registry.lookup("relay") == nil do time.sleep(0) end
  local me = process.pid()
  for _ = 1, n do
    process.send("relay", "echo", { sender = me, data = "hello world" })
    local reply = inbox:receive():payload():data()
    if reply.data ~= "HELLO WORLD" then error("bad reply") end
  end
  return n
end }
