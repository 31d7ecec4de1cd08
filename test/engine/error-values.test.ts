/** Whatever a process raises, its failure keeps a readable message that names where it happened. */
import { createVM } from '../../src/modules';
import { spawn } from '../helpers/lua';

async function failure(body: string, options = {}): Promise<string | undefined> {
  const r = await spawn(createVM(options), `return { main = function() ${body} end }`, 'app:x').exit;
  expect(r.value).toBeNull();
  return r.error?.message;
}

describe('failure messages', () => {
  test.each([
    ['error(true)', 'true'],
    ['error(12)', '12'],
    ['error(nil)', 'nil'],
    ['error(setmetatable({}, {__tostring = function() return "custom" end}))', 'custom'],
    ['error(setmetatable({}, {__tostring = function() error("nested") end}))', '(error object is a table value)'],
    ['error("mine", 0)', 'mine'],
    ['error("here")', 'app:x:1: here'],
    ['local m; for _ in ipairs(m) do end', 'app:x:1: attempt to index a nil value'],
    ['string.rep()', "app:x:1: bad argument #1 to 'rep' (string expected, got no value)"],
  ])('%s', async (body, message) => {
    expect(await failure(body)).toBe(message);
  });

  test('a __tostring that never returns is stopped by the runaway guard; the failure is still reported', async () => {
    expect(await failure('error(setmetatable({}, {__tostring = function() while true do end end}))', { hardSliceMs: 100 })).toBe(
      '(error object is a table value)',
    );
  });

  test('the table of a raised error object keeps its message: no JS text, no stack overflow', async () => {
    const msg = await failure('error({code = 1})');
    expect(msg).toMatch(/^table: 0x[0-9a-f]+$/);
  });
});

test('string.char out of range is a Lua argument error, not JS text', async () => {
  expect(await failure('string.char(65, -1)')).toBe("app:x:1: bad argument #2 to 'char' (value out of range)");
});

test('a require the entry may not make names the line of the require, not the sandbox', async () => {
  expect(await failure('local x = 1\n  require("nope")')).toBe(
    "app:x:2: module 'nope' is not available to app:x: add it to the entry's modules: (or imports:)",
  );
});
