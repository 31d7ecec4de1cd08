/**
 * treesitter through real Lua in a real VM: parsing, nodes with Wippy's byte positions (UTF-8, also past
 * non-ASCII text), S-expressions, queries, cursors, closing, and hostile sources: a deeply nested one parses in
 * slices and its S-expression is built without the C library's recursion; one that takes too long ends with an
 * error; meanwhile another process keeps running.
 */
import { createVM } from '../../src/modules';
import { LIMITS } from '../../src/lib/treesitter';
import { bystander, spawn } from '../helpers/lua';
import { valueToPlain } from '../../src/engine/plain';

async function lua(body: string): Promise<any> {
  const vm = createVM();
  const r = await spawn(vm, `local treesitter = require("treesitter")\nlocal function main()\n${body}\nend\nreturn { main = main }`, 'test:main', [], ['treesitter']).exit;
  if (r.error) throw new Error(r.error.stack ?? r.error.message);
  return valueToPlain(r.value);
}

const saved = { ...LIMITS };
afterEach(() => Object.assign(LIMITS, saved));

describe('treesitter', () => {
  test('nodes, positions in bytes, S-expressions, fields, queries and cursors', async () => {
    const r = await lua(`
      local code = 'local s = "héllo" -- ünïcode\\nlocal n = 42\\n'
      local tree = treesitter.parse("lua", code)
      local root = tree:root_node()
      local q = treesitter.query("lua", "(number) @num (string) @str")
      local caps = q:captures(root, code)
      local out = { kind = root:kind(), sexp = root:child(0):to_sexp(), count = root:named_child_count(), caps = {} }
      for _, c in ipairs(caps) do
        out.caps[#out.caps + 1] = { c.name, c.text, c.node:start_byte(), c.node:end_byte(), c.node:start_point().row, c.node:start_point().column }
      end
      local decl = root:named_child(2)
      out.second_text = decl:text()
      out.field = decl:child_by_field_name("values") and decl:child_by_field_name("values"):kind()
      local cursor = tree:walk()
      cursor:goto_first_child()
      out.cursor = { cursor:current_depth(), cursor:current_node():kind(), cursor:goto_next_sibling(), cursor:current_node():start_byte() }
      local matches = q:matches(root, code)
      out.match = { #matches, matches[1].pattern, matches[1].captures[1].name }
      out.langs = treesitter.supported_languages()
      tree:close()
      out.closed = select(2, pcall(function() return root:kind() end))
      local _, bad = treesitter.query("go", "((")
      out.bad = { bad:kind(), bad:retryable() }
      return out`);
    expect(r.kind).toBe('chunk');
    expect(r.sexp).toBe('(variable_declaration (assignment_statement (variable_list name: (identifier)) (expression_list value: (string content: (string_content)))))');
    // "héllo" and "ünïcode" hold two-byte characters: offsets and columns count bytes, as in Wippy.
    expect(r.caps).toEqual([
      ['str', '"héllo"', 10, 18, 0, 10],
      ['num', '42', 42, 44, 1, 10],
    ]);
    expect(r.second_text).toBe('local n = 42');
    expect(r.cursor).toEqual([1, 'variable_declaration', true, 19]);
    expect(r.match).toEqual([2, 1, 'str']);
    expect(Object.keys(r.langs).sort()).toEqual(
      ['c#', 'go', 'html', 'javascript', 'lua', 'markdown', 'php', 'python', 'sql', 'typescript', 'typescript+jsx'].sort(),
    );
    expect(r.closed).toMatch(/tree is closed/);
    expect(r.bad).toEqual(['Invalid', false]);
  });

  test('parsers: language, timeout, reset; objects a process holds are freed with it and capped', async () => {
    const r = await lua(`
      local p = treesitter.parser()
      local _, nolang = p:parse("x")
      local ok = p:set_language("golang")
      local lang = p:get_language()
      local t = p:parse("package main\\nfunc f() {}")
      local ok2, bad = p:set_language("cobol")
      p:close()
      local held, cap = 0, nil
      for _ = 1, 5000 do
        local q, err = treesitter.query("go", "(identifier) @id")
        if err then cap = err:message() break end
        held = held + 1
      end
      return { nolang = nolang:message(), ok = ok, lang = lang, root = t:root_node():kind(), ok2 = ok2, bad = bad:message(), held = held, cap = cap }`);
    expect(r).toEqual({
      nolang: 'language not set', ok: true, lang: 'go', root: 'source_file', ok2: false, bad: 'unsupported language: cobol',
      held: 4095, cap: 'too many open tree-sitter objects (4096); close some', // the tree t is the 4096th
    });
  });

  test('a deeply nested source parses in slices while another process runs; one past the time bound is an error', async () => {
    const vm = createVM();
    const hostile = spawn(vm, `
      local treesitter = require("treesitter")
      return { main = function()
        local nest = function(depth) return "x = " .. string.rep("[", depth) .. string.rep("]", depth) end
        local _, err = treesitter.parse("javascript", nest(100000))
        local code = nest(4000)
        local tree = treesitter.parse("javascript", code)
        local sexp = tree:root_node():to_sexp()
        local n = #treesitter.query("javascript", "(array) @a"):captures(tree:root_node(), code)
        tree:close()
        return { err = { err:kind(), err:message() }, sexp = #sexp, arrays = n, still = treesitter.parse("go", "package x"):root_node():kind() }
      end }`, 'test:hostile', [], ['treesitter']);
    const ticker = bystander(vm, 50, '10ms');
    expect(valueToPlain((await ticker.exit).value)).toBe(50);
    const r = valueToPlain((await hostile.exit).value) as Record<string, unknown>;
    expect(r).toEqual({
      err: ['Invalid', 'parse failed: the syntax tree nests 4097 levels deep, more than the 4096 wisp allows'],
      sexp: '(program (expression_statement (assignment_expression left: (identifier) right: '.length + 4000 * '(array '.length - 1 + 4000 + 3,
      arrays: 4000,
      still: 'source_file',
    });
    LIMITS.parseMs = 50;
    const slow = await lua(`local _, err = treesitter.parse("javascript", "x = " .. string.rep("[", 200000) .. string.rep("]", 200000)) return err:message()`);
    expect(slow).toBe('parse failed: it took longer than 50 ms');
  }, 60000);
});
