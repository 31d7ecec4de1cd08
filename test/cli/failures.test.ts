/**
 * What a user sees when something goes wrong under -x and `run <command>`: the explanation reaches stderr, one
 * line each, naming the file; tracebacks with -v; shutdown says what it waits for; exit codes as in Wippy.
 */
import { mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { ECHO, indexWithHosts, projectCopy, ROOT, sleep, startWisp, wisp, writeProject } from '../helpers/cli';

const APP = join(ROOT, 'fixtures', 'cli', 'app');
/** A tutorial copy whose relay fails at the top of its loop (it is restarted after ~1 s and fails again). */
const crashingRelay = (): string =>
  projectCopy(ECHO, {
    'src/relay.lua': (s) => s.replace('    while true do\n        local r = channel.select', '    while true do\n        local nope = nil; local _ = nope.field\n        local r = channel.select'),
  });
const LINE = /^ +\d+\.\d\ds {2}/.source;

describe('under -x, what explains a failure reaches stderr', () => {
  test('a missing wippy.lock', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wisp-nolock-'));
    const r = await wisp(['run', '-x', 'app:cli'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`${LINE}WARN {3}registry {6}no wippy\\.lock found in .*, starting with an empty registry\\nError: entry app:cli not found\\n$`));
  });

  test('a typo in kind: the entry asked for names its file and kind; -s keeps only the error', async () => {
    const dir = projectCopy(ECHO, { 'src/_index.yaml': (y) => y.replace('  - name: cli\n    kind: process.lua', '  - name: cli\n    kind: process.lau') });
    const r = await wisp(['run', '-x', 'app:terminal/app:cli'], { cwd: dir });
    expect([r.code, r.stdout]).toEqual([1, '']);
    expect(r.stderr).toBe('Error: entry app:cli not found: src/_index.yaml:15: entry app:cli: unknown kind "process.lau" (did you mean "process.lua"?), entry skipped\n');
  });

  test('an ignored field is a warning on stderr; -s silences it', async () => {
    const dir = projectCopy(APP, { 'src/_index.yaml': (y) => y.replace('  - name: processes\n    kind: process.host\n    lifecycle:\n', '  - name: processes\n    kind: process.host\n    lifecycle:\n      auto_strat: true\n') });
    const r = await wisp(['run', '-x', 'cli:outcome', 'string'], { cwd: dir });
    expect([r.code, r.stdout]).toEqual([0, 'a string result\n']);
    expect(r.stderr).toMatch(new RegExp(`${LINE}WARN {3}registry {6}src/_index\\.yaml:10: entry cli:processes: unknown field "lifecycle\\.auto_strat" ignored\\n$`));
    const s = await wisp(['run', '-s', '-x', 'cli:outcome', 'string'], { cwd: dir });
    expect([s.code, s.stderr]).toEqual([0, '']);
  });

  test('a failing service: one ERROR line naming the file; the tutorial client still says what it says', async () => {
    const r = await wisp(['run', '-x', 'app:cli'], { cwd: crashingRelay(), input: 'hello\n' });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('  error: relay not available\n');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(1);
    for (const line of lines) {
      expect(line).toMatch(new RegExp(`${LINE}ERROR {2}supervisor {4}service failed {2}\\{"service": "app:relay-service", "error": "src/relay\\.lua:29 \\(app:relay\\): attempt to index a nil value \\(local 'nope'\\)", "attempts": \\d, "next_delay_ms": \\d+\\}$`));
    }
    const silent = await wisp(['run', '-s', '-x', 'app:cli'], { cwd: crashingRelay(), input: 'hello\n' });
    expect([silent.code, silent.stderr]).toEqual([0, '']);
  });

  test('with -v the failing service line carries its traceback', async () => {
    const r = await wisp(['run', '-v', '-x', 'app:cli'], { cwd: crashingRelay(), input: 'hello\n' });
    expect(r.stderr).toMatch(/\tERROR\tsupervisor\tservice failed\t\{"service": "app:relay-service", .*"traceback": "stack traceback:\\n\\tsrc\/relay\.lua:29 \(app:relay\): in function/);
  });
});

describe('a failing -x process', () => {
  test.each([['-v'], ['--very-verbose']])('%s adds the Lua traceback, naming the files', async (flag) => {
    const r = await wisp(['run', flag, '-x', 'cli:outcome', 'error'], { cwd: APP });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\nsrc\/outcome\.lua:11 \(cli:outcome\): it broke\nstack traceback:\n\t\[JS\]: in function 'error'\n\tsrc\/outcome\.lua:11 \(cli:outcome\): in function <src\/outcome\.lua:4 \(cli:outcome\)>\n/);
  });

  test('without -v: the message alone', async () => {
    const r = await wisp(['run', '-x', 'cli:outcome', 'error'], { cwd: APP });
    expect([r.code, r.stderr]).toEqual([1, 'src/outcome.lua:11 (cli:outcome): it broke\n']);
  });
});

describe('shutdown', () => {
  const project = (main: string): string =>
    writeProject({
      '_index.yaml': indexWithHosts('down', `  - name: main
    kind: process.lua
    source: file://main.lua
    method: main
    modules: [io, time]
  - name: stubborn
    kind: process.lua
    source: file://stubborn.lua
    method: main
    modules: [time]
  - name: stubborn-service
    kind: process.service
    process: stubborn
    host: processes
    lifecycle:
      auto_start: true
      stop_timeout: 1s
`),
      'main.lua': main,
      'stubborn.lua': 'local time = require("time")\nreturn { main = function() while true do time.sleep("10ms") end end }',
    });

  test('the stop-wait notice starts on a line of its own and says why', async () => {
    const r = await wisp(['run', '-x', 'down:main'], { cwd: project('local io = require("io")\nreturn { main = function() io.write("> "); return 0 end }') });
    expect([r.code, r.stdout]).toEqual([0, '> ']);
    expect(r.stderr).toBe('\ndown:stubborn-service did not stop on CANCEL; waiting up to 1s (stop_timeout); Ctrl+C to exit now\n');
  });

  test('SIGINT while the -x process waits: exit 1 as in Wippy, and no "process terminated"', async () => {
    const dir = project('local io = require("io")\nlocal time = require("time")\nreturn { main = function() io.print("up"); time.sleep("1h") end }');
    const run = startWisp(['run', '-x', 'down:main'], dir);
    while (!run.out().includes('up\n')) await sleep(20);
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(1);
    expect(run.err()).toBe('down:stubborn-service did not stop on CANCEL; waiting up to 1s (stop_timeout); Ctrl+C to exit now\n');
  });

  test('SIGINT when the -x process handles CANCEL: its own exit code', async () => {
    const main = `local io = require("io")
return { main = function()
  io.print("up")
  local events = process.events()
  while true do
    local e = events:receive()
    if e.kind == process.event.CANCEL then return 3 end
  end
end }`;
    const run = startWisp(['run', '-x', 'down:main'], project(main));
    while (!run.out().includes('up\n')) await sleep(20);
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(3);
  });
});
