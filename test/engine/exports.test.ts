/** What a script returns, read from its text without running it (for the `method:` check at load). */
import { returnedNames } from '../../src/engine/exports';

test.each([
  ['return { main = main }', ['main']],
  ['local function main() end\nlocal function helper() end\nreturn { main = main, ["helper"] = helper }', ['helper', 'main']],
  ['local M = {}\nfunction M.main() end\nM.other = function() end\nM["third"] = 1\nreturn M', ['main', 'other', 'third']],
  ['local M = { a = 1 }\nfunction M.b() return M.a end\nreturn M', ['a', 'b']],
  ['return {}', []],
  // Typed Lua (wisp's dialect) is read after its types are erased.
  ['local function main(x: number): number return x end\nreturn { main = main }', ['main']],
])('%j returns %j', (source, names) => {
  expect(returnedNames(source)).toEqual(names);
});

test.each([
  ['a returned function', 'return function() end'],
  ['a table passed along', 'local M = {}\nsetmetatable(M, {})\nfunction M.main() end\nreturn M'],
  ['a computed key', 'local M = {}\nM[name] = 1\nreturn M'],
  ['a positional field', 'return { main, other = 1 }'],
  ['a name shadowed inside', 'local M = {}\nlocal function f() local M = {} return M end\nreturn M'],
  ['nothing returned', 'print("hi")'],
  ['a call', 'return build()'],
  ['a syntax error', 'return {'],
  ['many values', 'return {}, {}'],
])('%s: not settled by the text (null)', (_what, source) => {
  expect(returnedNames(source)).toBeNull();
});

test('hostile sources: deep nesting and a huge table are answered, never thrown', () => {
  expect(returnedNames(`return ${'('.repeat(100_000)}1${')'.repeat(100_000)}`)).toBeNull();
  const big = `return { ${Array.from({ length: 20_000 }, (_, i) => `f${i} = ${i}`).join(', ')} }`;
  expect(returnedNames(big)).toHaveLength(20_000);
  expect(returnedNames(Buffer.from('return { ["\\xff"] = 1 }'))).toEqual(['\u00ff']);
});
