-- The compute workloads of bench/vm.js on native Lua (reference only): `lua5.4 compute.lua ROOT rounds [name]`
-- loads bench/reference/compute-workloads.lua, the same file wisp runs, and prints "name ms" lines, each the
-- median of `rounds` after a warm-up (every workload, or only `name`).
local root, rounds, only = arg[1], math.tointeger(tonumber(arg[2])) or 5, arg[3]
local f = assert(io.open(root .. "/bench/reference/compute-workloads.lua", "rb"))
local W = assert(load(f:read("a"), "@compute-workloads.lua", "t"))()
f:close()
local function median(xs)
  table.sort(xs)
  return xs[#xs // 2 + 1]
end
for _, name in ipairs(only and { only } or { "fib", "records" }) do
  W[name](W.size[name]) -- warm up
  local ms = {}
  for i = 1, rounds do
    local t0 = os.clock()
    W[name](W.size[name])
    ms[i] = (os.clock() - t0) * 1000
  end
  print(name, median(ms))
end
