/**
 * Run-time registry changes on `wisp run --threads 2` (needs `npm run build`): a change made on either thread is
 * seen by a process on the other as soon as the call that made it has returned (a message sent after it finds
 * the change there), both threads number their versions alike, a rollback reaches both, a refused change
 * changes nothing anywhere, and each thread's `registry` subscribers hear of every change.
 */
import { wisp, writeProject } from '../helpers/cli';

/** app:a's processes run on t2 (hosts are dealt from thread 2); -x runs on t1's terminal. */
function project(): string {
  return writeProject({
    '_index.yaml': `version: "1.0"
namespace: app
entries:
  - name: terminal
    kind: terminal.host
  - name: a
    kind: process.host
    lifecycle: { auto_start: true }
  - name: peer
    kind: process.lua
    source: file://peer.lua
    method: main
    modules: [registry, events]
  - name: peer-service
    kind: process.service
    process: app:peer
    host: app:a
    lifecycle: { auto_start: true }
  - name: check
    kind: process.lua
    source: file://check.lua
    method: main
    modules: [registry, io, time]
`,
    // On t2: answers each request with what it sees, or makes a change itself.
    'peer.lua': `local registry = require("registry")
local events = require("events")
local function seen(id)
  local e = registry.get(id)
  return id .. "=" .. (e and tostring(e.data.value) or "nil")
end
local function answer(ask, heard)
  local reply
  if ask.op == "read" then
    reply = seen(ask.id) .. " v" .. registry.current_version():id()
  elseif ask.op == "create" then
    local changes = registry.snapshot():changes()
    changes:create({ id = ask.id, kind = "registry.entry", data = { value = ask.value } })
    local v, err = changes:apply()
    reply = v and ("made v" .. v:id()) or ("refused: " .. tostring(err))
  elseif ask.op == "heard" then
    local got, ch = {}, heard:channel()
    for _ = 1, ask.n do
      local e = ch:receive()
      got[#got + 1] = e.kind .. " " .. e.path .. " v" .. e.data.version
    end
    reply = table.concat(got, ", ")
  end
  process.send(ask.from, "reply", process.pid() .. " " .. reply)
end
local function main()
  local heard = assert(events.subscribe("registry"))
  process.registry.register("peer")
  local inbox, lifecycle = process.inbox(), process.events()
  while true do
    local r = channel.select { inbox:case_receive(), lifecycle:case_receive() }
    if r.channel == lifecycle then
      if r.value.kind == process.event.CANCEL then return 0 end
    else
      answer(r.value:payload():data(), heard)
    end
  end
end
return { main = main }
`,
    'check.lua': `local registry = require("registry")
local io = require("io")
local time = require("time")
local function ask(t)
  t.from = process.pid()
  process.send("peer", "ask", t)
  return process.inbox():receive():payload():data()
end
local function main()
  while process.registry.lookup("peer") == nil do time.sleep("20ms") end
  -- made on t1: seen on t2 by the next message
  local changes = registry.snapshot():changes()
  changes:create({ id = "app:on_t1", kind = "registry.entry", data = { value = 1 } })
  io.print("t1 made v" .. assert(changes:apply()):id())
  io.print(ask({ op = "read", id = "app:on_t1" }))
  -- made on t2: seen on t1 when its call has returned
  io.print(ask({ op = "create", id = "app:on_t2", value = 2 }))
  local e = registry.get("app:on_t2")
  io.print("t1 sees app:on_t2=" .. tostring(e and e.data.value) .. " v" .. registry.current_version():id())
  -- refused on t2 (it exists): nothing changes anywhere
  io.print(ask({ op = "create", id = "app:on_t1", value = 3 }))
  io.print("t1 at v" .. registry.current_version():id())
  -- a rollback on t1 reaches t2
  assert(registry.apply_version(registry.history():get_version(1)))
  io.print(ask({ op = "read", id = "app:on_t2" }))
  io.print(ask({ op = "heard", n = 3 }))
  return 0
end
return { main = main }
`,
  });
}

describe('registry changes across threads', () => {
  test('a change made on one thread is seen by a process on the other, with the same version numbers', async () => {
    const r = await wisp(['run', '--threads', '2', '-x', 'app:check'], { cwd: project(), timeoutMs: 60_000 });
    expect(r.stderr).toBe('');
    const peer = String.raw`\{t2@app:a\|0x[0-9a-f]{5}\}`;
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('t1 made v1');
    expect(lines[1]).toMatch(new RegExp(`^${peer} app:on_t1=1 v1$`));
    expect(lines[2]).toMatch(new RegExp(`^${peer} made v2$`));
    expect(lines[3]).toBe('t1 sees app:on_t2=2 v2');
    expect(lines[4]).toMatch(new RegExp(`^${peer} refused: create: entry app:on_t1 already exists$`));
    expect(lines[5]).toBe('t1 at v2');
    expect(lines[6]).toMatch(new RegExp(`^${peer} app:on_t2=nil v1$`));
    expect(lines[7]).toMatch(new RegExp(`^${peer} entry.create app:on_t1 v1, entry.create app:on_t2 v2, entry.delete app:on_t2 v1$`));
    expect(r.code).toBe(0);
  }, 90_000);
});
