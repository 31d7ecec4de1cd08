/**
 * scripts/fengari-patches/18-whole-chunk-names.js: error positions name the whole entry id, as go-lua does
 * (Fengari cut chunk names at 59 bytes).
 */
import { createVM } from '../../src/modules';
import { checkSyntax, LuaSyntaxError } from '../../src/engine/loader';
import { spawn } from '../helpers/lua';
import { valueToPlain } from '../../src/engine/plain';

const LONG_ID = 'app.test.temporal.tests:startup_messages_explicit_id_conflict_fail';

describe('chunk names in error positions', () => {
  test('error(), a runtime error and the errors module name the whole entry id', async () => {
    const vm = createVM();
    const source = `local errors = require("errors")
return { main = function()
  local ok1, e1 = pcall(function() error("boom") end)
  local ok2, e2 = pcall(function() local t = nil; return t.x end)
  local source
  for _, f in ipairs(errors.call_stack(errors.new("x")).frames) do
    if f.source ~= "[JS]" then source = source or f.source end
  end
  return { e1, e2, source }
end }`;
    const r = await spawn(vm, source, LONG_ID, [], ['errors']).exit;
    expect(r.error).toBeNull();
    const [e1, e2, source1] = valueToPlain(r.value) as string[];
    expect(e1).toBe(`${LONG_ID}:3: boom`);
    expect(e2).toBe(`${LONG_ID}:4: attempt to index a nil value (local 't')`);
    expect(source1).toBe(LONG_ID);
  });

  test('an uncaught error fails the process with the whole id in its position', async () => {
    const vm = createVM();
    const r = await spawn(vm, 'return { main = function()\n  error("deep failure")\nend }', LONG_ID).exit;
    expect(r.error?.message).toBe(`${LONG_ID}:2: deep failure`);
  });

  test('a syntax error in an entry with a long id names its line', () => {
    let thrown: unknown;
    try {
      checkSyntax('local x = = 1', LONG_ID);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(LuaSyntaxError);
    expect((thrown as LuaSyntaxError).line).toBe(1);
    expect((thrown as LuaSyntaxError).reason).toMatch(/^unexpected symbol near '='/);
  });
});
