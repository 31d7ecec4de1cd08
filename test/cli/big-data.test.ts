/**
 * Data larger than the heap, through the CLI with a small heap (--max-old-space-size=96): a 2 GiB file read
 * through fs in 1 MiB reads, and a process printing 1 GiB read through its stdout stream. Both complete:
 * nothing is held but the chunk being read.
 */
import { closeSync, openSync, ftruncateSync } from 'fs';
import { join } from 'path';
import { wisp } from '../helpers/cli';
import { definitions, luaEntry, writeFiles } from '../helpers/service-project';

const TWO_GIB = 2 * 1024 * 1024 * 1024;

describe('big data under a small heap', () => {
  test('a 2 GiB file read through fs and a 1 GiB process output read through its stream', async () => {
    const root = writeFiles({
      'src/_index.yaml': definitions(`  - name: terminal
    kind: terminal.host
    lifecycle: { auto_start: true }
  - name: data
    kind: fs.directory
    directory: ./data
    auto_init: true
  - name: exec
    kind: exec.native
${luaEntry('readfile', 'readfile.lua', ['fs', 'io'])}${luaEntry('readpipe', 'readpipe.lua', ['exec', 'io'])}`),
      'src/readfile.lua': `local fs = require("fs")
        local io = require("io")
        return { main = function()
          local f = assert(assert(fs.get("t:data")):open("/big.bin", "r"))
          local total = 0.0
          while true do
            local chunk, err = f:read(1048576)
            if chunk == nil then break end
            total = total + #chunk
          end
          f:close()
          io.print(string.format("%.0f", total))
          return 0
        end }`,
      'src/readpipe.lua': `local exec = require("exec")
        local io = require("io")
        return { main = function()
          local p = assert(assert(exec.get("t:exec")):exec("head -c 1073741824 /dev/zero"))
          local out = p:stdout_stream()
          p:start()
          local total = 0.0
          while true do
            local chunk = out:read(1048576)
            if chunk == nil then break end
            total = total + #chunk
          end
          io.print(string.format("%.0f", total), (p:wait()))
          return 0
        end }`,
      'data/.keep': '',
    });
    // A sparse file: 2 GiB to read, no disk used.
    const fd = openSync(join(root, 'data', 'big.bin'), 'w');
    ftruncateSync(fd, TWO_GIB);
    closeSync(fd);
    const node = ['--max-old-space-size=96'];
    const file = await wisp(['run', '-x', 't:readfile'], { cwd: root, node, timeoutMs: 240_000 });
    expect([file.code, file.stdout.trim(), file.stderr]).toEqual([0, String(TWO_GIB), '']);
    const pipe = await wisp(['run', '-x', 't:readpipe'], { cwd: root, node, timeoutMs: 240_000 });
    expect([pipe.code, pipe.stdout.trim().split(/\s+/), pipe.stderr]).toEqual([0, [String(TWO_GIB / 2), '0'], '']);
  }, 500_000);
});
