/**
 * `wisp run --threads N` as a child process (needs `npm run build`): the tutorial's echo service with the CLI on
 * thread 1 and the relay and its workers on thread 2; bad values of the flag; one thread is today's node.
 */
import { readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { ECHO, ROOT, logged, projectCopy, sleep, startWisp, wisp, writeProject } from '../helpers/cli';
import { until } from '../helpers/poll';

/** A service on thread 2 writes to a SQLite file through its thread's db service; `-x` on thread 1 reads it. */
function sharedDatabaseProject(): string {
  const dir = writeProject({
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
    file: DBFILE
    lifecycle: { auto_start: true }
  - name: writer
    kind: process.lua
    source: file://writer.lua
    method: main
    modules: [sql]
  - name: writer_service
    kind: process.service
    process: app:writer
    host: app:processes
    lifecycle: { auto_start: true }
  - name: reader
    kind: process.lua
    source: file://reader.lua
    method: main
    modules: [sql, time, io]
`,
    'writer.lua': `local sql = require("sql")
local function main()
  local db = assert(sql.get("app:db"))
  assert(db:execute("CREATE TABLE IF NOT EXISTS notes (body TEXT)"))
  assert(db:execute("INSERT INTO notes VALUES (?)", { process.pid() }))
  process.registry.register("writer")
  process.events():receive() -- the CANCEL of shutdown
end
return { main = main }
`,
    'reader.lua': `local sql = require("sql")
local time = require("time")
local io = require("io")
local function main()
  while process.registry.lookup("writer") == nil do time.sleep("20ms") end
  local db = assert(sql.get("app:db"))
  local rows = assert(db:query("SELECT body FROM notes"))
  io.print("me: " .. process.pid())
  io.print("rows: " .. #rows .. " " .. rows[1].body .. " " .. process.registry.lookup("writer"))
  return 0
end
return { main = main }
`,
  });
  const index = join(dir, 'src', '_index.yaml');
  writeFileSync(index, readFileSync(index, 'utf8').replace('DBFILE', JSON.stringify(join(dir, 'notes.db'))));
  return dir;
}

/** A pinger on thread 2 and a ponger on thread 1 (their hosts' threads) make 3000 round trips, then idle. */
function pingPongProject(): string {
  return writeProject({
    '_index.yaml': `version: "1.0"
namespace: app
entries:
  - name: a_hosts
    kind: process.host
    lifecycle: { auto_start: true }
  - name: b_hosts
    kind: process.host
    lifecycle: { auto_start: true }
  - name: pingpong
    kind: process.lua
    source: file://pingpong.lua
    method: main
    modules: [logger, time]
  - name: ponger
    kind: process.service
    process: app:pingpong
    host: app:b_hosts
    input: [pong]
    lifecycle: { auto_start: true }
  - name: pinger
    kind: process.service
    process: app:pingpong
    host: app:a_hosts
    input: [ping]
    lifecycle: { auto_start: true }
`,
    'pingpong.lua': `local logger = require("logger")
local time = require("time")
local function main(role)
  local inbox = process.inbox()
  if role == "pong" then
    process.registry.register("ponger")
    while true do
      local m = inbox:receive()
      process.send(m:payload():data(), "pong", process.pid())
    end
  end
  while process.registry.lookup("ponger") == nil do time.sleep("10ms") end
  local other
  for _ = 1, 3000 do
    process.send("ponger", "ping", process.pid())
    other = inbox:receive():payload():data()
  end
  logger:info("round trips done", { me = process.pid(), other = other })
  inbox:receive()
end
return { main = main }
`,
  });
}

/** CPU seconds (user + system, every thread) process `pid` has used. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

describe('wisp run --threads', () => {
  test('--threads 2 at rest after traffic between threads: near no CPU (the transport polls only after sends, and briefly)', async () => {
    const run = startWisp(['run', '--threads', '2'], pingPongProject());
    try {
      const done = await until('the round trips', () => logged(run.err(), 'round trips done')[0], 60_000, run.err);
      expect(String(done.me)).toMatch(/^\{t2@/);
      expect(String(done.other)).toMatch(/^\{t1@/);
      await sleep(500);
      const before = cpuSeconds(run.child.pid as number);
      await sleep(3000);
      // A bound for a loaded machine: a thread polling without end would be 3 s (100%) or more.
      expect(cpuSeconds(run.child.pid as number) - before).toBeLessThan(0.6);
    } finally {
      run.child.kill('SIGINT');
      expect(await run.exited).toBe(0);
    }
  }, 90_000);

  test('--threads 2: the echo tutorial answers from workers on thread 2', async () => {
    const r = await wisp(['run', '--threads', '2', '-x', 'app:terminal/app:cli'], { cwd: ECHO, input: 'hello threads\nagain\n', timeoutMs: 60_000 });
    // The tutorial's relay (on thread 2) ignores CANCEL, and thread 1 says so, as on one thread.
    expect(r.stderr).toBe('app:relay-service did not stop on CANCEL; waiting up to 10s (stop_timeout); Ctrl+C to exit now\n');
    expect(r.stdout).toMatch(/> {3}HELLO THREADS\n {2}from worker: \{t2@app:processes\|0x[0-9a-f]{5,}\}\n/);
    expect(r.stdout).toMatch(/> {3}AGAIN\n {2}from worker: \{t2@app:processes\|0x[0-9a-f]{5,}\}\n/);
    expect(r.stdout).toContain('Goodbye!');
    expect(r.code).toBe(0);
  }, 90_000);

  test('--threads 1 is the node of today: PIDs without a node part', async () => {
    const r = await wisp(['run', '--threads', '1', '-x', 'app:terminal/app:cli'], { cwd: ECHO, input: 'one\n', timeoutMs: 60_000 });
    expect(r.stdout).toMatch(/ {2}ONE\n {2}from worker: \{app:processes\|0x[0-9a-f]{5,}\}\n/);
    expect(r.code).toBe(0);
  }, 90_000);

  test('a database service runs on every thread: a row written on thread 2 is read on thread 1', async () => {
    const dir = sharedDatabaseProject();
    const r = await wisp(['run', '--threads', '2', '-x', 'app:reader'], { cwd: dir, timeoutMs: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^me: \{t1@app:terminal\|0x[0-9a-f]{5,}\}\nrows: 1 (\{t2@app:processes\|0x[0-9a-f]{5,}\}) \1\n$/);
    expect(r.code).toBe(0);
  }, 90_000);

  test('SIGINT: every thread shuts its services down, stop level by stop level; the run exits 0', async () => {
    const dir = projectCopy(join(ROOT, 'fixtures', 'cluster'), {
      'src/_index.yaml': (text) =>
        `${text}\n  - name: factory_service\n    kind: process.service\n    process: app:factory\n    host: app:processes\n    lifecycle:\n      auto_start: true\n`,
    });
    const run = startWisp(['run', '--threads', '3'], dir);
    try {
      await until('the runtime to be ready', () => run.err().includes('runtime ready') || !run.running(), 30_000, () => run.err());
      await sleep(100);
    } finally {
      run.child.kill('SIGINT');
    }
    expect(await run.exited).toBe(0);
    expect(run.err()).toMatch(/factory registered true nil\s+\{"pid": "\{t2@app:processes\|0x[0-9a-f]{5,}\}"/);
    expect(run.err()).toContain('factory cancelled: service stopping');
    expect(run.err()).not.toMatch(/WARN|ERROR/);
  }, 60_000);

  test('shutdown keeps dependency order across threads: a service on thread 2 that needs one on thread 1 stops first, and may still use it', async () => {
    // Hosts are dealt from thread 2 in id order: app:a_host on t2, app:b_host on t1.
    const dir = writeProject({
      '_index.yaml': `version: "1.0"
namespace: app
entries:
  - { name: a_host, kind: process.host, lifecycle: { auto_start: true } }
  - { name: b_host, kind: process.host, lifecycle: { auto_start: true } }
  - { name: svc, kind: process.lua, source: file://svc.lua, method: main, modules: [logger] }
  - { name: ledger, kind: process.service, process: app:svc, host: app:b_host, input: [ledger], lifecycle: { auto_start: true } }
  - { name: user, kind: process.service, process: app:svc, host: app:a_host, input: [user], lifecycle: { auto_start: true, requires: [app:ledger] } }
`,
      'svc.lua': `local logger = require("logger")
local function main(role)
  process.registry.register(role)
  local inbox, events = process.inbox(), process.events()
  while true do
    local r = channel.select { inbox:case_receive(), events:case_receive() }
    if r.channel == events and r.value.kind == process.event.CANCEL then
      if role == "user" then
        -- On its way out it still asks the ledger, which must be running.
        process.send("ledger", "ping", process.pid())
        local answer = inbox:receive()
        logger:info("user stopping: ledger answered " .. answer:payload():data())
      end
      return 0
    elseif r.channel == inbox then
      process.send(r.value:payload():data(), "pong", "pong")
    end
  end
end
return { main = main }
`,
    });
    const run = startWisp(['run', '--threads', '2'], dir);
    try {
      await until('both services to run', () => (run.err().match(/service running/g) ?? []).length === 2 || !run.running(), 30_000, () => run.err());
      expect(run.err()).toMatch(/service running\s+\{"service": "app:ledger", "pid": "\{t1@app:b_host\|/);
      expect(run.err()).toMatch(/service running\s+\{"service": "app:user", "pid": "\{t2@app:a_host\|/);
    } finally {
      run.child.kill('SIGINT');
    }
    expect(await run.exited).toBe(0);
    const err = run.err();
    expect(err).toContain('user stopping: ledger answered pong');
    // Each thread writes its own log lines, so their order in stderr is not the order of events: the times are.
    const at = (re: RegExp): number => Date.parse(new RegExp(`^(\\S+)\\s+INFO\\s+supervisor\\s+${re.source}`, 'm').exec(err)?.[1] ?? 'none');
    const userStopped = at(/service stopped\s+\{"service": "app:user"\}/);
    const ledgerStopping = at(/service stopping\s+\{"service": "app:ledger"\}/);
    expect(userStopped).toBeGreaterThan(0);
    expect(ledgerStopping).toBeGreaterThanOrEqual(userStopped);
    expect(err).not.toMatch(/WARN|ERROR/);
  }, 60_000);

  test('--threads with a cluster that cannot be reached is one line naming the server, before any thread starts', async () => {
    const r = await wisp(['run', '--threads', '2', '--cluster', 'nats://127.0.0.1:1', '--node', 'a'], { cwd: ECHO, timeoutMs: 30_000 });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^Error: cannot join the cluster at nats:\/\/127\.0\.0\.1:1: .+\n$/);
  }, 40_000);

  test.each(['0', 'two', '1.5', '-2', '100000'])('--threads %s is refused with one line', async (value) => {
    const r = await wisp(['run', '--threads', value, '-x', 'app:terminal/app:cli'], { cwd: ECHO });
    expect(r.stderr).toBe(`Error: --threads must be a whole number from 1 to 256, not "${value}"\n`);
    expect(r.code).not.toBe(0);
  });
});
