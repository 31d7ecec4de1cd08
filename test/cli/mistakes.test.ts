/**
 * Every mistake a newcomer makes in the README's first app is one line naming file, entry and line, with a
 * suggestion when the mistake looks like a typo (issue 26). The project is the README's own code blocks.
 */
import { readmeSectionFiles, wisp, writeProject } from '../helpers/cli';

/** The first app with `edits` applied to its files (file → [from, to]: the first occurrence). */
function firstApp(edits: Record<string, [string, string][]> = {}): string {
  const files = readmeSectionFiles('Write your first app');
  for (const [file, pairs] of Object.entries(edits)) {
    for (const [from, to] of pairs) {
      expect(files[file]).toContain(from);
      files[file] = files[file].replace(from, to);
    }
  }
  return writeProject(files);
}

describe('mistakes in the first app are explained in one line', () => {
  test('a typo in the terminal host\'s kind names its file, line and entry, and the kind meant', async () => {
    const dir = firstApp({ '_index.yaml': [['kind: terminal.host', 'kind: terminal.hots']] });
    const r = await wisp(['run', 'count'], { cwd: dir });
    expect([r.code, r.stdout, r.stderr]).toEqual([
      1,
      '',
      'Error: no terminal.host found in registry: src/_index.yaml:6: entry hello:terminal: unknown kind "terminal.hots" (did you mean "terminal.host"?), entry skipped\n',
    ]);
  });

  test('a typo in a process entry\'s kind: the reference names the broken entry, its file and line', async () => {
    const dir = firstApp({ '_index.yaml': [['kind: process.lua', 'kind: process.lau']] });
    const r = await wisp(['run', 'count'], { cwd: dir });
    expect([r.code, r.stderr]).toEqual([
      1,
      'Error: src/_index.yaml:21: entry hello:counter-service: field "process": entry "hello:counter" was left out: ' +
        'src/_index.yaml:15: entry hello:counter: unknown kind "process.lau" (did you mean "process.lua"?), entry skipped\n',
    ]);
  });

  test('registry list and show still work on a broken project, and mark what is left out', async () => {
    const dir = firstApp({ '_index.yaml': [['kind: process.lua', 'kind: process.lau']] });
    const list = await wisp(['registry', 'list'], { cwd: dir });
    expect([list.code, list.stderr]).toEqual([0, '']);
    expect(list.stdout).toMatch(/^hello:counter +process\.lau +! left out\n/m);
    expect(list.stdout).toMatch(/^hello:counter-service +process\.service +! left out\n/m);
    expect(list.stdout).toMatch(/^hello:client +process\.lua *\n/m);
    expect(list.stdout).toContain('2 left out of a run:\n  hello:counter: src/_index.yaml:15: entry hello:counter: unknown kind "process.lau" (did you mean "process.lua"?), entry skipped\n');
    const json = JSON.parse((await wisp(['registry', 'list', '--json'], { cwd: dir })).stdout) as { id: string; invalid?: string }[];
    expect(json.filter((e) => e.invalid !== undefined).map((e) => e.id)).toEqual(['hello:counter', 'hello:counter-service']);
    const show = await wisp(['registry', 'show', 'hello:counter'], { cwd: dir });
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('Kind: process.lau\nInvalid: src/_index.yaml:15: entry hello:counter: unknown kind "process.lau" (did you mean "process.lua"?), entry skipped\n');
  });

  test('a bad field value leaves registry list working too', async () => {
    const dir = firstApp({ '_index.yaml': [['auto_start: true', 'auto_start: maybe']] });
    const list = await wisp(['registry', 'list', '--json'], { cwd: dir });
    expect(list.code).toBe(0);
    const processes = (JSON.parse(list.stdout) as { id: string; invalid?: string }[]).find((e) => e.id === 'hello:processes');
    expect(processes?.invalid).toBe('src/_index.yaml:9: entry hello:processes: field "lifecycle.auto_start" must be true or false, got string "maybe"');
    const run = await wisp(['run', 'count'], { cwd: dir });
    expect([run.code, run.stderr]).toEqual([1, `Error: ${processes?.invalid}\n`]);
  });

  test('method: a name the script does not return is found before anything runs, listing what it returns', async () => {
    const dir = firstApp({ '_index.yaml': [['method: main', 'method: mian']] });
    const r = await wisp(['run', 'count'], { cwd: dir, input: 'one two\n' });
    expect([r.code, r.stdout, r.stderr]).toEqual([
      1,
      '',
      'Error: src/_index.yaml:15: entry hello:counter: method "mian" not found: src/counter.lua returns main (did you mean "main"?)\n',
    ]);
  });

  test('method: a module table built up by `function M.f` is read too', async () => {
    const dir = firstApp({
      '_index.yaml': [['method: main', 'method: start']],
      'counter.lua': [['local function main()', 'local M = {}\nfunction M.main()'], ['return { main = main }', 'M.helper = function() end\nreturn M']],
    });
    const r = await wisp(['run', 'count'], { cwd: dir });
    expect(r.stderr).toBe('Error: src/_index.yaml:15: entry hello:counter: method "start" not found: src/counter.lua returns helper, main\n');
  });

  test('method: when the text does not settle what the script returns, the run-time error lists its functions', async () => {
    const dir = firstApp({
      '_index.yaml': [['method: main', 'method: mian']],
      'counter.lua': [['return { main = main }', 'local exports = setmetatable({}, {})\nexports.main = main\nreturn exports']],
    });
    const r = await wisp(['run', '-c', 'count'], { cwd: dir, timeoutMs: 20000 });
    expect(r.stdout).toContain('"error": "method \'mian\' not found in the table the script returns (it has: main)"');
  });

  test.each([
    [['run', '-x', 'hello:clint'], 'Error: entry hello:clint not found (did you mean hello:client?)\n'],
    [['run', '-x', 'clint'], 'Error: -x clint: expected namespace:entry (did you mean hello:client?)\n'],
    [['run', 'cuont'], 'Error: command "cuont" not found (did you mean "count"?); `wisp run list` lists the commands\n'],
    [['run', '-x', 'hello:client', '--host', 'hello:termnal'], 'Error: host hello:termnal not found (did you mean hello:terminal?)\n'],
    [['registry', 'show', 'cleint'], 'Error: entry not found: cleint (did you mean client?)\n'],
    [['registry', 'show', 'hello:nothing-like-it'], 'Error: entry not found: hello:nothing-like-it\n'],
  ])('unknown entries get suggestions: %j', async (args, stderr) => {
    const r = await wisp(args, { cwd: firstApp() });
    expect([r.code, r.stderr]).toEqual([1, stderr]);
  });

  test('a crashing service does not leave the client waiting: it says why and exits 1', async () => {
    const dir = firstApp({ 'counter.lua': [['      local words = 0', '      error("counting failed")']] });
    const r = await wisp(['run', 'count'], { cwd: dir, input: 'one two\n', timeoutMs: 15000 });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('Type a line (an empty line ends):\n');
    expect(r.stderr).toMatch(/^counter failed: hello:counter:\d+: counting failed$/m);
  });

  test('print() under -x, hidden by the quiet log, gets a one-line hint once', async () => {
    const dir = firstApp({ 'client.lua': [['  time.sleep("100ms")', '  print("where does this go?")\n  print("and this?")\n  time.sleep("100ms")']] });
    const r = await wisp(['run', 'count'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('hint: print() writes to the log, which is quiet under -x: use io.print for the terminal, or -c to show the log\n');
    const shown = await wisp(['run', '-c', 'count'], { cwd: dir });
    expect(shown.stderr).not.toContain('hint:');
    expect(shown.stdout).toContain('where does this go?');
    const silent = await wisp(['run', '-s', 'count'], { cwd: dir });
    expect(silent.stderr).toBe('');
  });
});
