/**
 * The `system` module through the real CLI: hosts and their processes, supervisor states, exit, and what a
 * hostile script cannot do with it. (Wippy's own suite: `wippy-acceptance.sh system`.)
 */
import { wisp, writeProject, indexWithHosts } from '../helpers/cli';
import { serviceEntries } from '../helpers/live';
import { pidPattern } from '../helpers/pid';

/** A project with a named, CANCEL-handling service and a check entry `app:check` whose source is `lua`. */
function project(lua: string): string {
  return writeProject({
    '_index.yaml': indexWithHosts(
      'app',
      `${serviceEntries('idle', ['process', 'channel'])}  - name: check
    kind: process.lua
    source: file://check.lua
    method: main
    modules: [system, json, time, process]
`,
    ),
    'idle.lua': `return { main = function()
  process.registry.register("keeper")
  local events = process.events()
  while true do
    local e = events:receive()
    if e.kind == process.event.CANCEL then return 0 end
  end
end }`,
    'check.lua': lua,
  });
}

describe('system', () => {
  test('hosts.list, hosts.processes and supervisor.states describe the running system', async () => {
    const dir = project(`local system = require("system")
local json = require("json")
local time = require("time")
return { main = function()
  time.sleep("100ms")
  local hosts = assert(system.hosts.list())
  local procs = assert(system.hosts.processes("app:processes"))
  local states = assert(system.supervisor.states())
  local one = assert(system.supervisor.state("app:idle-service"))
  local none, err = system.supervisor.state("app:nope")
  local empty, err2 = system.hosts.processes("")
  return json.encode({ hosts = hosts, procs = procs, states = states, one = one,
    none = tostring(none), err = tostring(err), kind = err:kind(), err2 = tostring(err2),
    id = system.node.id(), role = system.node.role(), size = system.cluster.size(),
    raft = select(2, system.raft.term()):kind() })
end }`);
    const r = await wisp(['run', '-s', '-x', 'app:terminal/app:check'], { cwd: dir });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    const hosts = out.hosts as { id: string; processes: number }[];
    expect(hosts.map((h) => h.id).sort()).toEqual(['app:processes', 'app:terminal', 'functions']);
    expect(hosts.find((h) => h.id === 'app:terminal')?.processes).toBe(1); // this check itself
    const procs = out.procs as { source: string; state: string; parent?: string; stats: { names: string[] } }[];
    expect(procs).toHaveLength(1);
    expect(procs[0]).toMatchObject({ source: 'app:idle', state: 'waiting', stats: { names: ['keeper'] } });
    expect(procs[0].parent).toMatch(new RegExp(`^${pidPattern('node:control', { uniq: '0x[0-9a-f]+' }).source}$`));
    expect(out.states).toEqual([expect.objectContaining({ id: 'app:idle-service', status: 'Running', desired: 'Running', retry_count: 0 })]);
    expect((out.one as { started_at: number }).started_at).toBeGreaterThan(1.7e18);
    expect(out).toMatchObject({
      none: 'nil', err: 'get service state: service not found: app:nope', kind: 'Internal', err2: 'host ID required',
      id: 'local', role: 'non-member', size: 1, raft: 'Internal',
    });
  }, 20000);

  test('exit(code) shuts the runtime down gracefully and exits with code', async () => {
    const dir = project(`local system = require("system")
return { main = function()
  assert(system.exit(7))
  coroutine.yield()
  local e = process.events():receive()
  return "cancelled: " .. tostring(e.kind)
end }`);
    const r = await wisp(['run', '-x', 'app:terminal/app:check'], { cwd: dir });
    expect(r.code).toBe(7);
    const bad = await wisp(['run', '-s', '-x', 'app:terminal/app:check'], {
      cwd: project(`local system = require("system")
return { main = function() local ok, err = system.exit("x"); return tostring(ok) .. " " .. tostring(err) .. " " .. err:kind() end }`),
    });
    expect(bad.stdout).toBe('nil exit code must be an integer Invalid\n');
  }, 20000);

  test('exit(code) from the -x process that ignores CANCEL: it is terminated without a word, the code is kept', async () => {
    const dir = project(`local system = require("system")
local time = require("time")
return { main = function()
  system.exit(3)
  time.sleep("1h")
end }`);
    const r = await wisp(['run', '-x', 'app:terminal/app:check'], { cwd: dir });
    expect([r.code, r.stdout, r.stderr]).toEqual([3, '', '']);
  }, 20000);

  test('hostile scripts: tables are read-only, results are copies, gc.collect in a loop is throttled', async () => {
    const dir = project(`local system = require("system")
local time = require("time")
return { main = function()
  local ok1 = pcall(function() system.memory = {} end)
  local ok2 = pcall(function() system.memory.stats = function() return {} end end)
  local ok3 = pcall(rawset, system.hosts, "list", print)
  local states = system.supervisor.states()
  states[1].status = "Hacked"
  local again = system.supervisor.state("app:idle-service")
  local limit_ok, limit_err = system.memory.set_limit(1024)
  -- A heap big enough that 200 full collections would take seconds: only the throttle keeps this quick.
  local big = {}
  for i = 1, 300000 do big[i] = { i } end
  local t0 = time.now()
  for i = 1, 200 do system.gc.collect() end
  local ms = time.now():sub(t0):milliseconds()
  return string.format("%s %s %s %s %s %s", tostring(ok1), tostring(ok2), tostring(ok3), again.status,
    tostring(limit_ok) .. ":" .. limit_err:kind(), ms < 1500 and "throttled" or ("slow " .. ms), #big)
end }`);
    const r = await wisp(['run', '-s', '-x', 'app:terminal/app:check'], { cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('false false false Running nil:Invalid throttled\n');
  }, 20000);
});
