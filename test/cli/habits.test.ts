/** Wippy's CLI habits in wisp: version, run list, -o, --set, --config, registry list/show, log formats, --help. */
import { mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { indexWithHosts, projectCopy, ROOT, wisp, writeProject } from '../helpers/cli';
import { pidPattern } from '../helpers/pid';

const APP = join(ROOT, 'fixtures', 'cli', 'app');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const FENGARI = (JSON.parse(readFileSync(join(ROOT, 'node_modules', 'fengari', 'package.json'), 'utf8')) as { version: string }).version;

describe('wisp version', () => {
  test.each([[['-V']], [['--version']], [['version', '--short']]])('%j prints the version number', async (args) => {
    const r = await wisp(args);
    expect([r.code, r.stdout]).toEqual([0, `${VERSION}\n`]);
  });

  test('wisp version names wisp, Node.js and Fengari', async () => {
    const r = await wisp(['version']);
    expect([r.code, r.stdout]).toEqual([0, `wisp ${VERSION} (Node.js ${process.version}, Fengari ${FENGARI}: Lua 5.3)\n`]);
  });
});

describe('wisp run list', () => {
  test('lists the entries with meta.command: name, short and entry id', async () => {
    const r = await wisp(['run', 'list'], { cwd: APP });
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toBe('Available commands:\n\n  greet  Greets its arguments  (cli:greet)\n\nRun with: wisp run <command>\n');
  });

  test('a project without commands says how to define one', async () => {
    const r = await wisp(['run', 'list'], { cwd: join(ROOT, 'lua', 'echo-service') });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^No commands found\.\n\nTo define a command, add 'command' to entry meta:\n {2}meta:\n {4}command:\n/);
  });
});

describe('-o ns:entry:field=value overrides an entry before it is checked', () => {
  test('a field: the entry runs another method', async () => {
    const r = await wisp(['run', '-o', 'cli:outcome:method=greet', '-x', 'cli:outcome', 'Ada'], { cwd: APP });
    expect([r.code, r.stdout]).toEqual([0, 'hello Ada\n']);
  });

  test('a nested path and a typed value: a bad one is reported like bad YAML', async () => {
    const r = await wisp(['run', '-o', 'cli:processes:lifecycle.auto_start=maybe', '-x', 'cli:outcome', 'string'], { cwd: APP });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Error: src\/_index\.yaml:10: entry cli:processes: .*auto_start.*\n$/);
  });

  test.each([
    ['cli:outcome=1', 'Error: invalid override "cli:outcome=1": expected namespace:entry:field=value\n'],
    ['cli:nope:method=x', 'Error: override cli:nope:method: entry cli:nope not found\n'],
  ])('%s is one line and exit code 1', async (o, stderr) => {
    const r = await wisp(['run', '-o', o, '-x', 'cli:outcome'], { cwd: APP });
    expect([r.code, r.stdout, r.stderr]).toEqual([1, '', stderr]);
  });
});

describe('.wippy.yaml, --config and --set', () => {
  const withConfig = (yaml: string): string => {
    const dir = projectCopy(APP);
    writeFileSync(join(dir, '.wippy.yaml'), yaml);
    return dir;
  };

  test('--config naming a missing file is an error; a missing default .wippy.yaml is not', async () => {
    const r = await wisp(['--config', 'nope.yaml', 'run', '-x', 'cli:outcome', 'string'], { cwd: APP });
    expect([r.code, r.stderr]).toEqual([1, 'Error: config file nope.yaml: not found\n']);
    expect((await wisp(['run', '-x', 'cli:outcome', 'string'], { cwd: APP })).code).toBe(0);
  });

  test('logger.level from the file, and --set over it', async () => {
    const dir = withConfig('version: "1.0"\nlogger:\n  level: error\n');
    const quiet = await wisp(['run', '-c', '-x', 'cli:outcome', 'string'], { cwd: dir });
    expect(quiet.stdout).toBe('a string result\n');
    const loud = await wisp(['run', '-c', '--set', 'logger.level=info', '-x', 'cli:outcome', 'string'], { cwd: dir });
    expect(loud.stdout).toMatch(/INFO {3}run {11}runtime ready\n/);
  });

  test('shutdown.timeout bounds a shutdown that a service would keep waiting', async () => {
    const dir = writeProject({
      '_index.yaml': indexWithHosts('slow', `  - name: main
    kind: process.lua
    source: file://main.lua
    method: main
  - name: stubborn
    kind: process.lua
    source: file://stubborn.lua
    method: main
    modules: [time]
  - name: stubborn-service
    kind: process.service
    process: stubborn
    host: processes
    lifecycle: { auto_start: true, stop_timeout: 60s }
`),
      'main.lua': 'return { main = function() return 0 end }',
      'stubborn.lua': 'local time = require("time")\nreturn { main = function() while true do time.sleep("10ms") end end }',
    });
    writeFileSync(join(dir, '.wippy.yaml'), 'version: "1.0"\nshutdown:\n  timeout: 500ms\n');
    const r = await wisp(['run', '-x', 'slow:main'], { cwd: dir, timeoutMs: 30_000 });
    expect(r.code).toBe(0);
    expect(r.ms).toBeLessThan(20_000); // the service alone would hold it for 60 s
  });

  test('the override section works like -o', async () => {
    const dir = withConfig('version: "1.0"\noverride:\n  "cli:outcome:method": greet\n');
    const r = await wisp(['run', '-x', 'cli:outcome', 'Grace'], { cwd: dir });
    expect([r.code, r.stdout]).toEqual([0, 'hello Grace\n']);
  });

  test('keys wisp does not use are named in a warning, even under -x', async () => {
    const dir = withConfig('version: "1.0"\nprofiler:\n  enabled: true\n');
    const r = await wisp(['run', '-x', 'cli:outcome', 'string'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^ +\d+\.\d\ds {2}WARN {3}config {8}\.wippy\.yaml: profiler\.enabled is not used by wisp \(ignored\)\n$/);
  });

  test('security.strict_mode: a process without an actor is denied what the default allows; --set too', async () => {
    const dir = writeProject({
      '_index.yaml': indexWithHosts('sec', `  - name: mem
    kind: env.storage.memory
  - name: greeting
    kind: env.variable
    variable: GREETING
    storage: mem
    default: hi
  - name: main
    kind: process.lua
    source: file://main.lua
    method: main
    modules: [env]
`),
      'main.lua': 'local env = require("env")\nreturn { main = function() local v, err = env.get("GREETING") return v or err:kind() end }',
    });
    expect((await wisp(['run', '-x', 'sec:main'], { cwd: dir })).stdout).toBe('hi\n');
    expect((await wisp(['run', '--set', 'security.strict_mode=true', '-x', 'sec:main'], { cwd: dir })).stdout).toBe('PermissionDenied\n');
    writeFileSync(join(dir, '.wippy.yaml'), 'version: "1.0"\nsecurity:\n  strict_mode: true\n');
    const strict = await wisp(['run', '-x', 'sec:main'], { cwd: dir });
    expect([strict.stdout, strict.stderr]).toEqual(['PermissionDenied\n', '']);
    writeFileSync(join(dir, '.wippy.yaml'), 'version: "1.0"\nsecurity:\n  strict_mode: sometimes\n');
    expect((await wisp(['run', '-x', 'sec:main'], { cwd: dir })).stderr).toBe('Error: security.strict_mode: expected true or false, got "sometimes"\n');
  });

  test.each([
    ['logger:\n  level: info\n', 'Error: .wippy.yaml: missing "version" field\n'],
    ['version: "2.0"\n', 'Error: .wippy.yaml: unsupported version "2.0" (supported: 1.0)\n'],
    ['version: "1.0"\nlogger:\n  level: loud\n', 'Error: logger.level: expected one of debug, info, warn, error, got "loud"\n'],
    ['version: "1.0"\nshutdown:\n  timeout: soon\n', 'Error: shutdown.timeout: time: invalid duration "soon"\n'],
  ])('bad config %j is one line', async (yaml, stderr) => {
    const r = await wisp(['run', '-x', 'cli:outcome', 'string'], { cwd: withConfig(yaml) });
    expect([r.code, r.stderr]).toEqual([1, stderr]);
  });

  test('--set needs section.path=value', async () => {
    const r = await wisp(['run', '--set', 'level=debug', '-x', 'cli:outcome'], { cwd: APP });
    expect([r.code, r.stderr]).toEqual([1, 'Error: invalid --set "level=debug": key must be section.path (e.g. logger.level)\n']);
  });

  test('logger.encoding: json writes one JSON object per line on stdout', async () => {
    const dir = withConfig('version: "1.0"\nlogger:\n  encoding: json\n');
    const r = await wisp(['run', '-v', '-x', 'cli:outcome', 'string'], { cwd: dir });
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.filter((l) => !l.startsWith('{'))).toEqual(['a string result']);
    const records = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records).toContainEqual(expect.objectContaining({ level: 'info', logger: 'run', msg: 'runtime ready' }));
    expect(records.every((x) => typeof x.ts === 'string')).toBe(true);
  });
});

describe('wisp registry', () => {
  test('list: a table sorted by id, with a total', async () => {
    const r = await wisp(['registry', 'list'], { cwd: APP });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        'ID             KIND         ',
        '-------------  -------------',
        'cli:greet      process.lua  ',
        'cli:outcome    process.lua  ',
        'cli:outside    process.lua  ',
        'cli:processes  process.host ',
        'cli:terminal   terminal.host',
        '',
        'Total: 5 entries',
        '',
      ].join('\n'),
    );
  });

  test('list -k (glob) --json; -n; no match', async () => {
    const r = await wisp(['registry', 'list', '-k', '*.host', '--json'], { cwd: APP });
    expect(JSON.parse(r.stdout)).toEqual([
      { id: 'cli:processes', kind: 'process.host' },
      { id: 'cli:terminal', kind: 'terminal.host' },
    ]);
    const greet = await wisp(['registry', 'list', '--meta', 'command.name=greet', '--json'], { cwd: APP });
    expect(JSON.parse(greet.stdout)).toEqual([{ id: 'cli:greet', kind: 'process.lua', meta: { command: { name: 'greet', short: 'Greets its arguments' } } }]);
    const yaml = await wisp(['registry', 'list', '-n', 'cli', '--name', 'out*', '--yaml'], { cwd: APP });
    expect(yaml.stdout).toBe('- id: cli:outcome\n  kind: process.lua\n- id: cli:outside\n  kind: process.lua\n');
    const none = await wisp(['registry', 'list', '-n', 'other'], { cwd: APP });
    expect(none.stdout).toBe('No entries found\n');
  });

  test('show: kind, meta and the fields as written; by bare name; one field; JSON', async () => {
    const r = await wisp(['registry', 'show', 'greet'], { cwd: APP });
    expect(r.stdout).toBe(
      'ID:   cli:greet\nKind: process.lua\n\nMetadata:\n  command: {"name":"greet","short":"Greets its arguments"}\n\nData:\n  source: file://outcome.lua\n  method: greet\n  modules:\n    - io\n',
    );
    expect((await wisp(['registry', 'show', 'cli:greet', '-f', 'method'], { cwd: APP })).stdout).toBe('greet\n');
    expect((await wisp(['registry', 'show', 'cli:greet', '-f', 'modules', '--json'], { cwd: APP })).stdout).toBe('[\n  "io"\n]\n');
    const json = JSON.parse((await wisp(['registry', 'show', 'cli:outcome', '--json'], { cwd: APP })).stdout) as Record<string, unknown>;
    expect(json).toEqual({ id: 'cli:outcome', kind: 'process.lua', meta: {}, data: { source: 'file://outcome.lua', method: 'main', modules: ['io'] } });
  });

  test.each([
    [['registry', 'show', 'cli:nope'], 'Error: entry not found: cli:nope\n'],
    [['registry', 'show', 'greet', '-f', 'nope'], 'Error: field "nope" not found in entry cli:greet\n'],
  ])('%j is one line, exit 1', async (args, stderr) => {
    const r = await wisp(args, { cwd: APP });
    expect([r.code, r.stderr]).toEqual([1, stderr]);
  });

  test.each([[['registry', 'list']], [['registry', 'show', 'x']], [['run', 'list']]])('%j without a wippy.lock is one line', async (args) => {
    const dir = mkdtempSync(join(tmpdir(), 'wisp-nolock-'));
    const r = await wisp(args, { cwd: dir });
    expect([r.code, r.stdout, r.stderr]).toEqual([1, '', `Error: lock file not found: no wippy.lock in ${realpathSync(dir)} (\`wisp init\` writes one)\n`]);
  });

  test('entries of kinds wisp does not run are listed and shown too', async () => {
    const dir = writeProject({ '_index.yaml': 'version: "1.0"\nnamespace: web\nentries:\n  - name: gateway\n    kind: temporal.worker\n    addr: ":8080"\n' });
    const list = await wisp(['registry', 'list', '--json'], { cwd: dir });
    // Listed, and marked as left out of a run, with why.
    expect(JSON.parse(list.stdout)).toEqual([{ id: 'web:gateway', kind: 'temporal.worker', invalid: expect.stringMatching(/^src\/_index\.yaml:4: entry web:gateway: unknown kind "temporal\.worker", entry skipped/) as unknown }]);
    const show = await wisp(['registry', 'show', 'web:gateway', '-f', 'addr'], { cwd: dir });
    expect(show.stdout).toBe(':8080\n');
  });

  test('show with an ambiguous bare name', async () => {
    const dir = writeProject({
      'a/_index.yaml': 'version: "1.0"\nnamespace: a\nentries:\n  - name: same\n    kind: process.host\n',
      'b/_index.yaml': 'version: "1.0"\nnamespace: b\nentries:\n  - name: same\n    kind: process.host\n',
    });
    const r = await wisp(['registry', 'show', 'same'], { cwd: dir });
    expect([r.code, r.stderr]).toMatchObject([1, expect.stringMatching(/^Error: ambiguous entry name "same" \((a:same, b:same|b:same, a:same)\), use the full id namespace:name\n$/)]);
  });
});

describe('log formats', () => {
  const LOGGING = indexWithHosts('log', `  - name: main
    kind: process.lua
    source: file://main.lua
    method: main
    modules: [logger]
`);
  const MAIN = `return { main = function()
  require("logger"):named("app.part"):warn("tricky", { s = 'k":v","w', n = 3 })
  return 0
end }`;

  test('-c: seconds since start, level, component; field strings kept as they are', async () => {
    const dir = writeProject({ '_index.yaml': LOGGING, 'main.lua': MAIN });
    const r = await wisp(['run', '-c', '-x', 'log:main'], { cwd: dir });
    expect(r.code).toBe(0);
    const pid = pidPattern('log:terminal', { uniq: '0x[0-9a-f]+', thread: 1 }).source;
    expect(r.stdout).toMatch(new RegExp(`^ +\\d+\\.\\d\\ds {2}WARN {3}app\\.part {6}tricky {2}\\{"pid": "${pid}", "location": "log:main:2", "s": "k\\\\":v\\\\",\\\\"w", "n": 3\\}$`, 'm'));
  });

  test('level colours on a terminal that allows them; NO_COLOR turns them off', async () => {
    const dir = writeProject({ '_index.yaml': LOGGING, 'main.lua': MAIN });
    const coloured = await wisp(['run', '-c', '-x', 'log:main'], { cwd: dir, raw: true, env: { ...process.env, FORCE_COLOR: '1' } });
    expect(coloured.stdout).toContain('\x1b[33mWARN \x1b[39m');
    const plain = await wisp(['run', '-c', '-x', 'log:main'], { cwd: dir, raw: true, env: { ...process.env, FORCE_COLOR: '1', NO_COLOR: '1' } });
    expect(plain.stdout).not.toContain('\x1b[');
    expect(plain.stdout).toContain('WARN   app.part');
  });

  test('run --help lists the global flags', async () => {
    const r = await wisp(['run', '--help']);
    for (const flag of ['-v, --verbose', '--very-verbose', '-c, --console', '-s, --silent', '--config <file>', '-o, --override', '--set']) {
      expect(r.stdout).toContain(flag);
    }
  });
});
