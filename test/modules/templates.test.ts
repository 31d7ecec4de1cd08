/**
 * The `templates` module and the template.set / template.jet kinds on a booted runtime: real registry, real
 * service, real Lua processes. Rendering (inheritance, globals, delimiters, file:// sources, meta.name),
 * Wippy's error kinds, following registry changes, bad entries, and hostile templates.
 */
import { mkdtempSync, mkdirSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { loadProject, RegistryError } from '../../src/registry';
import { Runtime } from '../../src/hosts/runtime';
import { SILENT } from '../../src/modules/logger';
import { runEntry } from '../helpers/project';
import { valueToPlain } from '../../src/engine/plain';

const HEADER = `version: "1.0"
namespace: t
entries:
  - name: processes
    kind: process.host
    lifecycle: { auto_start: true }
`;

function project(entries: string, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'wisp-templates-'));
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'wippy.lock'), 'directories:\n  src: ./src\n');
  writeFileSync(join(dir, 'src', '_index.yaml'), HEADER + entries);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, 'src', name), text);
  return dir;
}

function luaEntry(name: string): string {
  return `  - name: ${name}
    kind: process.lua
    source: file://${name}.lua
    method: main
    modules: [templates, time]
`;
}

const SET = `  - name: views
    kind: template.set
    engine:
      delimiters: { left: "[[", right: "]]" }
      globals: { site: "Wisp", year: 2024 }
  - name: base
    kind: template.jet
    set: views
    source: "<title>[[ yield title() ]] - [[ site ]]</title><main>[[ yield body() ]]</main>"
  - name: page-entry
    kind: template.jet
    set: t:views
    meta: { name: page }
    source: file://page.jet
  - name: rows
    kind: template.jet
    set: views
    source: "[[ range i, r := rows ]][[ i ]]:[[ r.name ]]=[[ r.n * 2 ]];[[ end ]]"
  - name: greeting
    kind: template.jet
    set: views
    source: "Hello, [[ name ]]! ([[ year ]])"
`;

const PAGE = '[[ extends "base" ]][[ block title() ]][[ title ]][[ end ]][[ block body() ]]<h1>[[ heading | upper ]]</h1>[[ end ]]';

async function booted(entries: string, files: Record<string, string>): Promise<Runtime> {
  const rt = new Runtime(loadProject(project(entries, files)), { logs: SILENT, terminal: null });
  await rt.boot();
  return rt;
}

async function result(rt: Runtime, entry: string): Promise<unknown> {
  const outcome = await runEntry(rt, entry, 't:processes');
  if (outcome.error) throw new Error(outcome.error.stack ?? outcome.error.message);
  return valueToPlain(outcome.value);
}

const E = `
local function E(v, err)
  if err == nil then return { ok = v } end
  return { nil_value = v == nil, kind = err:kind(), message = err:message(), retryable = err:retryable() }
end`;

describe('templates module', () => {
  test('renders with inheritance, globals, custom delimiters, file:// sources and meta.name', async () => {
    const rt = await booted(SET + luaEntry('main'), {
      'page.jet': PAGE,
      'main.lua': `local templates = require("templates")
      return { main = function()
        local set = assert(templates.get("t:views"))
        local page = set:render("page", { title = "Home", heading = "<hi>" })
        local rows = set:render("rows", { rows = { {name = "a", n = 1}, {name = "b", n = 2.5} } })
        local greeting = set:render("greeting", { name = "Ann" })
        local s1 = tostring(set)
        set:release()
        return { page = page, rows = rows, greeting = greeting, s1 = s1, s2 = tostring(set), again = set:release() }
      end }`,
    });
    try {
      expect(await result(rt, 't:main')).toEqual({
        page: '<title>Home - Wisp</title><main><h1>&lt;HI&gt;</h1></main>',
        rows: '0:a=2;1:b=5;',
        greeting: 'Hello, Ann! (2024)',
        s1: 'template.Set{}',
        s2: 'template.Set{released}',
        again: true,
      });
    } finally {
      await rt.shutdown();
    }
  });

  test("errors have Wippy's kinds", async () => {
    const rt = await booted(
      SET +
        `  - name: broken
    kind: template.jet
    set: views
    source: "[[ if x ]]never closed"
  - name: fails
    kind: template.jet
    set: views
    source: "[[ 1 / 0 ]]"
` +
        luaEntry('main'),
      {
        'page.jet': PAGE,
        'main.lua': `${E}
        local templates = require("templates")
        return { main = function()
          local set = templates.get("t:views")
          local out = {
            E(set:render("nope", {})), E(set:render("", {})), E(set:render("broken")), E(set:render("fails")),
            E(set:render("base", {})), E(templates.get("t:missing")), E(templates.get("")), E(templates.get("t:processes")),
          }
          local bad = { pcall(set.render, set, "greeting", "not a table") }
          set:release()
          out[#out + 1] = E(set:render("greeting", {name = "x"}))
          out[#out + 1] = bad
          return out
        end }`,
      },
    );
    try {
      const r = (await result(rt, 't:main')) as Record<string, unknown>[];
      expect(r[0]).toEqual({ nil_value: true, kind: 'NotFound', message: 'template not found', retryable: false });
      expect(r[1]).toMatchObject({ kind: 'Invalid', message: 'template name is required' });
      expect(r[2]).toMatchObject({ kind: 'Internal', message: 'failed to get compiled template: template: /broken:1: unexpected EOF' });
      expect(r[3]).toMatchObject({ kind: 'Internal', message: 'template render failed: Jet Runtime Error ("/fails":1): division by zero' });
      expect(r[4]).toMatchObject({ kind: 'Internal', message: 'template render failed: Jet Runtime Error ("/base":1): unresolved block "title"!' });
      expect(r[5]).toMatchObject({ nil_value: true, kind: 'Internal', message: 'resource not found: t:missing' });
      expect(r[6]).toMatchObject({ kind: 'Invalid', message: 'resource id is required' });
      expect(r[7]).toMatchObject({ kind: 'Internal', message: expect.stringMatching(/t:processes is a process.host, not a templates resource/) });
      expect(r[8]).toMatchObject({ kind: 'Internal', message: 'template set is released' });
      expect(r[9]).toEqual([false, expect.stringMatching(/bad argument #3 to '.*' \(table expected, got string\)/)]);
    } finally {
      await rt.shutdown();
    }
  });

  test('a set that is held sees registry changes: updated, added and deleted templates, a changed set', async () => {
    const rt = await booted(SET + luaEntry('render'), {
      'page.jet': PAGE,
      'render.lua': `${E}
      local templates = require("templates")
      local set = templates.get("t:views")
      return { main = function(name) return E(set:render(name, { name = "Ann" })) end }`,
    });
    const render = async (name: string): Promise<unknown> => {
      const r = rt.node.spawn({ entry: 't:render', host: 't:processes', args: [name], parent: null, monitor: false, link: false });
      if (!r.ok) throw new Error(r.error.message);
      const outcome = await new Promise<{ value: unknown; error: unknown }>((resolve) => rt.node.onExit(r.value, resolve));
      return valueToPlain(outcome.value as never);
    };
    try {
      expect(await render('greeting')).toEqual({ ok: 'Hello, Ann! (2024)' });
      const jet = (name: string, source: string, meta: Record<string, unknown> = {}) => ({
        id: `t:${name}`,
        kind: 'template.jet',
        meta,
        data: { set: 't:views', source },
      });
      rt.store.apply([
        { kind: 'entry.update', record: jet('greeting', 'Hi [[ name ]]') },
        { kind: 'entry.create', record: jet('extra', 'extra [[ site ]]', { name: 'more/extra' }) },
      ]);
      await new Promise((r) => setTimeout(r, 20));
      expect(await render('greeting')).toEqual({ ok: 'Hi Ann' });
      expect(await render('more/extra')).toEqual({ ok: 'extra Wisp' });
      rt.store.apply([{ kind: 'entry.delete', record: jet('extra', '') }]);
      await new Promise((r) => setTimeout(r, 20));
      expect(await render('more/extra')).toMatchObject({ kind: 'NotFound' });
      rt.store.apply([
        { kind: 'entry.update', record: { id: 't:views', kind: 'template.set', meta: {}, data: { engine: { globals: { site: 'New' } } } } },
        { kind: 'entry.update', record: jet('greeting', '{{ name }} at {{ site }}') },
      ]);
      await new Promise((r) => setTimeout(r, 20));
      expect(await render('greeting')).toEqual({ ok: 'Ann at New' });
    } finally {
      await rt.shutdown();
    }
  });

  test('bad entries are refused with one-line errors naming the entry', () => {
    const missingSet = project(`  - name: v
    kind: template.set
  - name: x
    kind: template.jet
    set: nowhere
    source: "x"
`);
    expect(() => loadProject(missingSet)).toThrow(RegistryError);
    expect(() => loadProject(missingSet)).toThrow(/entry t:x: field "set": entry "t:nowhere" not found/);
    const noSource = project(`  - name: v
    kind: template.set
  - name: x
    kind: template.jet
    set: v
`);
    expect(() => loadProject(noSource)).toThrow(/entry t:x: missing required field "source"/);
    const clash = project(`  - name: v
    kind: template.set
    engine: { delimiters: { left: "{*" } }
`);
    expect(() => loadProject(clash)).toThrow(/entry t:v: delimiters and comment delimiters cannot be the same/);
  });
});

describe('hostile templates end with clear errors; other processes keep running', () => {
  test('self-inclusion, endless recursion, huge output and endless loops', async () => {
    const rt = await booted(
      `  - name: hostile
    kind: template.set
  - name: self
    kind: template.jet
    set: hostile
    source: "{{ include \\"self\\" }}"
  - name: recurse
    kind: template.jet
    set: hostile
    source: "{{ block r() }}x{{ yield r() }}{{ end }}"
  - name: huge
    kind: template.jet
    set: hostile
    source: "{{ range ints(0, 100000000) }}0123456789abcdef{{ end }}"
  - name: spin
    kind: template.jet
    set: hostile
    source: "{{ range ints(0, 1000000000) }}{{ end }}"
  - name: loop1
    kind: template.jet
    set: hostile
    source: "{{ extends \\"loop2\\" }}"
  - name: loop2
    kind: template.jet
    set: hostile
    source: "{{ extends \\"loop1\\" }}"
  - name: fine
    kind: template.jet
    set: hostile
    source: "fine"
` +
        luaEntry('attack') +
        luaEntry('pinger'),
      {
        'attack.lua': `${E}
        local templates = require("templates")
        return { main = function()
          local set = templates.get("t:hostile")
          local out = {}
          for _, name in ipairs({ "self", "recurse", "huge", "spin", "loop1", "fine" }) do out[name] = E(set:render(name)) end
          return out
        end }`,
        'pinger.lua': `local time = require("time")
        return { main = function()
          local n = 0
          for _ = 1, 20 do time.sleep("5ms"); n = n + 1 end
          return n
        end }`,
      },
    );
    try {
      const pinger = result(rt, 't:pinger');
      const r = (await result(rt, 't:attack')) as Record<string, Record<string, unknown>>;
      expect(r.self.message).toMatch(/maximum 'include' depth \(100\) exceeded/);
      expect(r.recurse.message).toMatch(/maximum 'yield' depth \(100\) exceeded/);
      expect(r.huge.message).toMatch(/template output too large|step budget/);
      expect(r.spin.message).toMatch(/exceeded its step budget/);
      expect(r.loop1.message).toMatch(/circular extends\/import/);
      expect(r.fine).toEqual({ ok: 'fine' });
      expect(await pinger).toBe(20);
    } finally {
      await rt.shutdown();
    }
  });
});
