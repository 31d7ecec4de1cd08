/**
 * The node's event bus across the threads of `wisp run --threads 2` (needs `npm run build`): an event published
 * on one thread reaches subscribers on the other, in the order it was published, both ways; a value too large
 * to cross between threads is refused whole; an event crosses only to a thread with a subscriber it may match, so
 * a flood of large events nobody on the other thread subscribes to does not fill the bus to it.
 */
import { join } from 'path';
import { ROOT, wisp, writeProject } from '../helpers/cli';

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
  - name: listener
    kind: process.lua
    source: file://listener.lua
    method: main
    modules: [events]
  - name: listener-service
    kind: process.service
    process: app:listener
    host: app:a
    lifecycle: { auto_start: true }
  - name: check
    kind: process.lua
    source: file://check.lua
    method: main
    modules: [events, io, time]
`,
    'listener.lua': `local events = require("events")
local function main()
  local sub = assert(events.subscribe("from_t1"))
  process.registry.register("listener")
  local got, ch = {}, sub:channel()
  while true do
    local e = ch:receive()
    if e.kind == "end" then process.send(e.data, "got", process.pid() .. " got " .. table.concat(got, ",")) break end
    got[#got + 1] = e.path .. "=" .. tostring(e.data.i)
  end
  local n = process.inbox():receive():payload():data()
  for i = 1, n do assert(events.send("from_t2", "n", tostring(i), { i = i })) end
  assert(events.send("from_t2", "end", "x"))
  local evts = process.events()
  while evts:receive().kind ~= process.event.CANCEL do end
end
return { main = main }
`,
    'check.lua': `local events = require("events")
local io = require("io")
local time = require("time")
local function main()
  while process.registry.lookup("listener") == nil do time.sleep("20ms") end
  local from_t2 = assert(events.subscribe("from_t2"))
  local mine = assert(events.subscribe("from_t1", "n"))
  local ok, err = events.send("from_t1", "big", "x", { string.rep("x", 35 * 1024 * 1024), string.rep("y", 35 * 1024 * 1024) })
  io.print("big: " .. tostring(ok) .. " " .. tostring(err))
  for i = 1, 50 do assert(events.send("from_t1", "n", tostring(i), { i = i })) end
  assert(events.send("from_t1", "end", "x", process.pid()))
  io.print(process.inbox():receive():payload():data())
  local got, ch = {}, mine:channel()
  for _ = 1, 50 do got[#got + 1] = ch:receive().path end
  io.print("t1 itself got " .. table.concat(got, ","))
  process.send("listener", "publish", 50)
  got, ch = {}, from_t2:channel()
  while true do
    local e = ch:receive()
    if e.kind == "end" then break end
    got[#got + 1] = e.path .. "=" .. tostring(e.data.i)
  end
  io.print(process.pid() .. " got " .. table.concat(got, ","))
  return 0
end
return { main = main }
`,
  });
}

const sequence = (n: number): string => Array.from({ length: n }, (_, i) => `${i + 1}=${i + 1}`).join(',');

describe('events across threads', () => {
  test('a subscriber on thread 2 gets what thread 1 publishes, in order, and the reverse', async () => {
    const r = await wisp(['run', '--threads', '2', '-x', 'app:check'], { cwd: project(), timeoutMs: 60_000 });
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^big: nil message too large/);
    expect(lines[1]).toMatch(new RegExp(`^\\{t2@app:a\\|0x[0-9a-f]{5}\\} got ${sequence(50)}$`));
    expect(lines[2]).toBe(`t1 itself got ${Array.from({ length: 50 }, (_, i) => i + 1).join(',')}`);
    expect(lines[3]).toMatch(new RegExp(`^\\{t1@app:terminal\\|0x[0-9a-f]{5}\\} got ${sequence(50)}$`));
    expect(r.code).toBe(0);
  }, 90_000);

  test('400 events of 1 MiB in one task, their subscriber on the same thread: every send succeeds (none crosses to t2)', async () => {
    const fixture = join(ROOT, 'fixtures', 'events');
    const r = await wisp(['run', '--threads', '2', '-x', 'ev:memory', '400', String(1024 * 1024)], { cwd: fixture, node: ['--max-old-space-size=128'], timeoutMs: 180_000 });
    expect(r.stdout.split('\n').filter((line) => line.startsWith('flood: '))).toEqual(['flood: 400']);
    expect([r.code, r.stderr]).toEqual([0, '']);
  }, 180_000);
});
