-- The floor (issue 14): a minimal actor runtime in plain Lua (5.3/5.4, Fengari or native), with just enough of
-- wisp's Lua API for the benchmark scripts to run unmodified. Whatever a workload costs here is what its Lua
-- costs when the runtime around it costs (almost) nothing: no host calls, no JS, one scheduler loop in Lua.
--
-- What wisp does per process is kept: a coroutine, a fresh globals table over the shared sandbox, the entry's
-- chunk (compiled once, as wisp's compile cache does) run with those globals for its module table, payloads
-- deep-copied on send and spawn. What a real runtime needs and the benchmarks do not is left out: timers (a
-- sleep with a duration parks its coroutine for good), errors beyond recording them, links, cancellation.

local M = {}

-- Plain recursive copy: a message shares nothing with its sender (isolation).
local function copy(v)
  if type(v) ~= "table" then return v end
  local t = {}
  for k, x in pairs(v) do t[k] = copy(x) end
  return t
end

-- A message is its own payload: msg:payload():data() is two method calls, as in wisp, and no extra table.
local Message = {}
Message.__index = Message
function Message:topic() return self.t end
function Message:payload() return self end
function Message:data() return self.d end

-- entries: entry id -> { source = Lua text, method = name of the function in the module table it returns }.
function M.new(entries)
  local rt = { sends = 0 } -- sends: every send counted (a ring's hops can be checked by it)
  local queue, head, tail = {}, 1, 1 -- the run queue: tasks at indices head .. tail - 1
  local procs, names, chunks = {}, {}, {}
  local next_pid = 0
  local current -- the running task; host functions find their process through it, as wisp's do through T
  local Channel = {} -- per runtime: its methods reach this runtime's current task
  Channel.__index = Channel

  local function enqueue(task)
    queue[tail] = task
    tail = tail + 1
  end

  -- A channel queues values, or holds the one task waiting on it: a receive, or a select over several channels
  -- (listed in task.waiting). A receive case is the channel itself (its .channel is itself): cases carry no state.
  local function new_channel()
    local ch = setmetatable({ head = 1, tail = 1, channel = false, waiter = false }, Channel)
    ch.channel = ch
    return ch
  end

  local function put(ch, v)
    local task = ch.waiter
    if task then
      local all = task.waiting
      if all then
        for _, c in ipairs(all) do c.waiter = false end
        task.waiting = false
      else
        ch.waiter = false
      end
      task.wake_ch, task.wake_v = ch, v
      enqueue(task)
    else
      ch[ch.tail] = v
      ch.tail = ch.tail + 1
    end
  end

  local function take(ch)
    local i = ch.head
    if i == ch.tail then return nil, false end
    local v = ch[i]
    ch[i] = nil
    ch.head = i + 1
    return v, true
  end

  function Channel:receive()
    local v, ok = take(self)
    if ok then return v end
    local task = current
    self.waiter = task
    coroutine.yield()
    return task.wake_v
  end

  function Channel:case_receive() return self end

  local function select_cases(cases)
    for _, case in ipairs(cases) do
      local v, ok = take(case.channel)
      if ok then return { channel = case.channel, value = v, ok = true } end
    end
    local task = current
    local channels = {}
    for i, case in ipairs(cases) do
      channels[i] = case.channel
      case.channel.waiter = task
    end
    task.waiting = channels
    coroutine.yield()
    return { channel = task.wake_ch, value = task.wake_v, ok = true }
  end

  -- A process's channels are made on first use (a worker never reads its inbox, nobody monitors a ring node).
  local function inbox_of(p)
    local ch = p.inbox
    if not ch then ch = new_channel() p.inbox = ch end
    return ch
  end
  local function events_of(p)
    local ch = p.events
    if not ch then ch = new_channel() p.events = ch end
    return ch
  end

  local function resolve(dest)
    if type(dest) == "string" then dest = names[dest] end
    return procs[dest]
  end

  function rt.send(dest, topic, data)
    rt.sends = rt.sends + 1
    local p = resolve(dest)
    if p == nil then return false, "no such process" end
    put(inbox_of(p), setmetatable({ t = topic, d = copy(data) }, Message))
    return true
  end

  local shared = setmetatable({}, { __index = _G })
  local process -- the API table; defined below, it needs spawn

  local function chunk_of(entry)
    local c = chunks[entry]
    if c then return c end
    local e = entries[entry]
    if e == nil then error("no entry " .. tostring(entry)) end
    -- As wisp compiles it: the globals arrive as the chunk's argument, on the first line so line numbers hold.
    local f, err = load("local _ENV = ...; " .. e.source, "=" .. entry, "t")
    if f == nil then error(err) end
    c = { fn = f, method = e.method }
    chunks[entry] = c
    return c
  end

  local function finish(p, ok, value)
    p.dead = true
    procs[p.pid] = nil
    local result = ok and { value = value } or { error = value }
    local monitor = p.monitor and procs[p.monitor]
    if monitor then
      put(events_of(monitor), { kind = process.event.EXIT, from = p.pid, at = os.time(), result = result })
    elseif not p.monitor then
      rt.results[p.pid] = result -- spawned from the host: the host reads how it ended
    end
  end

  -- One metatable for every process's globals (each process's table is its own; the metatable holds no state),
  -- one main function for every process's coroutine.
  local env_mt = { __index = shared }
  local function main(c, env, ...) return c.fn(env)[c.method](...) end

  local function new_task(p, co, args)
    return { proc = p, co = co, args = args, spawned = false, waiting = false, wake_ch = false, wake_v = false }
  end

  local function spawn(entry, monitor, ...)
    local c = chunk_of(entry)
    next_pid = next_pid + 1
    local p = { pid = next_pid, inbox = false, events = false, monitor = monitor, dead = false }
    local env = setmetatable({ _G = false }, env_mt)
    env._G = env
    local args = table.pack(c, env, ...) -- main's arguments, given at its first resume
    for i = 3, args.n do args[i] = copy(args[i]) end
    procs[p.pid] = p
    enqueue(new_task(p, coroutine.create(main), args))
    return p.pid
  end

  local time = {
    sleep = function(d)
      if d == 0 then enqueue(current) end -- sleep(0): to the back of the run queue; any other: parked
      coroutine.yield()
    end,
  }
  local logger = { info = function() end, error = function() end, warn = function() end, debug = function() end }
  local modules = { time = time, logger = logger }

  process = {
    event = { EXIT = "pid.exit" },
    pid = function() return current.proc.pid end,
    send = rt.send,
    inbox = function() return inbox_of(current.proc) end,
    events = function() return events_of(current.proc) end,
    spawn_monitored = function(entry, _host, ...) return spawn(entry, current.proc.pid, ...) end,
    registry = {
      register = function(name) names[name] = current.proc.pid return true end,
      lookup = function(name) return names[name] end,
    },
  }
  shared.process = process
  shared.channel = { select = select_cases }
  shared.coroutine = setmetatable({
    spawn = function(f, ...)
      local task = new_task(current.proc, coroutine.create(f), table.pack(...))
      task.spawned = true
      enqueue(task)
    end,
  }, { __index = coroutine })
  shared.require = function(name) return modules[name] or error("no module " .. tostring(name)) end

  rt.results = {}

  -- From the host: a process with no monitor (its end goes to rt.results), a name, a mailbox to read.
  function rt.spawn(entry, ...) return spawn(entry, false, ...) end
  function rt.register(name, pid) names[name] = pid end
  function rt.mailbox()
    next_pid = next_pid + 1
    local p = { pid = next_pid, inbox = new_channel(), events = false }
    procs[p.pid] = p
    return p.pid, function() return (take(p.inbox)) end
  end

  -- The scheduler: resumes tasks in order until none is runnable (every process blocked, parked or done).
  function rt.run()
    while head < tail do
      local task = queue[head]
      queue[head] = nil
      head = head + 1
      if not task.proc.dead then
        current = task
        local ok, value
        local args = task.args
        if args then
          task.args = false
          ok, value = coroutine.resume(task.co, table.unpack(args, 1, args.n))
        else
          ok, value = coroutine.resume(task.co)
        end
        -- A process ends when its main function does (its spawned coroutines go with it).
        if not task.spawned and coroutine.status(task.co) == "dead" then finish(task.proc, ok, value) end
      end
    end
    current = nil
  end

  return rt
end

return M
