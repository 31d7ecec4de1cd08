/**
 * eval_runner through real Lua in a real VM: compile and run with modules, classes, context, arguments and
 * custom modules; a program that never ends is stopped by the step bound while another process keeps running;
 * a program ends with its caller.
 */
import { createVM } from '../../src/modules';
import { EVAL_LIMITS } from '../../src/modules/eval_runner';
import { bystander, spawn } from '../helpers/lua';
import { valueToPlain } from '../../src/engine/plain';

async function lua(body: string): Promise<any> {
  const vm = createVM();
  const r = await spawn(vm, `local runner = require("eval_runner")\nlocal function main()\n${body}\nend\nreturn { main = main }`, 'test:main', [], ['eval_runner']).exit;
  if (r.error) throw new Error(r.error.stack ?? r.error.message);
  return valueToPlain(r.value);
}

afterEach(() => (EVAL_LIMITS.steps = 10_000));

describe('eval_runner', () => {
  test('compile and run: modules as globals and by require, arguments, context, custom modules, errors', async () => {
    const r = await lua(`
      local p = runner.compile("return { f = function() end }", "f", { modules = { "json" } })
      local _, syntax = runner.compile("this is not lua", "f")
      local _, forbidden = runner.run({ source = "return {}", modules = { "http_client" } })
      local _, unknown = runner.run({ source = "return {}", modules = { "nope" } })
      local _, nosource = runner.run({})
      local sum = runner.run({ source = "return { add = function(a, b) return a + b end }", method = "add", args = { 20, 22 } })
      local enc = runner.run({ source = "local j = require('json') return { go = function(t) return j.encode(t) .. json.encode(1) end }", method = "go", args = { { a = 1 } }, modules = { "json" } })
      local ctxv = runner.run({ source = "return { go = function() return require('ctx').get('k') end }", method = "go", modules = { "ctx" }, allow_classes = { "process" }, context = { k = "v" } })
      local custom = runner.run({ source = "return { go = function() return cfg.api.url end }", method = "go", modules = {}, custom_modules = { cfg = { api = { url = "u" } } } })
      local _, denied = runner.run({ source = "return { go = function() return require('json') end }", method = "go", modules = { "base64" } })
      local _, raised = runner.run({ source = "return { go = function() error('boom') end }", method = "go", modules = {} })
      local e = function(x) return { kind = x:kind(), message = x:message() } end
      return { method = p:method(), modules = p:modules(), syntax = e(syntax), forbidden = e(forbidden), unknown = e(unknown).kind,
               nosource = e(nosource), sum = sum, enc = enc, ctx = ctxv, custom = custom, denied = e(denied).message, raised = e(raised).message }`);
    expect([r.method, r.modules]).toEqual(['f', ['json']]);
    expect(r.syntax.kind).toBe('Internal');
    expect(r.syntax.message).toMatch(/^compile failed: parse error: eval:1: syntax error/);
    expect(r.forbidden).toEqual({ kind: 'Internal', message: 'compile failed: module "http_client" has forbidden class "network"' });
    expect(r.unknown).toBe('Internal');
    expect(r.nosource).toEqual({ kind: 'Invalid', message: 'source is required' });
    expect([r.sum, r.enc, r.ctx, r.custom]).toEqual([42, '{"a":1}1', 'v', 'u']);
    expect(r.denied).toMatch(/run failed: .*module 'json' is not available to eval/);
    expect(r.raised).toMatch(/^run failed: eval:1: boom/);
  });

  test('a program that never ends is stopped by the step bound; another process keeps running', async () => {
    EVAL_LIMITS.steps = 100;
    const vm = createVM();
    const looping = spawn(vm, `
      local runner = require("eval_runner")
      return { main = function()
        local _, err = runner.run({ source = "return { go = function() while true do end end }", method = "go", modules = {} })
        return err:message()
      end }`, 'test:loop', [], ['eval_runner']);
    const ticker = bystander(vm, 20, '5ms');
    expect(valueToPlain((await ticker.exit).value)).toBe(20);
    expect(valueToPlain((await looping.exit).value)).toBe('run failed: eval exceeded maximum step limit');
  });

  test('a program ends with its caller', async () => {
    const vm = createVM();
    const caller = spawn(vm, `
      local runner = require("eval_runner")
      return { main = function()
        runner.run({ source = "return { go = function() while true do end end }", method = "go", modules = {} })
      end }`, 'test:caller', [], ['eval_runner']);
    await new Promise((r) => setTimeout(r, 100));
    const before = vm.sched.queued;
    caller.proc.terminate('stop');
    await caller.exit;
    await new Promise((r) => setTimeout(r, 50));
    expect(before).toBeGreaterThan(0);
    expect(vm.sched.queued).toBe(0); // nothing left running: the program went with its caller
  });
});
