/**
 * `wisp run test` where the test runner is itself Lua, as in Wippy's tests/app: a process.lua with
 * meta.command.name "test" finds function.lua tests through `registry` and calls them through `funcs`.
 */
import { rmSync } from 'fs';
import { wisp, writeProject, indexWithHosts } from '../helpers/cli';

const RUNNER = `
local io = require("io")
local registry = require("registry")
local funcs = require("funcs")
local function main()
  local tests = registry.find({ ["meta.type"] = "test" })
  table.sort(tests, function(a, b) return a.id < b.id end)
  local passed, failed = 0, 0
  for _, t in ipairs(tests) do
    local ok, result, err = pcall(funcs.call, t.id)
    if ok and err == nil and result ~= false then
      passed = passed + 1
      io.print("PASS " .. t.id)
    else
      failed = failed + 1
      io.print("FAIL " .. t.id .. ": " .. tostring(err or result))
    end
  end
  io.print(passed .. " passed, " .. failed .. " failed")
  return failed > 0 and 1 or 0
end
return { main = main }
`;

const ENTRIES = `
  - name: gateway
    kind: http.service
    addr: "127.0.0.1:0"
    lifecycle:
      auto_start: true
  - name: runner
    kind: process.lua
    meta:
      command: { name: test, short: Run the tests }
    source: file://runner.lua
    method: main
    modules: [io, registry, funcs]
  - name: adds
    kind: function.lua
    meta: { type: test }
    source: "return { main = function() return 1 + 1 == 2 end }"
    method: main
  - name: sleeps
    kind: function.lua
    meta: { type: test }
    source: |
      local time = require("time")
      return { main = function() time.sleep("20ms"); return true end }
    method: main
    modules: [time]
  - name: fails
    kind: function.lua
    meta: { type: test }
    source: |
      return { main = function() error("expected 3, got 4") end }
    method: main
  - name: needs_cloudstorage
    kind: function.lua
    meta: { type: test }
    source: |
      local cloudstorage = require("cloudstorage")
      return { main = function() return true end }
    method: main
    modules: [cloudstorage]
`;

test('the runner finds and calls every test; failures, missing modules and unknown kinds do not stop it', async () => {
  const dir = writeProject({ '_index.yaml': indexWithHosts('app', ENTRIES), 'runner.lua': RUNNER });
  try {
    const r = await wisp(['run', 'test'], { cwd: dir });
    expect(r.stdout).toBe(
      [
        'PASS app:adds',
        'FAIL app:fails: app:fails:1: expected 3, got 4',
        "FAIL app:needs_cloudstorage: app:needs_cloudstorage:1: module 'cloudstorage' (listed in modules: of app:needs_cloudstorage) is not provided by wisp",
        'PASS app:sleeps',
        '2 passed, 2 failed',
        '',
      ].join('\n'),
    );
    expect(r.code).toBe(1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 30_000);

test('a function.lua that does not compile stops the boot with one line naming its file and line', async () => {
  const dir = writeProject({
    '_index.yaml': indexWithHosts('app', `
  - name: broken
    kind: function.lua
    source: file://broken.lua
    method: main
  - name: cli
    kind: process.lua
    source: "return { main = function() return 0 end }"
    method: main
`),
    'broken.lua': 'local function main()\n  return (\nend\nreturn { main = main }\n',
  });
  try {
    const r = await wisp(['run', '-x', 'app:cli'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual(["Error: src/broken.lua:3: syntax error: unexpected symbol near 'end' (entry app:broken)"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 30_000);
