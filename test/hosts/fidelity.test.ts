/** Wippy semantics seen from processes in a booted project: errors, casts, typed libraries, broken entries. */
import { writeFileSync } from 'fs';
import { join } from 'path';
import { boot, runEntry } from '../helpers/project';
import { projectCopy, ROOT, wisp } from '../helpers/cli';
import type { Runtime } from '../../src/hosts/runtime';
import { valueToPlain } from '../../src/engine/plain';

describe('Wippy semantics in a booted project', () => {
  let rt: Runtime;
  beforeAll(() => {
    rt = boot('fidelity');
  });
  afterAll(() => rt.shutdown());

  const rule = async (name: string): Promise<unknown> => {
    const outcome = await runEntry(rt, 'f:main', 'f:processes', [name]);
    if (outcome.error) throw new Error(outcome.error.stack ?? outcome.error.message);
    return valueToPlain(outcome.value);
  };

  test('process errors are never retryable, carry a stack, and stand in for strings', async () => {
    expect(await rule('send_error')).toEqual([true, 'NotFound', false, 'process not found', true, '[process not found]', true]);
  });

  test('string(v) casts a received PID (the helper pattern of Wippy\'s process tests)', async () => {
    expect(await rule('string_cast')).toEqual(['echo', true]);
  });

  test("the spawner's with_name and with_message: spawn-or-signal, first messages from no PID, Wippy's argument errors", async () => {
    const r = (await rule('spawner')) as Record<string, unknown>;
    expect(r.registered).toBe(true);
    expect(r.first).toEqual(['hello', '', 1, true]);
    expect(r.second).toEqual(['again', 'two']);
    expect(r.taken).toEqual([true, true, 'third', 3, true, true]);
    expect(r.kept).toEqual([true, 'm', 'k', true]);
    expect(r.plain).toEqual([true, true]);
    expect(r.option_name).toBe(true);
    expect(r.after_exit).toEqual([true, true, true, true]);
    // Fengari counts a method's arguments after self, as Lua does (go-lua counts self: its #2 is this #1).
    const argError = (fn: string, n: number, why: string) => [false, expect.stringMatching(new RegExp(`^f:main:\\d+: bad argument #${n} to '${fn}' \\(${why}\\)$`))];
    expect(r.errors).toEqual([
      argError('with_name', 1, 'name cannot be empty'),
      argError('with_name', 1, 'string expected, got no value'),
      argError('with_message', 1, 'cannot send to @ topics'),
      argError('with_message', 1, 'string expected, got no value'),
      argError('with_name', 1, 'process\\.Spawner expected'),
    ]);
  });

  test('a library exports runtime types that validate in the importing process', async () => {
    expect(await rule('library_types')).toEqual([
      true, true, true, 'host: length 0 is less than minimum length 1', 80, 'Server', 'type',
    ]);
  });
});

describe('a Lua syntax error in any entry fails the boot, as in Wippy', () => {
  test('even when the entry run is fine', async () => {
    const dir = projectCopy(join(ROOT, 'fixtures', 'fidelity'), {
      'src/_index.yaml': (y) => `${y}\n  - name: broken\n    kind: process.lua\n    source: file://broken.lua\n    method: main\n`,
    });
    writeFileSync(join(dir, 'src', 'broken.lua'), 'local function main()\n  return = 1\nend\nreturn { main = main }\n');
    const r = await wisp(['run', '-x', 'f:quick'], { cwd: dir });
    expect([r.code, r.stderr]).toEqual([1, "Error: src/broken.lua:2: syntax error: unexpected symbol near '=' (entry f:broken)\n"]);
  });
});
