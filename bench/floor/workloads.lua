-- The kernel benchmarks of bench/kernel.js, run on the floor runtime (runtime.lua) with the same scripts, timed
-- with os.clock inside this one Lua state. Called as a chunk with (runtime module, sources) where sources holds
-- the text of relay.lua, worker.lua, bench.lua and the Lua echo client; returns the workloads.
local runtime, src = ...

-- As bench/kernel.js: the tutorial worker without its sleep (the benchmark measures the runtime). The edit must
-- apply, or the echo would time a parked worker.
local worker, edits = src.worker:gsub('time%.sleep%("100ms"%)', "", 1)
if edits ~= 1 then error('worker.lua: no time.sleep("100ms") to remove') end

local function us_per(n, t0) return (os.clock() - t0) * 1e6 / n end

local function ended(rt, pid, want)
  rt.run()
  local r = rt.results[pid]
  if r == nil then error("process " .. pid .. " did not end") end
  if r.error ~= nil then error("process " .. pid .. ": " .. tostring(r.error)) end
  if r.value ~= want then error("process " .. pid .. " returned " .. tostring(r.value) .. ", want " .. want) end
  rt.results[pid] = nil
end

local W = {}

-- The unit: one time.sleep(0) round trip through the Lua scheduler (as wisp's yield_us is through its own).
local yield_rt = runtime.new({
  ["bench:yield"] = { method = "main", source =
    'local time = require("time") return { main = function(n) for i = 1, n do time.sleep(0) end return n end }' },
})
function W.yield(n)
  local t0 = os.clock()
  ended(yield_rt, yield_rt.spawn("bench:yield", n), n)
  return { us = us_per(n, t0) }
end

-- The echo flow: the relay boots once (registers, starts its stats reporter, waits in select), then each call
-- spawns the client for n round trips; it errors on any reply but HELLO WORLD, and returns n.
local echo_rt
function W.echo(n)
  if echo_rt == nil then
    echo_rt = runtime.new({
      ["app:relay"] = { source = src.relay, method = "main" },
      ["app:worker"] = { source = worker, method = "main" },
      ["app:cli"] = { source = src.client, method = "main" },
    })
    echo_rt.spawn("app:relay")
    echo_rt.run()
  end
  local t0 = os.clock()
  ended(echo_rt, echo_rt.spawn("app:cli", n), n)
  return { us = us_per(n, t0), round_trips = n }
end

local bench_entries = function()
  return {
    ["bench:spawner"] = { source = src.bench, method = "spawner" },
    ["bench:child"] = { source = src.bench, method = "child" },
    ["bench:ring_node"] = { source = src.bench, method = "ring_node" },
  }
end

local spawn_rt = runtime.new(bench_entries())
function W.spawn_exit(n)
  local t0 = os.clock()
  ended(spawn_rt, spawn_rt.spawn("bench:spawner", n), n)
  return { us = us_per(n, t0), exits = n }
end

-- The ring: `size` ring_node processes told their successor by the host, which holds "ring-done"; a lap sends
-- the token with `hops` and runs until ring-done has its message.
local ring_rt, ring_first, ring_done, ring_size
function W.ring(size, hops)
  if ring_rt == nil or ring_size ~= size then
    ring_rt, ring_size = runtime.new(bench_entries()), size
    local me, inbox = ring_rt.mailbox()
    ring_rt.register("ring-done", me)
    ring_done = inbox
    local pids = {}
    for i = 1, size do pids[i] = ring_rt.spawn("bench:ring_node") end
    for i = 1, size do ring_rt.send(pids[i], "next", pids[i % size + 1]) end
    ring_rt.run()
    ring_first = pids[1]
  end
  local sends = ring_rt.sends
  local t0 = os.clock()
  ring_rt.send(ring_first, "token", hops)
  ring_rt.run()
  local us = us_per(hops, t0)
  local msg = ring_done()
  if msg == nil or msg:topic() ~= "done" or ring_done() ~= nil then error("ring: no single done message") end
  -- the token sent in, `hops` forwards, the done message
  return { us = us, sends = ring_rt.sends - sends, processes = size }
end

local function median(xs)
  table.sort(xs)
  local m = #xs // 2
  return #xs % 2 == 1 and xs[m + 1] or (xs[m] + xs[m + 1]) / 2
end

-- As bench/harness.js pairedWithYield: each round a yield sample right before each workload; the medians of the
-- costs and of the per-round ratios.
function W.measure(o)
  W.yield(o.yield_n); W.echo(o.echo_n // 4); W.spawn_exit(o.spawn_n // 4); W.ring(o.ring_size, o.ring_hops // 4)
  local cols = { yield = {}, echo = {}, spawn_exit = {}, ring_hop = {},
    echo_in_yields = {}, spawn_exit_in_yields = {}, ring_hop_in_yields = {} }
  local function paired(name, f)
    local y = W.yield(o.yield_n).us
    local c = f().us
    table.insert(cols.yield, y)
    table.insert(cols[name], c)
    table.insert(cols[name .. "_in_yields"], c / y)
  end
  for _ = 1, o.rounds do
    paired("echo", function() return W.echo(o.echo_n) end)
    paired("spawn_exit", function() return W.spawn_exit(o.spawn_n) end)
    paired("ring_hop", function() return W.ring(o.ring_size, o.ring_hops) end)
  end
  local out = {}
  for k, xs in pairs(cols) do out[k:find("_in_yields") and k or k .. "_us"] = median(xs) end
  return out
end

return W
