/**
 * The exec module over exec.native, through real Lua on a booted runtime and real host processes: no shell in
 * between, a clean environment, Wippy's quoting, the whitelist, streams; and no orphans: what a process forks
 * dies with it when it is killed, closed, exits on its own, or its Lua process ends without closing it.
 */
import { readdirSync, readFileSync } from 'fs';
import type { Runtime } from '../../src/hosts/runtime';
import { bootProject, definitions, luaEntry, runLua, writeFiles } from '../helpers/service-project';
import { parseCommand } from '../../src/lib/native-process';
import { until } from '../helpers/poll';

/** Host processes whose command line contains `marker`. */
function countProcesses(marker: string): number {
  let n = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').includes(marker)) n++;
    } catch {
      // gone meanwhile
    }
  }
  return n;
}


const RUN = `
local exec = require("exec")
local function collect(stream)
  local parts = {}
  while true do
    local chunk, err = stream:read()
    if chunk == nil then return table.concat(parts), err end
    parts[#parts + 1] = chunk
  end
end
local function main(id, cmd, opts)
  local e = assert(exec.get(id))
  local p, err = e:exec(cmd, opts)
  if p == nil then return { error = err:message(), kind = err:kind() } end
  local out, errs = p:stdout_stream(), p:stderr_stream()
  local ok, serr = p:start()
  if not ok then return { error = serr:message(), kind = serr:kind() } end
  local stdout = collect(out)
  local stderr = collect(errs)
  local code = p:wait()
  return { code = code, stdout = stdout, stderr = stderr }
end
return { main = main }
`;

const SPAWN_TREE = `
local exec = require("exec")
local function main(cmd, how)
  local e = assert(exec.get("t:exec"))
  local p = assert(e:exec(cmd))
  local out = p:stdout_stream()
  assert(p:start())
  local line = out:read()
  if how == "kill" then
    assert(p:signal(9))
    return { line = line, code = p:wait() }
  elseif how == "close" then
    assert(p:close(false))
    return { line = line }
  elseif how == "exit" then
    return { line = line, code = p:wait() }
  end
  return { line = line } -- "abandon": the Lua process ends with the process still running
end
return { main = main }
`;

const STDIN = `
local exec = require("exec")
local function main()
  local e = assert(exec.get("t:exec"))
  local p = assert(e:exec("cat"))
  local out = p:stdout_stream()
  assert(p:start())
  assert(p:write_stdin("line one\\n"))
  local got = out:read()
  p:close(true)
  local _, after = p:write_stdin("x")
  return { got = got, after = after:message() }
end
return { main = main }
`;

describe('exec', () => {
  let rt: Runtime;
  const run = (cmd: string, opts: Record<string, unknown> | null = null, id = 't:exec') =>
    runLua(rt, 'run', [id, cmd, opts === null ? null : (require('../../src/engine/plain').plainToValue(opts) as never)]) as Promise<Record<string, unknown>>;

  beforeAll(async () => {
    const root = writeFiles({
      'src/_index.yaml': definitions(`  - name: exec
    kind: exec.native
    default_env: { FROM_ENTRY: "entry" }
  - name: strict
    kind: exec.native
    command_whitelist: ["echo allowed"]
${luaEntry('run', 'run.lua', ['exec'])}${luaEntry('tree', 'tree.lua', ['exec'])}${luaEntry('stdin', 'stdin.lua', ['exec'])}`),
      'src/run.lua': RUN,
      'src/tree.lua': SPAWN_TREE,
      'src/stdin.lua': STDIN,
    });
    rt = await bootProject(root);
  });

  afterAll(() => rt.shutdown());

  test("commands are split as Wippy splits them and run without a shell", async () => {
    expect(parseCommand(`printf '%s|' "a b" c 'd "e"'`)).toEqual(['printf', '%s|', 'a b', 'c', 'd "e"']);
    expect(parseCommand("echo ''")).toEqual(['echo', '']);
    expect(parseCommand("a 'unclosed")).toEqual(['a', "'unclosed"]);
    expect(await run(`printf '%s|' "a b" c`)).toEqual({ code: 0, stdout: 'a b|c|', stderr: '' });
    // No shell: $HOME, ; and > reach echo as they are.
    expect((await run('echo $HOME ; rm -rf / > x')).stdout).toBe('$HOME ; rm -rf / > x\n');
  });

  test('the environment holds only the entry defaults and the call env; work_dir applies; exit codes come back', async () => {
    const env = await run('env', { env: { CALL: 'call', FROM_ENTRY: 'overridden' } });
    expect((env.stdout as string).trim().split('\n').sort()).toEqual(['CALL=call', 'FROM_ENTRY=overridden']);
    expect((await run('pwd', { work_dir: '/tmp' })).stdout).toBe('/tmp\n');
    expect(await run("sh -c 'echo oops >&2; exit 42'")).toEqual({ code: 42, stdout: '', stderr: 'oops\n' });
    expect(await run('no-such-command-xyz')).toEqual({ error: 'exec: "no-such-command-xyz": executable file not found in $PATH', kind: 'Internal' });
  });

  test('the whitelist allows its exact commands only', async () => {
    expect(await run('echo allowed', null, 't:strict')).toEqual({ code: 0, stdout: 'allowed\n', stderr: '' });
    expect(await run('echo refused', null, 't:strict')).toEqual({ error: 'command not allowed', kind: 'PermissionDenied' });
    expect(await run('echo  allowed', null, 't:strict')).toMatchObject({ kind: 'PermissionDenied' });
  });

  test('stdin reaches the process; a closed process refuses further use', async () => {
    expect(await runLua(rt, 'stdin')).toEqual({ got: 'line one\n', after: 'process is closed' });
  });

  test('a process killed by a signal takes what it forked with it', async () => {
    const marker = '291.125';
    const r = (await runLua(rt, 'tree', [`sh -c 'sleep ${marker} & sleep ${marker} & echo started; wait'`, 'kill'])) as Record<string, unknown>;
    expect(r).toEqual({ line: 'started\n', code: -1 });
    await until(() => countProcesses(marker) === 0);
  });

  test('close(false) stops the whole group; a process ignoring SIGTERM is killed after the grace period', async () => {
    const marker = '292.25';
    await runLua(rt, 'tree', [`sh -c 'trap "" TERM; sleep ${marker} & echo started; wait'`, 'close']);
    await until(() => countProcesses(marker) === 0);
  });

  test('a process that exits on its own leaves nothing behind', async () => {
    const marker = '293.375';
    const r = await runLua(rt, 'tree', [`sh -c 'sleep ${marker} & echo started'`, 'exit']);
    expect(r).toEqual({ line: 'started\n', code: 0 });
    await until(() => countProcesses(marker) === 0);
  });

  test('a Lua process that ends without closing its process takes the group with it', async () => {
    const marker = '294.5';
    await runLua(rt, 'tree', [`sh -c 'sleep ${marker} & sleep ${marker} & echo started; wait'`, 'abandon']);
    await until(() => countProcesses(marker) === 0);
  });

  test('the runtime stopping kills what is still running', async () => {
    const root = writeFiles({
      'src/_index.yaml': definitions(`  - name: exec
    kind: exec.native
${luaEntry('tree', 'tree.lua', ['exec'])}  - name: keeper
    kind: process.lua
    source: file://keeper.lua
    method: main
    modules: [exec]
`),
      'src/tree.lua': SPAWN_TREE,
      'src/keeper.lua': `local exec = require("exec")
        return { main = function(marker)
          local p = assert(assert(exec.get("t:exec")):exec("sh -c 'sleep " .. marker .. " & echo started; wait'"))
          local out = p:stdout_stream()
          p:start()
          out:read()
          return p:wait()
        end }`,
    });
    const own = await bootProject(root);
    const marker = '295.75';
    const r = own.node.spawn({ entry: 't:keeper', host: 't:host', args: [marker], parent: null, monitor: false, link: false });
    expect(r.ok).toBe(true);
    await until(() => countProcesses(marker) === 2);
    await own.shutdown();
    await until(() => countProcesses(marker) === 0);
  });
});
