/**
 * The fs module over fs.directory entries, through real Lua on a booted runtime: every call refuses paths that
 * lead out of the directory (`..`, links to outside, dangling links to outside, NUL bytes) and leaves the
 * outside untouched; absolute paths are the directory's own; files, seeks, readdir, module replacements and
 * write_file from a stream work as in Wippy.
 */
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'fs';
import { join } from 'path';
import type { Runtime } from '../../src/hosts/runtime';
import { bootProject, definitions, luaEntry, runLua, writeFiles } from '../helpers/service-project';
import { plainToValue } from '../../src/engine/plain';

const ATTACK = `
local fs = require("fs")
local function main(paths)
  local vol = assert(fs.get("t:data"))
  local calls = {
    { "open_r", function(p) return vol:open(p, "r") end },
    { "open_w", function(p) return vol:open(p, "w") end },
    { "open_a", function(p) return vol:open(p, "a") end },
    { "stat", function(p) return vol:stat(p) end },
    { "mkdir", function(p) return vol:mkdir(p) end },
    { "readdir", function(p) return vol:readdir(p) end },
    { "exists", function(p) return vol:exists(p) end },
    { "isdir", function(p) return vol:isdir(p) end },
    { "readfile", function(p) return vol:readfile(p) end },
    { "read_file", function(p) return vol:read_file(p) end },
    { "writefile", function(p) return vol:writefile(p, "pwned") end },
    { "write_file", function(p) return vol:write_file(p, "pwned", "a") end },
    { "chdir", function(p) return vol:chdir(p) end },
    -- last: removing a link removes the link, which changes what the paths name
    { "remove", function(p) return vol:remove(p) end },
  }
  local out = {}
  for _, c in ipairs(calls) do
    local name, call = c[1], c[2]
    for _, p in ipairs(paths) do
      local v, err = call(p)
      out[#out + 1] = { call = name, path = p, ok = err == nil, kind = err and err:kind() or "", message = err and err:message() or "" }
    end
  end
  return out
end
return { main = main }
`;

const FILES = `
local fs = require("fs")
local function main()
  local vol = assert(fs.get("t:data"))
  local r = {}
  assert(vol:writefile("/f.txt", "0123456789"))
  local f = assert(vol:open("f.txt", "r"))
  r.first = f:read(3)
  r.pos = f:seek("end", -2)
  r.tail = f:read(100)
  local _, eof = f:read(1)
  r.eof = tostring(eof) .. "/" .. eof:kind()
  r.size = f:stat().size
  assert(f:close())
  local ok, again = f:close()
  r.second_close = tostring(ok) .. "/" .. again:kind()
  local w = assert(vol:open("/f.txt", "a"))
  assert(w:write("AB"))
  w:close()
  r.appended = vol:readfile("/f.txt")
  assert(vol:mkdir("/d"))
  assert(vol:writefile("/d/b", "b"))
  assert(vol:mkdir("/d/a"))
  local names = {}
  for e in vol:readdir("/d") do names[#names + 1] = e.name .. ":" .. e.type end
  r.names = table.concat(names, ",")
  assert(vol:chdir("/d"))
  r.pwd = vol:pwd()
  r.relative = vol:readfile("b")
  r.up = vol:readfile("../f.txt")
  local _, exist = vol:mkdir("a")
  r.exists_kind = exist:kind()
  local _, nonempty = vol:remove("/d")
  r.nonempty_kind = nonempty:kind()
  r.etc = select(2, vol:readfile("/etc/hostname")):kind()
  r.inner = vol:readfile("/inner/x.txt")
  return r
end
return { main = main }
`;

const STREAMED = `
local fs = require("fs")
local exec = require("exec")
local function main()
  local vol = assert(fs.get("t:data"))
  local e = assert(exec.get("t:exec"))
  local p = assert(e:exec("printf 'from a pipe'"))
  local out = assert(p:stdout_stream())
  assert(p:start())
  assert(vol:write_file("/piped.txt", out))
  p:wait()
  return vol:read_file("/piped.txt")
end
return { main = main }
`;

describe('fs', () => {
  let rt: Runtime;
  let root: string;
  let outside: string;

  beforeAll(async () => {
    root = writeFiles({
      'src/_index.yaml': definitions(`  - name: data
    kind: fs.directory
    directory: ./data
    auto_init: true
  - name: exec
    kind: exec.native
${luaEntry('attack', 'attack.lua', ['fs'])}${luaEntry('files', 'files.lua', ['fs'])}${luaEntry('streamed', 'streamed.lua', ['fs', 'exec'])}`),
      'src/attack.lua': ATTACK,
      'src/files.lua': FILES,
      'src/streamed.lua': STREAMED,
      'outside/secret.txt': 'secret',
    });
    outside = join(root, 'outside');
    const data = join(root, 'data');
    mkdirSync(join(data, 'sub'), { recursive: true });
    writeFileSync(join(data, 'sub', 'x.txt'), 'inside');
    symlinkSync('../outside', join(data, 'escape'));
    symlinkSync('../outside/secret.txt', join(data, 'leak'));
    symlinkSync('../outside/created.txt', join(data, 'dangling'));
    symlinkSync('sub', join(data, 'inner'));
    symlinkSync('/', join(data, 'slash'));
    rt = await bootProject(root);
  });

  afterAll(() => rt.shutdown());

  test('every call refuses paths that lead out, and the outside is left as it was', async () => {
    const paths = ['..', '../outside/secret.txt', '/../outside/secret.txt', 'sub/../../outside', 'escape/secret.txt', 'escape/new', 'slash/etc/hostname', 'escape', 'leak', 'dangling'];
    const r = (await runLua(rt, 'attack', [plainToValue(paths)])) as { call: string; path: string; ok: boolean; kind: string; message: string }[];
    expect(r).toHaveLength(14 * paths.length);
    const wrong = r.filter((x) => {
      // Removing the link itself is not a way out (the link goes, its target stays): remove does not follow.
      if (x.call === 'remove' && ['escape', 'leak', 'dangling'].includes(x.path)) return !x.ok;
      // mkdir does not follow a link either: the name is taken.
      if (x.call === 'mkdir' && ['escape', 'leak', 'dangling'].includes(x.path)) return x.kind !== 'AlreadyExists';
      return x.ok || x.kind !== 'Invalid' || x.message !== 'path traversal not allowed';
    });
    expect(wrong).toEqual([]);
    expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('secret');
    expect(existsSync(join(outside, 'created.txt'))).toBe(false);
    expect(existsSync(join(outside, 'new'))).toBe(false);
  });

  test('a NUL byte in a path is refused by every call', async () => {
    const r = (await runLua(rt, 'attack', [plainToValue(['a\0b'])])) as { ok: boolean; kind: string; message: string }[];
    expect(r.every((x) => !x.ok && x.kind === 'Invalid' && x.message === 'path contains null byte')).toBe(true);
  });

  test('files, seek, EOF, append, readdir order, chdir and relative paths, error kinds, links that stay inside', async () => {
    const r = await runLua(rt, 'files');
    expect(r).toEqual({
      first: '012',
      pos: 8,
      tail: '89',
      eof: 'EOF/NotFound',
      size: 10,
      second_close: 'false/Invalid',
      appended: '0123456789AB',
      names: 'a:directory,b:file',
      pwd: '/d',
      relative: 'b',
      up: '0123456789AB',
      exists_kind: 'AlreadyExists',
      nonempty_kind: 'Invalid',
      etc: 'NotFound',
      inner: 'inside',
    });
  });

  test('write_file copies a stream (a process pipe) into a file', async () => {
    expect(await runLua(rt, 'streamed')).toBe('from a pipe');
  });
});

describe('fs.directory from a lock file replacement', () => {
  test('its entries load under their namespace, marked with the module, paths relative to the module root', async () => {
    const root = writeFiles({
      'wippy.lock': 'directories:\n  src: ./src\nreplacements:\n  - from: acme/assets\n    to: ./mods/assets\n',
      'src/_index.yaml': definitions(luaEntry('read', 'read.lua', ['fs', 'registry'])),
      'src/read.lua': `local fs = require("fs") local registry = require("registry")
        return { main = function()
          local vol = assert(fs.get("acme.assets:files"))
          local entry = registry.get("acme.assets:files")
          return { vol:readfile("/hello.txt"), entry.meta.module }
        end }`,
      'mods/assets/src/_index.yaml': 'version: "1.0"\nnamespace: acme.assets\nentries:\n  - name: files\n    kind: fs.directory\n    directory: ./static\n',
      'mods/assets/static/hello.txt': 'from the module',
    });
    const rt = await bootProject(root);
    try {
      expect(await runLua(rt, 'read')).toEqual(['from the module', 'acme/assets']);
    } finally {
      await rt.shutdown();
    }
  });
});
