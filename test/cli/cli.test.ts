import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { projectCopy, ROOT, wisp } from '../helpers/cli';

const APP = join(ROOT, 'fixtures', 'cli', 'app');
const run = (args: string[], input = '') => wisp(['run', ...args], { cwd: APP, input });

describe('exit codes and output of the terminal process', () => {
  test.each([
    ['string', 0, 'a string result\n', ''],
    ['number', 7, '', ''],
    ['float', 3, '', ''],
    ['true', 0, '', ''],
    ['false', 1, '', ''],
    ['table', 0, '', ''],
    ['nil', 0, '', ''],
    ['error', 1, '', 'src/outcome.lua:11 (cli:outcome): it broke\n'],
    ['errval', 1, '', 'returned error\n'],
  ])('returning %s', async (how, code, stdout, stderr) => {
    const r = await run(['-x', 'cli:outcome', how]);
    expect([r.code, r.stdout, r.stderr]).toEqual([code, stdout, stderr]);
  });

  test('arguments after -x reach main and io.args()', async () => {
    const r = await run(['-x', 'cli:terminal/cli:outcome', 'echoargs', 'b c']);
    expect([r.code, r.stdout]).toEqual([0, 'echoargs,b c\n']);
  });

  test('wisp run <name> finds the entry by meta.command.name and passes the arguments as strings', async () => {
    const r = await run(['greet', 'Ada', 'Grace']);
    expect([r.code, r.stdout, r.stderr]).toEqual([0, 'hello Ada Grace\n', 'to stderr\n']);
  });

  test('io outside the terminal host answers nil, "no terminal context"', async () => {
    const r = await run(['-x', 'cli:outcome', 'string']);
    expect(r.code).toBe(0);
    const p = await wisp(['run', '--host', 'cli:processes', '-x', 'cli:outside'], { cwd: APP });
    expect([p.code, p.stdout]).toEqual([0, 'nil no terminal context Unavailable\n']);
  });
});

describe('user errors are one line on stderr and exit code 1', () => {
  test.each([
    [['-x', 'cli:nope'], 'Error: entry cli:nope not found\n'],
    [['-x', 'greet'], 'Error: -x greet: expected namespace:entry; the command "greet" runs as `wisp run greet`\n'],
    [['-x', 'nope'], 'Error: -x nope: expected namespace:entry\n'],
    [['-x', 'cli:processes'], 'Error: entry cli:processes is a process.host, not a process.lua\n'],
    [['nosuch'], 'Error: command "nosuch" not found; `wisp run list` lists the commands\n'],
    [['--host', 'cli:nohost', '-x', 'cli:outcome'], 'Error: host cli:nohost not found\n'],
    [['--host', 'cli:outcome', '-x', 'cli:outcome'], 'Error: cli:outcome is a process.lua, not a host\n'],
  ])('wisp run %j', async (args, stderr) => {
    const r = await run(args);
    expect([r.code, r.stdout, r.stderr]).toEqual([1, '', stderr]);
  });

  test('no terminal host', async () => {
    const dir = projectCopy(APP, { 'src/_index.yaml': (y) => y.replace(/  - name: terminal\n(.*\n){4}/, '') });
    const r = await wisp(['run', '-x', 'cli:outcome'], { cwd: dir });
    expect([r.code, r.stderr]).toEqual([1, 'Error: no terminal.host found in registry\n']);
  });

  test('several terminal hosts without --host', async () => {
    const dir = projectCopy(APP, {
      'src/_index.yaml': (y) => y.replace('  - name: processes', '  - name: second\n    kind: terminal.host\n\n  - name: processes'),
    });
    const r = await wisp(['run', '-x', 'cli:outcome'], { cwd: dir });
    expect([r.code, r.stderr]).toEqual([1, 'Error: multiple terminal hosts found (cli:terminal, cli:second), use --host to specify\n']);
  });

  test('a Lua syntax error names the file, the line and the entry', async () => {
    const dir = projectCopy(APP, { 'src/outcome.lua': (s) => s.replace('if how == "number" then return 7 end', 'if how == "number" then return = 7 end') });
    const r = await wisp(['run', '-x', 'cli:outcome', 'string'], { cwd: dir });
    expect([r.code, r.stdout]).toEqual([1, '']);
    expect(r.stderr).toBe("Error: src/outcome.lua:6: syntax error: unexpected symbol near '=' (entry cli:outcome)\n");
  });

  test('bad YAML names the file and line', async () => {
    const dir = projectCopy(APP, { 'src/_index.yaml': (y) => y.replace('  - name: greet', '  - name: greet\n   bad: [indent') });
    const r = await wisp(['run', '-x', 'cli:outcome'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Error: src\/_index\.yaml:\d+: .+\n$/);
  });

  test('a missing file:// source names the entry and the file', async () => {
    const dir = projectCopy(APP, { 'src/_index.yaml': (y) => y.replace('file://outcome.lua\n    method: greet', 'file://missing.lua\n    method: greet') });
    const r = await wisp(['run', '-x', 'cli:outcome'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Error: src\/_index\.yaml:21: entry cli:greet: field "source": cannot read file:\/\/missing\.lua .*\n$/);
  });
});

describe('wisp init and --version', () => {
  test('init writes wippy.lock with the directories block', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wisp-init-'));
    const r = await wisp(['init'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, 'wippy.lock'), 'utf8')).toBe('directories:\n    modules: .wippy\n    src: ./src\n');
    expect(existsSync(join(dir, 'src'))).toBe(false);
  });

  test('init keeps the modules of an existing lock file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wisp-init-'));
    writeFileSync(join(dir, 'wippy.lock'), 'directories:\n    modules: .wippy\n    src: ./old\nmodules:\n    - name: acme/http\n      version: v1.2.0\n');
    await wisp(['init', '-d', './src'], { cwd: dir });
    const lock = readFileSync(join(dir, 'wippy.lock'), 'utf8');
    expect(lock).toContain('src: ./src');
    expect(lock).toContain('name: acme/http');
  });

  test('init into a missing directory: one line naming the file, exit 1, no JS stack trace', async () => {
    const r = await wisp(['init', '-l', '/nonexistent-wisp-dir/sub/wippy.lock']);
    expect([r.code, r.stderr]).toEqual([1, 'Error: cannot write /nonexistent-wisp-dir/sub/wippy.lock: no such file or directory\n']);
  });

  test('--version', async () => {
    const r = await wisp(['--version']);
    expect(r.stdout).toBe(`${JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version}\n`);
  });
});
