/**
 * Lua source for the codec fuzz tests: `random_value(depth)` makes a random nested Lua value (integers within
 * and beyond 32 bits, fractions, booleans, strings built of pieces that need escaping or quoting, arrays, and
 * maps whose keys may read as numbers, booleans or null), and `same(a, b)` compares two values deeply, numbers
 * by value (an integral float may come back as an integer). Seeded, so a failure repeats.
 */
export const RANDOM_VALUES = `
  math.randomseed(20261202)
  local R = math.random
  local pieces = { "a", "Z", " ", "\\n", "\\t", "\\1", "\\31", "'", '"', "\\\\", "/", ": ", "- ", "#", "yes", "no", "y",
    "null", "~", "true", "1.5", "0x1F", "007", "1e3", "é", "€", "😀", "<", "&", "&x", "*x", "!", "%", "@", "{", "]", "<<", "" }
  local function str()
    local t = {}
    for i = 1, R(0, 6) do t[i] = pieces[R(#pieces)] end
    return table.concat(t)
  end
  local function scalar()
    local k = R(7)
    if k == 1 then return R(-1000, 1000)
    elseif k == 2 then return R(-1073741823, 1073741823) * 2 + R(0, 1)
    elseif k == 3 then return (R() - 0.5) * 10 ^ R(-8, 12)
    elseif k == 4 then return 2.0 ^ R(31, 60) * (R(2) == 1 and 1 or -1)
    elseif k == 5 then return R(2) == 1
    else return str() end
  end
  local function random_value(depth)
    local k = R(depth > 4 and 1 or 4)
    if k <= 2 then return scalar() end
    local t = {}
    if k == 3 then
      for i = 1, R(0, 5) do t[i] = random_value(depth + 1) end
    else
      for _ = 1, R(1, 5) do
        local key = str()
        if key == "" or R(2) == 1 then key = key .. "_" end
        t[key] = random_value(depth + 1)
      end
    end
    return t
  end
  local function same(a, b)
    if type(a) ~= type(b) then return false end
    if type(a) ~= "table" then return a == b end
    for k, v in pairs(a) do if not same(v, b[k]) then return false end end
    for k in pairs(b) do if a[k] == nil then return false end end
    return true
  end
  -- the comparison itself must be able to fail
  assert(not same({1, {a = "x"}}, {1, {a = "y"}}) and not same({1.5}, {1}) and not same({"1"}, {1})
    and not same({a = 1}, {a = 1, b = 2}))
`;
