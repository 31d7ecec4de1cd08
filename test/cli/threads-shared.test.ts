/**
 * The node's memory services with `wisp run --threads 2` as a child process (needs `npm run build`): a
 * `store.memory`, the memory queue driver and an `env.storage.memory` are thread 1's, and thread 2 reaches them
 * through proxies (src/cluster/shared.ts). The `-x` process runs on thread 1; the `peer` service and the first
 * consumer on thread 2, the second consumer on thread 1.
 */
import { wisp, writeProject } from '../helpers/cli';

const lua = (name: string, source: string, modules: string[]): string => `  - name: ${name}
    kind: ${source.startsWith('function') ? 'function.lua' : 'process.lua'}
    source: file://${name}.lua
    method: main
    modules: [${modules.join(', ')}]
`;

const INDEX = `version: "1.0"
namespace: app
entries:
  - name: terminal
    kind: terminal.host
  - name: processes
    kind: process.host
    lifecycle: { auto_start: true }
  - name: cache
    kind: store.memory
    max_size: 1000
    lifecycle: { auto_start: true }
  - name: mem
    kind: env.storage.memory
  - name: shared_var
    kind: env.variable
    variable: SHARED_VAR
    storage: app:mem
  - name: drv
    kind: queue.driver.memory
    lifecycle: { auto_start: true }
  - name: jobs
    kind: queue.queue
    driver: app:drv
  - name: c1
    kind: queue.consumer
    queue: app:jobs
    func: app:handler
    concurrency: 2
    prefetch: 1
    lifecycle: { auto_start: true }
  - name: c2
    kind: queue.consumer
    queue: app:jobs
    func: app:handler
    concurrency: 2
    prefetch: 1
    lifecycle: { auto_start: true }
  - name: doomed
    kind: queue.queue
    driver: app:drv
    dead_letter: { queue: app:graveyard, max_attempts: 2 }
  - name: graveyard
    kind: queue.queue
    driver: app:drv
  - name: c3
    kind: queue.consumer
    queue: app:doomed
    func: app:refuser
    lifecycle: { auto_start: true }
  - name: refuser
    kind: function.lua
    source: file://refuser.lua
    method: main
    modules: [queue]
  - name: peer_service
    kind: process.service
    process: app:peer
    host: app:processes
    lifecycle: { auto_start: true }
${lua('peer', 'process', ['store', 'env', 'queue'])}  - name: handler
    kind: function.lua
    source: file://handler.lua
    method: main
    modules: [queue]
${lua('main', 'process', ['store', 'env', 'queue', 'time', 'io'])}`;

/** Answers requests from the -x process on its own thread (thread 2): store and env operations, publishes. */
const PEER = `local store = require("store")
local env = require("env")
local queue = require("queue")
local function main()
  process.registry.register("peer")
  local s = assert(store.get("app:cache"))
  local inbox, events = process.inbox(), process.events()
  while true do
    local r = channel.select { inbox:case_receive(), events:case_receive() }
    -- Stops on the CANCEL of shutdown.
    if r.channel == events then return end
    local msg = r.value
    local req = msg:payload():data()
    local reply
    if req.op == "get" then
      local v, err = s:get(req.key)
      reply = { value = v, err = err and tostring(err) }
    elseif req.op == "set" then
      local value = req.value
      if value == nil then
        -- A Lua string is at most 64 MiB: a larger value is two strings.
        value = req.size > 32 * 1024 * 1024 and { string.rep("x", req.size // 2), string.rep("x", req.size // 2) } or string.rep("x", req.size)
      end
      local ok, err = s:set(req.key, value, req.ttl)
      reply = { ok = ok, err = err and tostring(err) }
    elseif req.op == "has" then
      reply = { value = s:has(req.key) }
    elseif req.op == "delete" then
      reply = { value = s:delete(req.key) }
    elseif req.op == "env_get" then
      reply = { value = env.get("SHARED_VAR") }
    elseif req.op == "env_set" then
      reply = { ok = env.set("SHARED_VAR", req.value) }
    elseif req.op == "publish" then
      for i = req.from, req.to do assert(queue.publish("app:jobs", { n = i })) end
      reply = { ok = true }
    elseif req.op == "where" then
      reply = { value = process.pid() }
    end
    process.send(req.from_pid, "reply", reply)
  end
end
return { main = main }
`;

/** A consumer's function: tells the -x process which message it handled on which thread; nacks each first try of n % 7 == 0. */
const HANDLER = `local queue = require("queue")
local function main(body)
  local m = assert(queue.message())
  local attempts = m:header("attempts") or 0
  local pid = process.pid()
  process.send("collector", "handled", { n = body.n, pid = pid, attempts = attempts })
  if body.n % 7 == 0 and attempts == 0 then return false end
  return true
end
return { main = main }
`;

/** The driver (thread 1): asks the peer on thread 2, checks the node-wide view, prints one line per check. */
const MAIN = `local store = require("store")
local env = require("env")
local queue = require("queue")
local time = require("time")
local io = require("io")

local replies = process.listen("reply")
local function ask(req)
  req.from_pid = process.pid()
  process.send("peer", "req", req)
  return replies:receive()
end

local function eventually(fn)
  for _ = 1, 500 do
    local v = fn()
    if v then return v end
    time.sleep("10ms")
  end
  return nil
end

local function main()
  process.registry.register("collector")
  while process.registry.lookup("peer") == nil do time.sleep("10ms") end
  local where = ask({ op = "where" }).value
  io.print("me " .. process.pid() .. " peer " .. where)
  local s = assert(store.get("app:cache"))

  -- store: set here, read there; set there, read here; delete, has
  assert(s:set("a", { x = 1, list = { "p", "q" }, f = 2.5 }))
  local got = ask({ op = "get", key = "a" })
  io.print("peer reads a: " .. got.value.x .. " " .. got.value.list[2] .. " " .. got.value.f)
  io.print("peer set b: " .. tostring(ask({ op = "set", key = "b", value = "from t2" }).ok))
  io.print("here b: " .. s:get("b"))
  io.print("peer has a: " .. tostring(ask({ op = "has", key = "a" }).value))
  io.print("peer delete a: " .. tostring(ask({ op = "delete", key = "a" }).value))
  local _, err = s:get("a")
  io.print("here a after delete: " .. tostring(err))
  local missing = ask({ op = "get", key = "nope" })
  io.print("peer get missing: " .. tostring(missing.err))

  -- TTL: set on thread 2 with a TTL, seen on both, then gone on both
  ask({ op = "set", key = "t", value = "brief", ttl = 0.3 })
  io.print("ttl before: " .. tostring(s:has("t")) .. " " .. tostring(ask({ op = "has", key = "t" }).value))
  time.sleep("600ms")
  io.print("ttl after: " .. tostring(s:has("t")) .. " " .. tostring(ask({ op = "has", key = "t" }).value))

  -- limits: a value too large to cross threads, and the store's own max_size
  local big = ask({ op = "set", key = "big", size = 70 * 1024 * 1024 })
  io.print("big: " .. tostring(big.ok) .. " " .. tostring(big.err))

  -- env: a memory storage is the node's
  assert(env.set("SHARED_VAR", "one"))
  io.print("peer env: " .. tostring(eventually(function() local v = ask({ op = "env_get" }).value; return v == "one" and v end)))
  ask({ op = "env_set", value = "two" })
  io.print("here env: " .. tostring(eventually(function() local v = env.get("SHARED_VAR"); return v == "two" and v end)))

  -- queue: 60 messages, half published here and half on thread 2
  for i = 1, 30 do assert(queue.publish("app:jobs", { n = i })) end
  ask({ op = "publish", from = 31, to = 60 })
  local firsts, acked, threads = {}, {}, {}
  local handled, redelivered = 0, 0
  local inbox = process.inbox()
  while handled < 60 do
    local msg = inbox:receive()
    local d = msg:payload():data()
    threads[d.pid:match("^{(t%d)@")] = true
    if d.attempts == 0 then
      if firsts[d.n] then io.print("twice: " .. d.n) end
      firsts[d.n] = true
    else
      redelivered = redelivered + 1
    end
    local done = not (d.n % 7 == 0 and d.attempts == 0)
    if done then
      if acked[d.n] then io.print("handled twice: " .. d.n) end
      acked[d.n] = true
      handled = handled + 1
    end
  end
  -- dead letters: c3 (thread 2) nacks everything; after two attempts each goes to the graveyard
  for i = 1, 3 do assert(queue.publish("app:doomed", { n = i })) end
  local dead = eventually(function() local q = assert(queue.info("app:graveyard")); return q.message_count == 3 and q end)
  io.print("dead letters: " .. (dead and dead.message_count or "none") .. " doomed left: " .. assert(queue.info("app:doomed")).message_count)
  time.sleep("200ms")
  local info = assert(queue.info("app:jobs"))
  io.print("queue: handled " .. handled .. " redelivered " .. redelivered .. " threads " .. tostring(threads.t1) .. " " .. tostring(threads.t2) .. " left " .. info.message_count .. " in flight " .. info.in_flight)
  return 0
end
return { main = main }
`;

/** A service on thread 2 writes to a ":memory:" SQLite database; `-x` on thread 1 reads the row and writes one. */
const MEMORY_DB = {
  '_index.yaml': `version: "1.0"
namespace: app
entries:
  - name: terminal
    kind: terminal.host
  - name: processes
    kind: process.host
    lifecycle: { auto_start: true }
  - name: db
    kind: db.sql.sqlite
    file: ":memory:"
    lifecycle: { auto_start: true }
  - name: writer_service
    kind: process.service
    process: app:writer
    host: app:processes
    lifecycle: { auto_start: true }
${lua('writer', 'process', ['sql'])}${lua('reader', 'process', ['sql', 'time', 'io'])}`,
  'writer.lua': `local sql = require("sql")
local function main()
  local db = assert(sql.get("app:db"))
  assert(db:execute("CREATE TABLE notes (body TEXT)"))
  assert(db:execute("INSERT INTO notes VALUES (?)", { process.pid() }))
  db:release()
  process.registry.register("writer")
  local msg = process.inbox():receive()
  db = assert(sql.get("app:db"))
  local rows = assert(db:query("SELECT count(*) AS n FROM notes"))
  process.send(msg:payload():data(), "count", rows[1].n)
  process.events():receive() -- the CANCEL of shutdown
end
return { main = main }
`,
  'reader.lua': `local sql = require("sql")
local time = require("time")
local io = require("io")
local function main()
  while process.registry.lookup("writer") == nil do time.sleep("10ms") end
  local db = assert(sql.get("app:db"))
  local rows = assert(db:query("SELECT body FROM notes"))
  io.print("rows here: " .. #rows .. " " .. tostring(rows[1].body == process.registry.lookup("writer")))
  assert(db:execute("INSERT INTO notes VALUES ('from t1')"))
  local counts = process.listen("count")
  process.send("writer", "count?", process.pid())
  io.print("rows there: " .. counts:receive())
  return 0
end
return { main = main }
`,
};

describe('memory services shared by the threads of a node', () => {
  test('--threads 2: a ":memory:" SQLite database is the node\'s', async () => {
    const r = await wisp(['run', '--threads', '2', '-x', 'app:reader'], { cwd: writeProject(MEMORY_DB), timeoutMs: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('rows here: 1 true\nrows there: 2\n');
    expect(r.code).toBe(0);
  }, 90_000);

  test('--threads 2: store, TTL, env and queue are the node\'s, whatever thread uses them', async () => {
    const refuser = 'local function main() return false end\nreturn { main = main }\n';
    const dir = writeProject({ '_index.yaml': INDEX, 'peer.lua': PEER, 'handler.lua': HANDLER, 'main.lua': MAIN, 'refuser.lua': refuser });
    const r = await wisp(['run', '--threads', '2', '-x', 'app:main'], { cwd: dir, timeoutMs: 90_000 });
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^me \{t1@app:terminal\|0x[0-9a-f]+\} peer \{t2@app:processes\|0x[0-9a-f]+\}$/);
    expect(lines.slice(1)).toEqual([
      'peer reads a: 1 q 2.5',
      'peer set b: true',
      'here b: from t2',
      'peer has a: true',
      'peer delete a: true',
      'here a after delete: key not found',
      'peer get missing: key not found',
      'ttl before: true true',
      'ttl after: false false',
      `big: nil value too large to cross threads: more than ${64 * 1024 * 1024} bytes`,
      'peer env: one',
      'here env: two',
      'dead letters: 3 doomed left: 0',
      'queue: handled 60 redelivered 8 threads true true left 0 in flight 0',
      '',
    ]);
    expect(r.code).toBe(0);
  }, 120_000);
});
