/**
 * Bad input through the real CLI: hostile or careless YAML, durations, source bytes, paths and names. Each is
 * one line on stderr naming the file (and entry), exit code 1, no JS stack trace, and it ends quickly.
 */
import { execFileSync, spawn } from 'child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { dirname, join } from 'path';
import { plain, sleep, WISP, wisp, type CliResult } from '../helpers/cli';
import { until } from '../helpers/poll';

const LOCK = 'directories:\n    modules: .wippy\n    src: ./src\n';
const HOSTS = `namespace: bad
entries:
  - {name: terminal, kind: terminal.host}
  - {name: processes, kind: process.host, lifecycle: {auto_start: true}}
`;
/** Generous: wisp boots in a fraction of a second; the bound is there to catch a hang, not to time it. */
const QUICK_MS = 10_000;

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A project in a temp dir: `files` maps paths (from the project root) to contents; wippy.lock unless given. */
function project(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(join(tmpdir(), 'wisp-bad-'));
  dirs.push(dir);
  for (const [file, content] of Object.entries({ 'wippy.lock': LOCK, ...files })) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), content);
  }
  return dir;
}

const lua = (name: string, source: string, extra = ''): string =>
  `  - {name: ${name}, kind: process.lua, method: main, source: ${JSON.stringify(source)}, modules: [time, io]${extra}}\n`;

const run = (dir: string, args: string[] = ['-x', 'bad:main']): Promise<CliResult> =>
  wisp(['run', ...args], { cwd: dir, timeoutMs: 3 * QUICK_MS });

function expectUserError(r: CliResult, line: string): void {
  expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code: 1, stdout: '', stderr: `Error: ${line}\n` });
  expect(r.stderr).not.toMatch(/^ {4}at /m);
  expect(r.ms).toBeLessThan(QUICK_MS);
}

function expectOk(r: CliResult, stdout: string): void {
  expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code: 0, stdout, stderr: '' });
}

/** `wisp run -c` as a live child, for the tests that signal it. */
function start(dir: string) {
  const child = spawn(process.execPath, [WISP, 'run', '-c'], { cwd: dir, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += plain(d.toString())));
  child.stderr.on('data', (d: Buffer) => (stderr += plain(d.toString())));
  let code: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => child.on('close', (c) => resolve((code = c))));
  const output = (): string => `stdout: ${stdout}\nstderr: ${stderr}`;
  /** Resolves once `test` holds; fails if the child exits first or after `ms`. */
  const untilSeen = (what: string, test: () => boolean, ms = QUICK_MS): Promise<boolean> =>
    until(what, () => {
      if (code !== undefined) throw new Error(`exited (${code}) before ${what}\n${output()}`);
      return test();
    }, ms, output);
  return { child, exited, until: untilSeen, out: () => stdout, err: () => stderr, running: () => code === undefined };
}


describe('YAML alias bombs', () => {
  // Nine levels of nine: 9^9 "lol"s once expanded, from a file under 1 KB.
  const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (const [prev, name] of ['ab', 'bc', 'cd', 'de', 'ef', 'fg', 'gh', 'hi']) {
    levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
  }
  const BOMB = levels.join('\n') + '\n';

  test('billion laughs in _index.yaml: one line naming the file, at once', async () => {
    const index = `${HOSTS}${lua('main', 'return { main = function() end }')}lols:\n${BOMB.replace(/^/gm, '  ')}`;
    expect(Buffer.byteLength(index)).toBeLessThan(1024);
    const r = await run(project({ 'src/_index.yaml': index }));
    expectUserError(r, 'src/_index.yaml: YAML aliases expand the document from 110 to 490329074 nodes (the limit is 100000 more than written)');
  });

  test('billion laughs in wippy.lock', async () => {
    const r = await run(project({ 'wippy.lock': LOCK + BOMB, 'src/_index.yaml': HOSTS }));
    expectUserError(r, 'wippy.lock: YAML aliases expand the document from 94 to 490329058 nodes (the limit is 100000 more than written)');
  });

  test('an alias inside its own anchor', async () => {
    const r = await run(project({ 'src/_index.yaml': `${HOSTS}${lua('main', 'return {}')}loop: &loop [*loop]\n` }));
    expectUserError(r, 'src/_index.yaml: an alias refers to a node that contains it (recursive alias)');
  });

  test('anchors shared the usual way still load', async () => {
    const index = `${HOSTS}  - {name: main, kind: process.lua, method: main, source: &src "return { main = function() return 'ok' end }"}
  - {name: again, kind: process.lua, method: main, source: *src}
`;
    expectOk(await run(project({ 'src/_index.yaml': index })), 'ok\n');
  });
});

describe('durations beyond Node\u2019s 24.8-day timer limit', () => {
  test('time.sleep, after, timer and ticker of 720h do not fire early, and Node prints no warning', async () => {
    const source = `local time = require("time")
return { main = function()
  local woke = false
  coroutine.spawn(function() time.sleep("720h") woke = true end)
  local after, timer, ticker = time.after("720h"), time.timer("720h"), time.ticker("720h")
  local r = channel.select { after:case_receive(), timer:channel():case_receive(), ticker:channel():case_receive(),
    time.after("500ms"):case_receive() }
  local which = r.channel == after and "after" or r.channel == timer:channel() and "timer"
    or r.channel == ticker:channel() and "ticker" or "500ms"
  return which .. " first, sleeper woke: " .. tostring(woke)
end }`;
    const r = await run(project({ 'src/_index.yaml': HOSTS + lua('main', 'file://main.lua'), 'src/main.lua': source }));
    expectOk(r, '500ms first, sleeper woke: false\n');
  });

  const LEDGER = `local time = require("time")
local behaviours = {}
-- Counts the crasher's starts and answers how many there were.
function behaviours.ledger()
  process.registry.register("ledger")
  local starts = 0
  local inbox, events = process.inbox(), process.events()
  while true do
    local r = channel.select { inbox:case_receive(), events:case_receive() }
    if r.channel == events then
      if r.value.kind == process.event.CANCEL then return 0 end
    elseif r.value:topic() == "start" then starts = starts + 1
    else process.send(r.value:from(), "starts", starts) end
  end
end
function behaviours.crasher()
  process.send("ledger", "start", true)
  error("crash", 0)
end
local function starts()
  process.send("ledger", "count", true)
  return process.inbox():receive():payload():data()
end
-- Waits for the first start, watches a second more, and reports the count.
function behaviours.probe()
  while starts() == 0 do time.sleep("20ms") end
  time.sleep("1s")
  return "crasher started " .. starts() .. " time(s)"
end
function behaviours.stubborn()
  while true do time.sleep("10ms") end
end
return { main = function(b) return behaviours[b or "probe"]() end }`;

  const service = (name: string, lifecycle: string): string => `  - name: ${name}
    kind: process.service
    process: svc
    host: processes
    input: [${name}]
    lifecycle: {auto_start: true, ${lifecycle}}
`;
  const services = (...more: string[]): Record<string, string> => ({
    'src/_index.yaml': HOSTS + lua('svc', 'file://svc.lua') + service('ledger', 'stop_timeout: 1s') + more.join(''),
    'src/svc.lua': LEDGER,
  });

  test('restart.initial_delay: 720h waits 720h before restarting a crashed service', async () => {
    const dir = project(
      services(service('crasher', 'requires: [ledger], restart: {initial_delay: 720h, max_delay: 1000h, jitter: 0}')),
    );
    const r = await run(dir, ['-x', 'bad:svc']);
    expect([r.code, r.stdout]).toEqual([0, 'crasher started 1 time(s)\n']);
    // Under -x a failing service is one ERROR line on stderr; its next try is 720h away.
    expect(r.stderr).toMatch(/^ +\d+\.\d\ds {2}ERROR {2}supervisor {4}service failed {2}\{"service": "bad:crasher", "error": "crash", "attempts": 1, "next_delay_ms": 2592000000\}\n$/);
  });

  test('stop_timeout: 720h waits 720h for a service that ignores CANCEL; a second SIGINT exits at once', async () => {
    const app = start(project(services(service('stubborn', 'stop_timeout: 720h'))));
    await app.until('the service running', () => app.out().includes('service running  {"service": "bad:stubborn"'));
    app.child.kill('SIGINT');
    const waiting = 'bad:stubborn did not stop on CANCEL; waiting up to 2592000s (stop_timeout); Ctrl+C to exit now\n';
    await app.until('the waiting notice', () => app.err().includes(waiting));
    await sleep(1000);
    expect(app.running()).toBe(true);
    expect(app.out()).not.toContain('stop timeout');
    app.child.kill('SIGINT');
    expect(await app.exited).toBe(1);
    expect(app.err()).toBe(`${waiting}force exit\n`);
  });
});

describe('Lua sources are compiled from their bytes', () => {
  const RAW = Buffer.concat([
    Buffer.from('return { main = function()\n  local s = "'),
    Buffer.from([0xff, 0xfe]),
    Buffer.from('"\n  local t: string = "h\u00e9llo"\n  local l = load("return \'" .. string.char(255, 0, 254) .. "\'")()\n'),
    Buffer.from('  return #s .. " " .. table.concat({ string.byte(s, 1, -1) }, ",") .. " " .. #t .. " " .. #l\nend }\n'),
  ]);

  test('raw bytes in a literal stay raw (typed source and load() too); UTF-8 text keeps its byte length', async () => {
    const r = await run(project({ 'src/_index.yaml': HOSTS + lua('main', 'file://main.lua'), 'src/main.lua': RAW }));
    expectOk(r, '2 255,254 6 3\n');
  });

  test('an inline source is UTF-8', async () => {
    const r = await run(project({ 'src/_index.yaml': HOSTS + lua('main', 'return { main = function() return #"h\u00e9llo" end }') }));
    expect([r.code, r.stderr]).toEqual([6, '']);
  });

  test('a syntax error quoting non-ASCII source text stays readable', async () => {
    const r = await run(project({ 'src/_index.yaml': HOSTS + lua('main', 'file://main.lua'), 'src/main.lua': 'local x = 1\n"h\u00e9llo" = 2\n' }));
    expectUserError(r, 'src/main.lua:2: syntax error: unexpected symbol near \'"h\u00e9llo"\' (entry bad:main)');
  });
});

describe('nothing outside the project root is read', () => {
  const OK = 'return { main = function() return "ok" end }';
  const withSource = (ref: string): string => HOSTS + lua('main', ref);

  test.each([
    ['file:///../../../../etc/passwd', 'file:///../../../../etc/passwd escapes the source directory (path traversal)'],
    ['file://../../../../etc/passwd', 'file://../../../../etc/passwd escapes the project root (path traversal)'],
    [`file://${'../'.repeat(20)}dev/zero`, `file://${'../'.repeat(20)}dev/zero escapes the project root (path traversal)`],
  ])('source %s', async (ref, reason) => {
    const r = await run(project({ 'src/_index.yaml': withSource(ref) }));
    expectUserError(r, `src/_index.yaml:5: entry bad:main: field "source": ${reason}`);
  });

  test('file:///p is p in the source directory, as in Wippy', async () => {
    const r = await run(project({ 'src/_index.yaml': withSource('file:///lib/main.lua'), 'src/lib/main.lua': OK }));
    expectOk(r, 'ok\n');
  });

  test.each([
    ['/etc/passwd', `leads outside the project directory (to ${realpathSync('/etc/passwd')})`],
    ['/dev/zero', `leads outside the project directory (to ${realpathSync('/dev/zero')})`],
  ])('a source that is a symbolic link to %s', async (target, reason) => {
    const dir = project({ 'src/_index.yaml': withSource('file://main.lua') });
    symlinkSync(target, join(dir, 'src', 'main.lua'));
    const r = await run(dir);
    expectUserError(r, `src/_index.yaml:5: entry bad:main: field "source": cannot read file://main.lua (src/main.lua): ${reason}`);
  });

  test('a FIFO as a source is refused, never opened', async () => {
    const dir = project({ 'src/_index.yaml': withSource('file://main.lua') });
    execFileSync('mkfifo', [join(dir, 'src', 'main.lua')]);
    const r = await run(dir);
    expectUserError(r, 'src/_index.yaml:5: entry bad:main: field "source": cannot read file://main.lua (src/main.lua): not a regular file (a FIFO)');
  });

  test('a FIFO as a definition file or as wippy.lock', async () => {
    const dir = project({ 'src/_index.yaml': withSource(OK) });
    execFileSync('mkfifo', [join(dir, 'src', 'more.yaml')]);
    expectUserError(await run(dir), 'src/more.yaml: not a regular file (a FIFO)');
    rmSync(join(dir, 'src', 'more.yaml'));
    rmSync(join(dir, 'wippy.lock'));
    execFileSync('mkfifo', [join(dir, 'wippy.lock')]);
    expectUserError(await run(dir), 'wippy.lock: cannot read file: not a regular file (a FIFO)');
  });

  test('a symbolic link under src/ to / is not walked', async () => {
    const dir = project({ 'src/_index.yaml': withSource(OK) });
    symlinkSync('/', join(dir, 'src', 'root'));
    expectUserError(await run(dir), 'src/root: symbolic link leads outside the project directory (to /)');
  });

  test('a definition file that links out of the project', async () => {
    const dir = project({ 'src/_index.yaml': withSource(OK) });
    symlinkSync('/dev/zero', join(dir, 'src', 'zero.yaml'));
    expectUserError(await run(dir), `src/zero.yaml: symbolic link leads outside the project directory (to ${realpathSync('/dev/zero')})`);
  });

  test.each([
    ['/', 'leads outside the project directory (to /)'],
    ['..', `leads outside the project directory (to ${realpathSync(tmpdir())})`],
    ['./missing', 'not found'],
    ['./wippy.lock', 'not a directory'],
  ])('directories.src: %s', async (src, reason) => {
    const dir = project({ 'wippy.lock': `directories:\n    src: ${src}\n`, 'src/_index.yaml': withSource(OK) });
    expectUserError(await run(dir), `wippy.lock: source directory "${src}" ${reason}`);
  });

  test('links inside the project are followed, each directory once: link loops load', async () => {
    const dir = project({ 'src/_index.yaml': withSource('file://lib/main.lua'), 'shared/main.lua': OK });
    symlinkSync('../shared', join(dir, 'src', 'lib'));
    symlinkSync('.', join(dir, 'src', 'self'));
    symlinkSync('..', join(dir, 'src', 'up'));
    const r = await run(dir);
    expectOk(r, 'ok\n');
    expect(r.ms).toBeLessThan(QUICK_MS);
  });
});

describe('namespaces and names are ones an id can reach', () => {
  const entry = '  - {name: terminal, kind: terminal.host}\n';
  test.each([
    ['a:b', 'it must not contain ":", which separates the namespace from the name in an id'],
    ['a/b', 'it must not contain "/", which separates the host from the entry in -x host/entry'],
    ['a..b', 'its dot-separated parts must not be empty (no "..", no leading or trailing ".")'],
    ['.a', 'its dot-separated parts must not be empty (no "..", no leading or trailing ".")'],
    ['a.', 'its dot-separated parts must not be empty (no "..", no leading or trailing ".")'],
    ['"a\\tb"', 'it must not contain spaces or control characters'],
  ])('namespace %s', async (ns, reason) => {
    const r = await run(project({ 'src/_index.yaml': `namespace: ${ns}\nentries:\n${entry}` }));
    const shown = JSON.stringify(ns.startsWith('"') ? JSON.parse(ns) : ns);
    expectUserError(r, `src/_index.yaml: invalid namespace ${shown}: ${reason}`);
  });

  test.each([
    ['bad:relay', 'bad:bad:relay', 'it must not contain ":" (write the name alone: the namespace comes from the file)'],
    ['x/y', 'bad:x/y', 'it must not contain "/", which separates the host from the entry in -x host/entry'],
    ['"a b"', 'bad:a b', 'it must not contain spaces or control characters'],
  ])('name %s', async (name, id, reason) => {
    const r = await run(project({ 'src/_index.yaml': `${HOSTS}  - {name: ${name}, kind: process.lua, method: main, source: "return {}"}\n` }));
    const shown = JSON.stringify(name.startsWith('"') ? JSON.parse(name) : name);
    expectUserError(r, `src/_index.yaml:5: entry ${id}: invalid name ${shown}: ${reason}`);
  });

  test('names with dots, dashes and underscores, and dotted namespaces, are fine', async () => {
    const index = `namespace: app.workers
entries:
  - {name: terminal, kind: terminal.host}
  - {name: kv_server.service-2, kind: process.lua, method: main, source: "return { main = function() return 'ok' end }"}
`;
    expectOk(await run(project({ 'src/_index.yaml': index }), ['-x', 'app.workers:kv_server.service-2']), 'ok\n');
  });
});
