-- native_lua_yield_us: the bare coroutine.wrap resume/yield loop of bench/vm.js, on native Lua (reference only).
local n = tonumber(arg[1]) or 2000000
local f = coroutine.wrap(function() while true do coroutine.yield() end end)
local best
for _ = 1, 5 do
  local t0 = os.clock()
  for _ = 1, n do f() end
  local us = (os.clock() - t0) * 1e6 / n
  if best == nil or us < best then best = us end
end
print(best)
