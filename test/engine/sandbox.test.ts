import { createVM } from '../../src/modules';
import { LuaSyntaxError } from '../../src/engine/loader';
import { fixture, run, spawn } from '../helpers/lua';
import { functionTable } from '../../src/engine/binding';
import { valueToPlain } from '../../src/engine/plain';

const strip = (e: unknown): string => String(e).replace(/^[^:]+:[^:]+:\d+: /, '');

describe('isolation between processes', () => {
  test('process A sets a global and tries string.upper = nil; process B is unaffected', async () => {
    const vm = createVM();
    const a = await spawn(vm, fixture('engine/isolation_a.lua'), 'app:a').exit;
    expect(a.error).toBeNull();
    const r = valueToPlain(a.value) as Record<string, unknown[]>;
    expect(r.assign[0]).toBe(false);
    expect(strip(r.assign[1])).toBe("cannot modify read-only table 'string' (field 'upper')");
    expect(r.rawset[0]).toBe(false);
    expect(strip(r.rawset[1])).toBe('cannot modify read-only table with rawset');
    expect(r.setmt).toEqual([false, 'cannot change a protected metatable']);
    expect(r.string_meta).toBe(false);
    expect(r.nested[0]).toBe(false);
    expect(r.os[0]).toBe(false);
    expect(r.coroutine[0]).toBe(false);
    expect(r.channel[0]).toBe(false);
    expect(r.env_meta).toBe(false);
    expect(r.upper_still).toBe('A');
    const b = await spawn(vm, fixture('engine/isolation_b.lua'), 'app:b').exit;
    expect(valueToPlain(b.value)).toEqual({
      leaked: true, upper: 'B', method: 'B', pi: true, time_fn: 'function', spawn_fn: 'function', new_fn: 'function',
    });
  });

  test('the sandbox: no debug/io/package, reduced os, load in text mode and the process env, require allow-list', async () => {
    const r = (await run(fixture('engine/sandbox.lua'))) as Record<string, unknown>;
    expect(r.absent).toBe(''); // names of the forbidden globals that are present
    expect(r.os_absent).toBe('');
    expect(r.os_present).toEqual(['number', 'string', 'number', 'number', 'wippy']);
    expect(r.globals).toEqual([true, true, 'function', 'function', 'function', 'function']);
    expect(r.load_env).toBe(42);
    expect(r.load_own_env).toEqual(['ran', 1, true]);
    expect(r.load_syntax).toBe("snippet:1: unexpected symbol near '='");
    expect(r.load_binary).toMatch(/attempt to load a binary chunk \(mode is 't'\)/);
    expect(r.gc).toEqual(['number', true, 0, 0, 0]);
    expect(r.require_unknown).toEqual([
      false,
      "module 'nosuchmodule' is not available to test:main: add it to the entry's modules: (or imports:)",
    ]);
    expect((r.require_unlisted as unknown[])[0]).toBe(false);
    expect((r.require_unlisted as string[])[1]).toContain("module 'logger'");
    expect(r.require_global).toBe(true);
    expect(r.require_listed).toBe('function');
    expect(r.integer_division).toBe(3);
    expect(r.math_type).toBe('integer');
  });

  test('globals are per process, the compiled chunk is shared', async () => {
    const vm = createVM();
    const src = 'counter = (counter or 0) + 1 return { main = function() return counter end }';
    expect(vm.compile(src, 'app:c')).toBe(vm.compile(src, 'app:c'));
    const results = await Promise.all(Array.from({ length: 20 }, () => spawn(vm, src, 'app:c').exit));
    expect(results.map((r) => r.value)).toEqual(Array(20).fill(1));
  });
});

describe('robustness', () => {
  test('a JS exception inside a host function becomes a Lua error with its message', async () => {
    const vm = createVM();
    vm.defineModule('boom', functionTable(vm, { explode: () => { throw new TypeError('kaboom from JS'); } }));
    const r = await spawn(vm, 'return { main = function() local ok, e = pcall(require("boom").explode) return {ok, e} end }', 'app:x', [], ['boom']).exit;
    expect(valueToPlain(r.value)).toEqual([false, 'kaboom from JS']);
    const uncaught = await spawn(vm, 'return { main = function() require("boom").explode() end }', 'app:y', [], ['boom']).exit;
    expect(uncaught.error?.message).toBe('app:y:1: kaboom from JS');
  });

  test('a JS exception in the runtime while resuming a process fails that process only', async () => {
    const vm = createVM();
    vm.defineModule('buggy', functionTable(vm, {
      wait: (T) => {
        const task = vm.sched.current;
        setTimeout(() => task && vm.sched.wake(task, () => { throw new Error('bug in a resume'); }), 5);
        return vm.sched.block(T);
      },
    }));
    const victim = spawn(vm, 'return { main = function() require("buggy").wait() return "unreachable" end }', 'app:v', [], ['buggy']);
    const bystander = spawn(vm, 'local time = require("time") return { main = function() time.sleep("30ms") return "fine" end }', 'app:b');
    expect((await victim.exit).error?.message).toBe('internal error: bug in a resume');
    expect(valueToPlain((await bystander.exit).value)).toBe('fine');
  });

  test('invalid UTF-8 from Lua never throws in the host', async () => {
    const printed: string[] = [];
    const vm = createVM({ print: (_p, text) => printed.push(text) });
    const src = `local time = require("time")
      return { main = function()
        print("bad \\255\\254 bytes")
        local d, err = time.parse_duration("\\255s")
        local ok = pcall(error, "\\255")
        return { "\\255\\254", tostring(err), ok }
      end }`;
    const r = await spawn(vm, src).exit;
    expect(r.error).toBeNull();
    const [bytes, err, ok] = valueToPlain(r.value) as [string, string, boolean];
    expect(bytes).toBe('\uFFFD\uFFFD');
    expect(err).toContain('time: invalid duration');
    expect(ok).toBe(false);
    expect(printed).toEqual(['bad \uFFFD\uFFFD bytes']);
  });

  test('binary strings survive a copy as bytes', async () => {
    const vm = createVM();
    const r = await spawn(vm, 'return { main = function() return "\\255\\0\\1" end }').exit;
    expect(r.value).toEqual(new Uint8Array([255, 0, 1]));
  });

  test('a Lua syntax error names the entry, the file and the line', () => {
    const vm = createVM();
    const src = 'local function main()\n  local x = 1\n  local y = = 2\nend\nreturn { main = main }\n';
    let err: unknown;
    try {
      vm.compile(src, 'app:broken', 'src/broken.lua');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LuaSyntaxError);
    const e = err as LuaSyntaxError;
    expect(e.line).toBe(3);
    expect(e.message).toBe("src/broken.lua:3: syntax error: unexpected symbol near '=' (entry app:broken)");
  });

  test('a runtime error names the entry id and the line in the traceback', async () => {
    const vm = createVM();
    const src = 'local function f()\n  error("deep")\nend\nreturn { main = function()\n  f()\nend }';
    const r = await spawn(vm, src, 'app:trace').exit;
    expect(r.error?.message).toBe('app:trace:2: deep');
    expect(r.error?.stack).toContain("app:trace:2: in upvalue 'f'");
    expect(r.error?.stack).toContain('app:trace:5: in function <app:trace:4>');
  });

  test('main returning nil, "err" or an error object fails the process; other returns succeed', async () => {
    const vm = createVM();
    const exit = (body: string) => spawn(vm, `return { main = function() ${body} end }`).exit;
    expect((await exit('return nil, "failed here"')).error?.message).toBe('failed here');
    expect((await exit('return nil, errors.new({message = "typed", kind = errors.NOT_FOUND})')).error?.kind).toBe('NotFound');
    expect(valueToPlain((await exit('return 0')).value)).toBe(0);
    expect((await exit('return 1, nil')).error).toBeNull();
    expect((await exit('return')).value).toBeNull();
  });
});
