-- The compute workloads of bench/vm.js, run as they are by wisp (in a process) and by native Lua 5.4
-- (bench/reference/compute.lua): recursive fib(27), and building 100k records and sorting them.
local function fib(n)
  if n < 2 then return n end
  return fib(n - 1) + fib(n - 2)
end

local function by_score_then_name(a, b)
  if a.score ~= b.score then return a.score < b.score end
  return a.name < b.name
end

-- Builds n records (a name, a score, a nested table) and sorts them; returns the id of the first.
local function records(n)
  local list = {}
  for i = 1, n do
    local k = (i * 7919) % n
    list[i] = { id = i, name = "user" .. k, score = k % 1000, tags = { "a", "b" } }
  end
  table.sort(list, by_score_then_name)
  return list[1].id
end

return { fib = fib, records = records, size = { fib = 27, records = 100000 } }
