/** `wisp lint` (registry and Lua checks, nothing run; exit codes for CI) and `wisp completion bash|zsh`. */
import { spawnSync } from 'child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { readmeSectionFiles, WISP, wisp, writeProject } from '../helpers/cli';

function firstApp(edits: Record<string, [string, string][]> = {}, extra: Record<string, string> = {}): string {
  const files = readmeSectionFiles('Write your first app');
  for (const [file, pairs] of Object.entries(edits)) for (const [from, to] of pairs) files[file] = files[file].replace(from, to);
  return writeProject({ ...files, ...extra });
}

describe('wisp lint', () => {
  test('a clean project: no problems, exit 0, nothing started', async () => {
    const dir = firstApp({ 'counter.lua': [['local function main()', 'io = nil\nlocal function main()']] });
    const r = await wisp(['lint'], { cwd: dir });
    expect([r.code, r.stdout, r.stderr]).toEqual([0, 'no problems in 5 entries\n', '']);
  });

  test('every problem at once, one line each, errors first; exit 1', async () => {
    const dir = firstApp(
      {
        '_index.yaml': [
          ['kind: terminal.host', 'kind: terminal.hots'],
          ['method: main', 'method: mian'],
          ['auto_start: true', 'auto_start: true\n      auto_strat: true'],
        ],
        'client.lua': [['local function main()', 'local function main(\n']],
      },
      { 'web.yaml': 'version: "1.0"\nnamespace: web\nentries:\n  - name: gateway\n    kind: temporal.worker\n' },
    );
    const r = await wisp(['lint'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')).toEqual([
      'error   src/_index.yaml:6: entry hello:terminal: unknown kind "terminal.hots" (did you mean "terminal.host"?), entry skipped',
      'error   src/_index.yaml:16: entry hello:counter: method "mian" not found: src/counter.lua returns main (did you mean "main"?)',
      "error   src/client.lua:7: syntax error: ')' expected near '.' (entry hello:client)",
      expect.stringMatching(/^warning src\/web\.yaml:4: entry web:gateway: unknown kind "temporal\.worker", entry skipped \(supported: /) as unknown,
      'warning src/_index.yaml:9: entry hello:processes: unknown field "lifecycle.auto_strat" ignored',
      '',
      '3 errors, 2 warnings in 6 entries',
      '',
    ]);
  });

  test('--json is Wippy\'s shape; --level error and --ns narrow it; warnings alone exit 0', async () => {
    const dir = firstApp({}, { 'web.yaml': 'version: "1.0"\nnamespace: web\nentries:\n  - name: gateway\n    kind: temporal.worker\n' });
    const r = await wisp(['lint', '--json'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      diagnostics: [{ entry_id: 'web:gateway', code: 'kind', severity: 'warning', message: expect.stringContaining('unknown kind "temporal.worker"') as unknown, line: 4 }],
      total_entries: 6,
      error_count: 0,
      warning_count: 1,
    });
    expect(JSON.parse((await wisp(['lint', '--json', '--level', 'error'], { cwd: dir })).stdout)).toMatchObject({ diagnostics: [], warning_count: 0 });
    expect(JSON.parse((await wisp(['lint', '--json', '--ns', 'hello'], { cwd: dir })).stdout)).toMatchObject({ diagnostics: [] });
    expect(await wisp(['lint', '--level', 'loud'], { cwd: dir })).toMatchObject({ code: 1, stderr: 'Error: invalid --level "loud": error or warning\n' });
  });

  test('a file that cannot be parsed is the one problem, with its line; no lock file is one line', async () => {
    const dir = firstApp({ '_index.yaml': [['namespace: hello', 'namespace: hello\n  bad: [']] });
    const r = await wisp(['lint'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^error {3}src\/_index\.yaml:\d+: .+\n\n1 error, 0 warnings in 0 entries\n$/);
    const none = await wisp(['lint'], { cwd: mkdtempSync(join(tmpdir(), 'wisp-nolock-')) });
    expect([none.code, none.stderr]).toEqual([1, expect.stringMatching(/^Error: lock file not found: no wippy\.lock in .*\n$/) as unknown]);
  });

  test('a lint typo among commands gets a suggestion', async () => {
    const r = await wisp(['lnt'], {});
    expect([r.code, r.stderr]).toEqual([1, "error: unknown command 'lnt'\n(Did you mean lint?)\n"]);
  });
});

describe('wisp completion', () => {
  /** What bash completes for `line` in `cwd`, with the wisp of this checkout on the PATH. */
  function complete(shellScript: string, line: string, cwd: string): string[] {
    const bin = mkdtempSync(join(tmpdir(), 'wisp-bin-'));
    writeFileSync(join(bin, 'wisp'), `#!/bin/sh\nexec "${process.execPath}" "${WISP}" "$@"\n`);
    chmodSync(join(bin, 'wisp'), 0o755);
    const script = `${shellScript}\nCOMP_LINE="$1"; COMP_POINT=\${#1}; _wisp; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const r = spawnSync('bash', ['-c', script, 'bash', line], { cwd, env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` }, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    return r.stdout.split('\n').filter((l) => l !== '');
  }

  test('bash: commands, subcommands, options and the project\'s entry ids', async () => {
    const script = await wisp(['completion', 'bash']);
    expect(script.code).toBe(0);
    const dir = firstApp();
    expect(complete(script.stdout, 'wisp li', dir)).toEqual(['lint']);
    expect(complete(script.stdout, 'wisp registry s', dir)).toEqual(['show']);
    expect(complete(script.stdout, 'wisp lint --l', dir)).toEqual(['--level']);
    expect(complete(script.stdout, 'wisp run --ob', dir)).toEqual(['--observe']);
    // bash replaces only what follows the last ':' of the word
    expect(complete(script.stdout, 'wisp run -x hello:cl', dir)).toEqual(['client']);
    expect(complete(script.stdout, 'wisp registry show hello:counter-', dir)).toEqual(['counter-service']);
    expect(complete(script.stdout, 'wisp completion ', dir)).toEqual(['bash', 'zsh']);
  });

  test('zsh: a script for bashcompinit; an unknown shell is one line', async () => {
    const zsh = await wisp(['completion', 'zsh']);
    expect(zsh.stdout).toMatch(/^#compdef wisp\n/);
    expect(zsh.stdout).toContain('bashcompinit');
    expect(zsh.stdout).toContain('complete -o default -F _wisp wisp');
    expect(await wisp(['completion', 'fish'])).toMatchObject({ code: 1, stderr: 'Error: unknown shell "fish": bash or zsh\n' });
  });
});
