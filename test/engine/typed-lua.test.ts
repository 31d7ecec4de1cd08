/** Issue 5 through the real engine: annotated chunks compile, run, and report the user's lines. */
import { readdirSync } from 'fs';
import { join } from 'path';
import { createVM } from '../../src/modules';
import { LuaSyntaxError } from '../../src/engine/loader';
import { fixture, FIXTURES, spawn } from '../helpers/lua';
import { valueToPlain } from '../../src/engine/plain';

describe('typed Lua in processes', () => {
  const forms = readdirSync(join(FIXTURES, 'dialect', 'forms')).filter((f) => f.endsWith('.lua'));

  test.each(forms)('%s runs as a process and gives its expected result', async (file) => {
    const source = fixture(`dialect/forms/${file}`);
    const expected = /^-- expect: (.*)$/m.exec(source)?.[1];
    // The form fixtures are chunks that return a value; as a process, main returns what the chunk returns.
    const wrapped = `local result = (function() ${source}\nend)()\nreturn { main = function() return result end }`;
    const r = await spawn(createVM(), wrapped, `app:${file}`).exit;
    expect(r.error).toBeNull();
    expect(String(valueToPlain(r.value))).toBe(expected);
  });

  test('a runtime error in an annotated file names the user line', async () => {
    const src = [
      'type Point = {x: number, y: number}',
      'local function norm(p: Point): number',
      '  return p.x + p.missing.z',
      'end',
      'return { main = function(): integer return norm({x = 1, y = 2} :: Point) end }',
    ].join('\n');
    const r = await spawn(createVM(), src, 'app:typed').exit;
    expect(r.error?.message).toBe("app:typed:3: attempt to index a nil value (field 'missing')");
  });

  test('a syntax error in annotated code reports the user line', () => {
    const src = 'local function f(a: number): number\n  return a\nend\nlocal x: number = = 2\nreturn { main = f }';
    expect(() => createVM().compile(src, 'app:bad', 'src/bad.lua')).toThrow(LuaSyntaxError);
    try {
      createVM().compile(src, 'app:bad', 'src/bad.lua');
    } catch (e) {
      expect((e as LuaSyntaxError).line).toBe(4);
    }
  });

  test('load() erases annotations too', async () => {
    const src = 'return { main = function() return load("local n: integer = 41 return n + 1")() end }';
    expect(valueToPlain((await spawn(createVM(), src).exit).value)).toBe(42);
  });
});
