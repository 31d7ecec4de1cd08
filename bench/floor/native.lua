-- bench/floor on native Lua: `lua5.4 bench/floor/native.lua ROOT rounds yield_n echo_n spawn_n ring_size
-- ring_hops` runs the workloads with the scripts read from the repository at ROOT; prints "name value" lines.
local root = arg[1]
local function read(rel)
  local f = assert(io.open(root .. "/" .. rel, "rb"))
  local s = f:read("a")
  f:close()
  return s
end
local function chunk(rel) return assert(load(read(rel), "@" .. rel, "t")) end

local runtime = chunk("bench/floor/runtime.lua")()
local W = chunk("bench/floor/workloads.lua")(runtime, {
  relay = read("lua/echo-service/src/relay.lua"),
  worker = read("lua/echo-service/src/worker.lua"),
  bench = read("bench/project/src/bench.lua"),
  client = read("bench/echo-client.lua"),
})
local n = {}
for i = 2, 7 do n[i] = math.tointeger(tonumber(arg[i])) end
local out = W.measure({ rounds = n[2], yield_n = n[3], echo_n = n[4], spawn_n = n[5], ring_size = n[6], ring_hops = n[7] })
for k, v in pairs(out) do print(k, v) end
