import * as fs from 'fs';
import * as path from 'path';
import { eraseTypes } from '../../src/dialect/erase-types';
import { tokenize } from '../../src/dialect/lexer';

// The typed fengari wrapper is written elsewhere; these tests talk to fengari directly.
const fengari: any = require('fengari');
const { lua, lauxlib, lualib, to_luastring } = fengari;

const ROOT = path.resolve(__dirname, '../..');
const FIXTURES = path.join(ROOT, 'fixtures/dialect');

interface LuaResult {
  /** 'syntax' if loading failed, 'runtime' if the call failed, else 'ok'. */
  status: 'ok' | 'syntax' | 'runtime';
  /** The returned value (tostring'd) or the error message. */
  value: string;
}

/**
 * A stand-in for the runtime types that declarations build (src/modules/types.ts): every constructor gives a
 * value whose call returns its argument. Enough to run erased code without the engine; what the real runtime
 * types do is tested through the engine (test/engine/typed-lua.test.ts, runtime-types.test.ts).
 */
const TYPES_STUB = `
  local function ty() return setmetatable({}, {__call = function(_, v) return v end}) end
  __wisp_types = setmetatable({}, {__index = function() return function() return ty() end end})`;

/** Compiles `src` with chunk name `fixture` and, unless `loadOnly`, runs it. */
function runLua(src: string, loadOnly = false, prelude?: (L: unknown) => void): LuaResult {
  const L = lauxlib.luaL_newstate();
  lualib.luaL_openlibs(L);
  if (lauxlib.luaL_dostring(L, to_luastring(TYPES_STUB)) !== lua.LUA_OK) throw new Error('types stub failed');
  prelude?.(L);
  if (lauxlib.luaL_loadbuffer(L, to_luastring(src), null, to_luastring('=fixture')) !== lua.LUA_OK) {
    return { status: 'syntax', value: lua.lua_tojsstring(L, -1) };
  }
  if (loadOnly) return { status: 'ok', value: '' };
  const ok = lua.lua_pcall(L, 0, 1, 0) === lua.LUA_OK;
  return { status: ok ? 'ok' : 'runtime', value: lauxlib.luaL_tolstring(L, -1) && lua.lua_tojsstring(L, -1) };
}

const compiles = (src: string): boolean => runLua(src, true).status === 'ok';
const read = (rel: string): string => fs.readFileSync(path.join(FIXTURES, rel), 'utf8');
const lineOf = (src: string, marker: string): number => src.split('\n').findIndex((l) => l.includes(marker)) + 1;
/** The sequence of line-break characters; erasure must never change it. */
const breaks = (s: string): string => s.replace(/[^\r\n]/g, '');

function luaFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : luaFiles(p);
    return e.name.endsWith('.lua') ? [p] : [];
  });
}

describe('lexer', () => {
  const kinds = (src: string): string[] =>
    tokenize(src).filter((t) => t.kind !== 'eof').map((t) => `${t.kind}:${t.value}`);

  it('tokenizes operators longest first', () => {
    expect(kinds('a::b //c>>d ~= e ... f.. g <= h')).toEqual([
      'name:a', 'op:::', 'name:b', 'op://', 'name:c', 'op:>>', 'name:d', 'op:~=', 'name:e',
      'op:...', 'name:f', 'op:..', 'name:g', 'op:<=', 'name:h',
    ]);
  });

  it('reads numbers the way llex.c does', () => {
    expect(kinds('0x1p4 1e-2 .5 3. 0xff 0x.8P1 12g')).toEqual([
      'number:0x1p4', 'number:1e-2', 'number:.5', 'number:3.', 'number:0xff', 'number:0x.8P1',
      'number:12', 'name:g',
    ]);
    expect(kinds('3..2 1e')).toEqual(['error:3..2', 'error:1e']);
  });

  it('reads strings, long strings and comments with their lines', () => {
    const toks = tokenize('"a\\z\n  b" [==[x]]\n]==] --[[c\n]] -- d\r\nx');
    expect(toks.map((t) => [t.kind, t.line])).toEqual([
      ['string', 1], ['longstring', 2], ['comment', 3], ['comment', 4], ['name', 5], ['eof', 5],
    ]);
  });

  it('turns what Lua rejects into error tokens instead of throwing', () => {
    expect(kinds('a @ b ? c ! $ "open\n[=x \'x')).toEqual([
      'name:a', 'error:@', 'name:b', 'error:?', 'name:c', 'error:!', 'error:$', 'error:"open',
      'error:[=', 'name:x', "error:'x",
    ]);
    expect(kinds('--[[ never closed')).toEqual(['error:--[[ never closed']);
  });

  it('covers the input exactly: only whitespace between tokens, for any input', () => {
    const rand = prng(7);
    const alphabet = 'ab_1.:;=-[]"\'\\{}()<>~/@!?\n\r\t zx#%^&|';
    for (let i = 0; i < 300; i++) {
      let s = '';
      for (let n = rand(60); n > 0; n--) s += alphabet[rand(alphabet.length)];
      const toks = tokenize(s);
      let at = 0;
      for (const t of toks) {
        expect(/^[ \t\r\n\v\f]*$/.test(s.slice(at, t.start))).toBe(true);
        expect(t.value).toBe(s.slice(t.start, t.end));
        at = t.end;
      }
      expect(at).toBe(s.length);
    }
  });
});

describe('eraseTypes: exact output', () => {
  it.each([
    ['local x: number = 1', 'local x = 1'],
    ['local a: number, b: string? = 1, "x"', 'local a , b = 1, "x"'],
    ['function T:m(x: number): () end', 'function T:m(x ) end'],
    ['local f = function<T>(...: T...): ...T end', 'local f = function (... ) end'],
    ['return (x :: any) :: T<U<V>>', 'return (x ) '],
    ['local y = x as T; z = y!.k', 'local y = x ; z = y .k'],
    ['local o: Array<number>= {}', 'local o = {}'],
    ['for k: string, v: {[string]: any} in pairs(t) do end', 'for k , v in pairs(t) do end'],
  ])('%s', (input, expected) => {
    const out = eraseTypes(input);
    expect(out.length).toBe(input.length); // erased characters become spaces, one for one
    expect(out.replace(/ +/g, ' ')).toBe(expected);
  });

  it('replaces a type declaration by a runtime type binding and keeps its lines', () => {
    const src = 'type A = {\n  x: number,\n}\nreturn A';
    const out = eraseTypes(src);
    expect(out.split('\n')[0]).toBe(
      'local __wt, __wts = __wisp_types, {};local A; A = __wt.def(__wts, "A", __wt.record("x", __wt.number, false));',
    );
    expect(breaks(out)).toBe(breaks(src));
    expect(out.split('\n')[3]).toBe('return A');
  });

  it.each([
    ['type N = 3', '__wt.lit(3)'],
    ['type R = readonly {number}', '__wt.array(__wt.number)'],
    ['type M = readonly {[string]: number}', '__wt.map(__wt.string, __wt.number)'],
    ['type A = any[]', '__wt.array(__wt.any)'],
    ['type F = fun(x: number): string', '__wt.fn'],
    ['type I = interface {name: string}', '__wt.record("name", __wt.string, false)'],
    ['type O = {n?: string @min_len(2)}', '__wt.record("n", __wt.annot(__wt.string, "min_len", 2), true)'],
    ['type B<T> = {v: T}', '__wt.generic(function(T) return __wt.record("v", T, false) end, 1)'],
    ['type S = B<string>', '__wt.inst(__wt.ref(__wts, "B", function() return B end), __wt.string)'],
    ['type Q = m.T', '__wt.ref(__wts, "m.T", function() return m.T end)'],
    ['type U = "a" | nil', '__wt.union(__wt.lit("a"), __wt.null)'],
    ['type C = A extends B ? X : Y', '__wt.any'],
    ['type K = keyof(A)', '__wt.any'],
    ['type X = T[K]', '__wt.any'],
    ['local v: {a: number} = {}\ntype V = typeof(v)', '__wt.record("a", __wt.number, false)'],
    ['type W = typeof(f(x :: any))', '__wt.typeof(f(x       ))'],
  ])('%s builds %s', (src, code) => {
    const out = eraseTypes(src);
    expect(out).toContain(code);
    expect(breaks(out)).toBe(breaks(src));
    expect(compiles(out)).toBe(true);
  });

  it.each([
    ['local function f(): string?, string? return nil, nil end', 'local function f() return nil, nil end'],
    ['local x = y as {value: number}', 'local x = y'],
    ['local x = y as (number)', 'local x = y'],
    ['local x = y as 3', 'local x = y'],
    ['local f: fun(a: number): (string, number) = g', 'local f = g'],
    ['local t: {[string]: any[]} = {}', 'local t = {}'],
    ['local t: readonly {string} = {}', 'local t = {}'],
    ['local function f<T: Named>(x: T): T return x end', 'local function f (x ) return x end'],
    ['local a: asserts x is string = 1', 'local a = 1'],
  ])('erases %s', (src, expected) => {
    const out = eraseTypes(src);
    expect(out.length).toBe(src.length);
    expect(out.replace(/ +/g, ' ').trim()).toBe(expected);
  });

  it('keeps `as {...}` as plain Lua when it is a table constructor, not a type', () => {
    const src = 'local x = y as {k = 1}';
    expect(eraseTypes(src)).toBe(src);
  });

  it("turns go-lua's interface declaration into a record of methods", () => {
    const src = 'interface Named : Base\n  function name(self): string\n  function rename(self, n: string)\nend\nreturn Named';
    const out = eraseTypes(src);
    expect(breaks(out)).toBe(breaks(src));
    expect(out.split('\n')[0]).toContain(
      'Named = __wt.def(__wts, "Named", __wt.inter(__wt.record("name", __wt.fn, false, "rename", __wt.fn, false), ' +
        '__wt.ref(__wts, "Base", function() return Base end)));',
    );
    expect(compiles(out)).toBe(true);
  });

  it('gives up on nesting too deep for the JS stack, returning the source as is', () => {
    const deep = `local x = ${'('.repeat(20000)}1${')'.repeat(20000)}`;
    expect(eraseTypes(deep)).toBe(deep);
  });

  it('erases a type named like a visible local without rebinding it', () => {
    expect(eraseTypes('local P = {}\ntype P = typeof(P)').split('\n')[1].trim()).toBe('');
  });
});

describe('eraseTypes: fixtures run in Fengari', () => {
  const forms = fs.readdirSync(path.join(FIXTURES, 'forms')).filter((f) => f.endsWith('.lua'));

  it.each(forms)('forms/%s', (file) => {
    const src = read(`forms/${file}`);
    const expected = /^-- expect: (.*)$/m.exec(src)?.[1];
    const out = eraseTypes(src);
    expect(breaks(out)).toBe(breaks(src));
    expect(eraseTypes(out)).toBe(out); // erasing twice changes nothing
    // With runtime types (the stub here) only running matters; their values are checked through the engine.
    if (out.includes('__wisp_types')) expect(runLua(out).status).toBe('ok');
    else expect(runLua(out)).toEqual({ status: 'ok', value: expected });
    if (file !== 'not-annotations.lua') expect(compiles(src)).toBe(false); // really annotated
  });
});

describe('eraseTypes: line numbers', () => {
  it('a runtime error reports the user line', () => {
    const src = read('lines/runtime-error.lua');
    const r = runLua(eraseTypes(src));
    expect(r.status).toBe('runtime');
    expect(r.value).toBe(`fixture:${lineOf(src, 'error("boom")')}: boom`);
  });

  it('a syntax error in annotated code reports the user line', () => {
    const src = read('lines/syntax-error.lua');
    const r = runLua(eraseTypes(src));
    expect(r.status).toBe('syntax');
    expect(r.value).toContain(`fixture:${lineOf(src, 'SYNTAX ERROR HERE')}:`);
  });

  it('a malformed multi-line type reports the line of the mistake', () => {
    const src = read('lines/bad-annotation.lua');
    const r = runLua(eraseTypes(src));
    expect(r.status).toBe('syntax');
    expect(r.value).toContain(`fixture:${lineOf(src, 'SYNTAX ERROR HERE')}:`);
  });

  it.each([
    ['local x: = 1', 3],
    ['local function f(a: ) end', 3],
    ['local t = {\n  a = 1,\n}\nlocal y = x :: ', 7], // Lua names the line of <eof>
    ['type X = {a: number\nlocal z = 1', 4],
    ['type X = {a: number\ntype Y = string', 4],
    ['if x then\n  local a: number = 1\n', 6],
  ])('reports the right line for %j', (code, line) => {
    const src = `local pre: number = 1\n\n${code}\n`;
    const r = runLua(eraseTypes(src));
    expect(r.status).toBe('syntax');
    expect(r.value).toContain(`fixture:${line}:`);
  });

  it('keeps every line break for arbitrary token soup, and never throws', () => {
    const rand = prng(42);
    const words = [
      'local', 'x', ':', 'number', '=', '1', ',', 'type', 'T', '<', '>', '>>', '{', '}', '(', ')',
      '[', ']', '::', 'as', '!', '?', '|', '&', '->', '-', '...', 'function', 'end', 'return',
      'export', 'typeof', '@min(0)', '"s"', '[[l\n]]', '--c\n', 'if', 'then', 'do', 'for', 'in',
      '\n', '\r\n', ';', '.', 'goto', 'nil',
    ];
    for (let i = 0; i < 500; i++) {
      const parts: string[] = [];
      for (let n = rand(40); n > 0; n--) parts.push(words[rand(words.length)]);
      const src = parts.join(rand(2) ? ' ' : '\n');
      const out = eraseTypes(src);
      expect(breaks(out)).toBe(breaks(src));
    }
  });
});

describe('eraseTypes: plain Lua comes back identical', () => {
  const files = [...luaFiles(path.join(ROOT, 'lua')), ...luaFiles(path.join(ROOT, 'fixtures'))];

  it('finds the repository Lua files', () => {
    expect(files.some((f) => f.endsWith(path.join('plain', 'tricky.lua')))).toBe(true);
  });

  it.each(files.map((f) => [path.relative(ROOT, f)]))('%s', (rel) => {
    const src = fs.readFileSync(path.join(ROOT, rel), 'utf8');
    // Annotations are syntax errors in Lua 5.3, so a file that compiles has none.
    if (compiles(src)) expect(eraseTypes(src)).toBe(src);
    else expect(breaks(eraseTypes(src))).toBe(breaks(src));
  });

  it('plain/tricky.lua runs', () => {
    expect(runLua(read('plain/tricky.lua')).status).toBe('ok');
  });

  it('generated plain-Lua programs', () => {
    const rand = prng(2024);
    for (let i = 0; i < 400; i++) {
      const src = generateProgram(rand);
      if (!compiles(src)) throw new Error(`generator produced invalid Lua:\n${src}\n${runLua(src, true).value}`);
      expect(eraseTypes(src)).toBe(src);
    }
  });
});

describe('typed echo service', () => {
  /** Stubs for the Wippy modules, enough to load the scripts and run the worker once. */
  const prelude = (L: unknown): void => {
    const stubs = `
      sent = {}
      process = { pid = function() return "{app:processes|0x00001}" end,
                  send = function(to, topic, payload) sent[#sent + 1] = {to, topic, payload} return true end }
      package.preload.time = function() return { sleep = function() end } end
      package.preload.logger = function() return {} end
      package.preload.io = function() return {} end`;
    if (lauxlib.luaL_dostring(L, to_luastring(stubs)) !== lua.LUA_OK) throw new Error('stub failed');
  };

  it.each(['cli.lua', 'relay.lua', 'worker.lua'])('%s is annotated and compiles after erasure', (file) => {
    const src = read(`typed-echo/src/${file}`);
    expect(compiles(src)).toBe(false);
    const out = eraseTypes(src);
    expect(breaks(out)).toBe(breaks(src));
    expect(runLua(out, true)).toEqual({ status: 'ok', value: '' });
    const module = `local m = (function() ${out}\nend)() return type(m.main)`;
    expect(runLua(module, false, prelude)).toEqual({ status: 'ok', value: 'function' });
  });

  it('the erased worker still upper-cases and replies', () => {
    const out = eraseTypes(read('typed-echo/src/worker.lua'));
    const call = `local m = (function() ${out}\nend)()
      local rc = m.main("{app:terminal|0x00002}", "hello")
      local s = sent[1]
      return rc .. " " .. s[1] .. " " .. s[2] .. " " .. s[3].data .. " " .. s[3].worker`;
    expect(runLua(call, false, prelude)).toEqual({
      status: 'ok',
      value: '0 {app:terminal|0x00002} echo_response HELLO {app:processes|0x00001}',
    });
  });
});

// ---- deterministic generation ---------------------------------------------------------------------

/** mulberry32: returns rand(n) in [0, n). */
function prng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n: number) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

/**
 * Plain Lua 5.3 that mixes everything an eraser could mistake for an annotation: colons and type
 * syntax inside strings, long strings and comments, method calls, labels and goto, and `type`,
 * `as`, `export` and `typeof` used as ordinary names.
 */
function generateProgram(rand: (n: number) => number): string {
  let id = 0;
  const pick = <T>(xs: T[]): T => xs[rand(xs.length)];
  const lookalikes = [
    'local x: number = 1', 'type X = {a: number}', 'x :: T', 'f(a: string): integer', '::lbl::',
    'export type Y<T> = T?', 'x as T', 'y!', '@min(0)', '(number) -> string', '{[string]: any}',
  ];
  const shortString = (): string => {
    // No lookalike contains a quote, and every escape is valid inside either kind of quote.
    const body = pick(lookalikes) + pick(['', '\\n', '\\"', "\\'", '\\\\', '\\z   \n   ', '\\x41', '\\65', '\\u{48}', '\\\n']);
    return rand(2) ? `"${body}"` : `'${body}'`;
  };
  const longString = (): string => {
    const eq = '='.repeat(rand(3));
    const inner = eq.length > 0 ? ']] ' : '';
    return `[${eq}[${rand(2) ? '\n' : ''}${pick(lookalikes)}${inner}\n${pick(lookalikes)}]${eq}]`;
  };
  const expr = (depth: number): string => {
    const atoms = [
      () => String(rand(100)), () => pick(['0x1F', '1e3', '.5', '3.', '0x1p-2', '7 // 2']),
      shortString, longString, () => 'type("s")', () => 'nil', () => 'true',
      () => '("x"):rep(2)', () => 'tostring"t"', () => 'tostring{}', () => 'tostring[[x]]',
      () => '#"abc"', () => `{ ${pick(['type', 'as', 'export'])} = 1, ["k: v"] = 2; 3 }`,
      () => `function(a, ...) return a end`,
    ];
    if (depth > 1 || rand(3) === 0) return pick(atoms)();
    return `(${expr(depth + 1)}) ${pick(['==', '~=', 'and', 'or', '..', '<', '>=', '<<', '|', '&', '~'])} (${expr(depth + 1)})`;
  };
  const statement = (depth: number): string => {
    const n = ++id;
    const options = [
      () => `local v${n} = ${expr(0)}`,
      () => `local type = ${expr(0)}`,
      () => `local t${n} = {type = "x"} t${n}.type = t${n}.type .. ${shortString()}`,
      () => `local tp${n} = type\nv${n} = 5`, // `type` ends an expression; `v = 5` is a new statement
      () => `local as, export, typeof = 1, 2, 3 local r${n} = as + export * typeof`,
      () => `local o${n} = {m = function(self, a) return a end} local r${n} = o${n}:m(${shortString()})`,
      () => `local s${n} = (${shortString()}):upper():lower()`,
      () => `do goto l${n} local z = 1 ::l${n}:: end`,
      () => `for i = 1, 2 do if i == 1 then goto c${n} end ::c${n}:: end`,
      () => `-- ${pick(lookalikes)}\n`,
      () => {
        const eq = '='.repeat(rand(2));
        return `--[${eq}[ ${pick(lookalikes)}\n${pick(lookalikes)} ]${eq}]`;
      },
      () => `local function f${n}(a, b, ...) return select("#", ...) end`,
      () => `function g${n}(a) return a end`,
      () => `local q${n} = {}\nfunction q${n}.a() end\nfunction q${n}:b(c) return self, c end`,
      () => `while false do ${statement(depth + 1)} end`,
      () => `repeat local u${n} = 1 until u${n} == 1`,
      () => `if ${expr(1)} then ${statement(depth + 1)} elseif false then else end`,
      () => `for k, v in pairs({}) do ${statement(depth + 1)} end`,
      () => `local e${n} = type(type) ; local w${n} = ${expr(0)} :: n${n} ::`, // a label, not a cast
    ];
    const usable = depth > 2 ? options.slice(0, 14) : options;
    return pick(usable)();
  };
  const parts: string[] = [];
  for (let k = rand(12) + 1; k > 0; k--) parts.push(statement(0));
  const joined = parts.map((s) => s + pick(['\n', '\r\n', ' ', ';\n', '\n\n\t'])).join('');
  return joined + (rand(2) ? 'return 1' : '');
}
