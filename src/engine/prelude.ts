/**
 * Lua code run once per state. It builds the shared, read-only sandbox every process sees through its own
 * globals table, and patches coroutine.resume/wrap so host requests (and preemptions) raised inside user
 * coroutines travel up to the scheduler and their replies travel back down (notes/fengari.md §1.3–1.4).
 *
 * Receives: REQ (the host request tag), and a table of host functions. Returns a table with `base` (the shared
 * globals), `env_meta` (the metatable of every process's globals), `readonly` (proxy maker) and `boot`
 * (runs a compiled chunk in an env and calls its method).
 */
export const PRELUDE = String.raw`
local REQ, host = ...
local G = _G
local co = coroutine
local create, resume, yield, status = co.create, co.resume, co.yield, co.status
local select, error, type, tostring = select, error, type, tostring
local setmetatable, raw_rawset, next = setmetatable, rawset, next
local was_preempted, current_env = host.was_preempted, host.current_env
local raise_if_killed, stuck, isyieldable = host.raise_if_killed, host.stuck, co.isyieldable
local raw_pcall, raw_xpcall = pcall, xpcall

-- A host request (first value REQ) or a preemption (no values, flagged by the hook) that a user coroutine
-- yielded is re-yielded to the level above; the reply resumes the inner coroutine. Where the level above
-- cannot yield (inside a library callback), a preempted coroutine is resumed at once and the runaway guard
-- keeps count. A failure caused by the guard's kill is raised again: no resume, pcall or xpcall catches it.
local function pass(c, ok, ...)
  if ok then
    if status(c) == 'suspended' then
      if select('#', ...) == 0 then
        if was_preempted(c) then
          if isyieldable() then return pass(c, resume(c, yield(REQ))) end
          stuck()
          return pass(c, resume(c))
        end
      elseif (...) == REQ then
        return pass(c, resume(c, yield(...)))
      end
    end
  else
    raise_if_killed()
  end
  return ok, ...
end

local function co_resume(c, ...)
  return pass(c, resume(c, ...))
end

local function wrap_result(ok, ...)
  if not ok then
    local e = ...
    if type(e) == 'string' then error(e, 2) end
    error(e, 0)
  end
  return ...
end

local function co_wrap(f)
  local c = create(f)
  return function(...) return wrap_result(co_resume(c, ...)) end
end

local function checked(ok, ...)
  if not ok then raise_if_killed() end
  return ok, ...
end
local function safe_pcall(f, ...) return checked(raw_pcall(f, ...)) end
local function safe_xpcall(f, handler, ...) return checked(raw_xpcall(f, handler, ...)) end

-- Read-only views: writes raise, rawset refuses them, the metatable is hidden, and pairs walks the real table
-- through a closure, so neither the table nor anything writable is ever handed out.
local protected = {}
local function readonly(t, name)
  local p = {}
  local function iterate(_, k) return next(t, k) end
  setmetatable(p, {
    __index = t,
    __newindex = function(_, k)
      error("cannot modify read-only table '" .. name .. "' (field '" .. tostring(k) .. "')", 2)
    end,
    __pairs = function() return iterate, p, nil end,
    __metatable = false,
  })
  protected[p] = true
  return p
end

local function safe_rawset(t, k, v)
  if protected[t] then error("cannot modify read-only table with rawset", 2) end
  return raw_rawset(t, k, v)
end

local string_meta = getmetatable('')
string_meta.__metatable = false

local raw_load = load
local erase = host.erase_types
local function safe_load(chunk, name, mode, ...)
  local env
  if select('#', ...) > 0 then env = ... else env = current_env() end
  if type(chunk) == 'string' then chunk = erase(chunk) end
  return raw_load(chunk, name, 't', env)
end

local B = {}
for _, k in next, {'assert', 'error', 'ipairs', 'next', 'pairs', 'pcall', 'rawequal', 'rawget', 'rawlen',
                   'select', 'setmetatable', 'getmetatable', 'tonumber', 'tostring', 'type', 'xpcall', '_VERSION'} do
  B[k] = G[k]
end
B.rawset = safe_rawset
B.pcall = safe_pcall
B.xpcall = safe_xpcall
B.load = safe_load
B.unpack = table.unpack
B.collectgarbage = host.collectgarbage
B.print = host.print
B.require = function(name)
  local kind, v = host.require(name)
  if kind == 'chunk' then
    local m = v(current_env())
    if m == nil then m = true end
    host.store_module(name, m)
    return m
  end
  return v
end
B.string = readonly(string, 'string')
-- Lua 5.5's table.create(nseq, nrec), which Wippy's go-lua has: the sizes are only a hint here.
local tointeger = math.tointeger
table.create = function(nseq, nrec)
  if tointeger(nseq) == nil then error("bad argument #1 to 'create' (number has no integer representation)", 2) end
  if nrec ~= nil and tointeger(nrec) == nil then error("bad argument #2 to 'create' (number has no integer representation)", 2) end
  return {}
end
B.table = readonly(table, 'table')
B.math = readonly(math, 'math')
B.utf8 = readonly(utf8, 'utf8')
B.os = readonly({time = os.time, date = os.date, clock = os.clock, difftime = os.difftime, platform = 'wippy'}, 'os')
B.coroutine = readonly({
  create = create, resume = co_resume, wrap = co_wrap, yield = yield, status = status,
  running = co.running, isyieldable = co.isyieldable, spawn = host.spawn,
}, 'coroutine')

local env_meta = {__index = B, __metatable = false}

local function boot(chunk, env, method, ...)
  local exports = chunk(env)
  if type(exports) == 'function' then return exports(...) end -- Wippy runs a returned function as the method
  if type(exports) ~= 'table' then
    error("the script must return a function or a table of functions (got " .. type(exports) .. ")", 0)
  end
  local f = exports[method]
  if type(f) ~= 'function' then
    local names = {}
    for k, v in next, exports do
      if type(k) == 'string' and type(v) == 'function' then names[#names + 1] = k end
      if #names >= 50 then break end
    end
    table.sort(names)
    local listed = #names == 0 and 'no functions' or table.concat(names, ', ')
    error("method '" .. tostring(method) .. "' not found in the table the script returns (it has: " .. listed .. ")", 0)
  end
  return f(...)
end

return {base = B, env_meta = env_meta, readonly = readonly, boot = boot}
`;
