'use strict';
/**
 * io benchmark (issue 24): reading a file through the fs module in 1 MiB reads, and gzip through the compress
 * module, each against Node doing the same directly (node:fs FileHandle reads, node:zlib gzip), round by round
 * in the same run. Rows in MB/s and the ratio wisp / Node.
 */
const fs = require('fs');
const os = require('os');
const path = require('path');
const zlib = require('zlib');
const { loadProject } = require('../dist/registry');
const { Runtime } = require('../dist/hosts/runtime');
const { SILENT } = require('../dist/modules/logger');
const { median } = require('./harness');

const FILE_MB = 32;
const GZIP_MB = 2;
const ROUNDS = 5;
const MB = 1024 * 1024;

function project() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wisp-bench-io-'));
  fs.mkdirSync(path.join(dir, 'src'));
  fs.mkdirSync(path.join(dir, 'data'));
  fs.writeFileSync(path.join(dir, 'wippy.lock'), 'directories:\n  src: ./src\n');
  fs.writeFileSync(
    path.join(dir, 'src', '_index.yaml'),
    `version: "1.0"
namespace: bench
entries:
  - name: processes
    kind: process.host
    lifecycle: { auto_start: true }
  - name: data
    kind: fs.directory
    directory: ./data
  - name: read
    kind: process.lua
    source: file://read.lua
    method: main
    modules: [fs]
  - name: gzip
    kind: process.lua
    source: file://gzip.lua
    method: main
    modules: [compress]
`,
  );
  fs.writeFileSync(
    path.join(dir, 'src', 'read.lua'),
    `local fs = require("fs")
return { main = function()
  local f = assert(assert(fs.get("bench:data")):open("/big.bin", "r"))
  local total = 0
  while true do
    local chunk = f:read(1048576)
    if chunk == nil then break end
    total = total + #chunk
  end
  f:close()
  return total
end }`,
  );
  fs.writeFileSync(
    path.join(dir, 'src', 'gzip.lua'),
    `local compress = require("compress")
return { main = function(data, n)
  local size = 0
  for i = 1, n do size = size + #assert(compress.gzip.encode(data, { level = 6 })) end
  return size
end }`,
  );
  // Text-like content: compressible, not trivially so.
  const words = [];
  for (let i = 0, length = 0; length < MB; i++) {
    const w = `word${(i * 7919) % 5003} item${i % 97}`;
    words.push(w);
    length += w.length + 1;
  }
  const text = Buffer.from(words.join(' ').slice(0, MB));
  const big = Buffer.alloc(FILE_MB * MB);
  for (let at = 0; at < big.length; at += text.length) text.copy(big, at);
  fs.writeFileSync(path.join(dir, 'data', 'big.bin'), big);
  return { dir, file: path.join(dir, 'data', 'big.bin'), gzipInput: big.subarray(0, GZIP_MB * MB) };
}

async function runEntry(rt, entry, args) {
  const r = rt.node.spawn({ entry, host: 'bench:processes', args, parent: null, monitor: false, link: false });
  if (!r.ok) throw new Error(r.error.message);
  const outcome = await new Promise((resolve) => rt.node.onExit(r.value, resolve));
  if (outcome.error) throw new Error(outcome.error.message);
  return outcome.value;
}

async function nodeRead(file) {
  const h = await fs.promises.open(file, 'r');
  const buf = Buffer.allocUnsafe(MB);
  let total = 0;
  for (let pos = 0; ; ) {
    const { bytesRead } = await h.read(buf, 0, MB, pos);
    if (bytesRead === 0) break;
    // As the fs module does, each chunk is copied out (a Lua string cannot share the read buffer).
    total += new Uint8Array(buf.buffer, buf.byteOffset, bytesRead).slice().length;
    pos += bytesRead;
  }
  await h.close();
  return total;
}

async function nodeGzip(data, n) {
  let size = 0;
  for (let i = 0; i < n; i++) size += (await new Promise((resolve, reject) => zlib.gzip(data, { level: 6 }, (e, out) => (e ? reject(e) : resolve(out))))).length;
  return size;
}

async function timed(fn) {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

module.exports = {
  targets: { fs_read_vs_node_fs: { min: 0.5 }, gzip_vs_node_zlib: { min: 0.7 } },
  async run() {
    const { dir, file, gzipInput } = project();
    const rt = new Runtime(loadProject(dir), { logs: SILENT, terminal: null });
    await rt.boot();
    const input = new Uint8Array(gzipInput);
    const gzipRounds = 2;
    await runEntry(rt, 'bench:read', []);
    await nodeRead(file);
    const wispRead = [];
    const nodeReadS = [];
    const readRatio = [];
    const wispGzip = [];
    const nodeGzipS = [];
    const gzipRatio = [];
    for (let i = 0; i < ROUNDS; i++) {
      const w = FILE_MB / (await timed(() => runEntry(rt, 'bench:read', [])));
      const n = FILE_MB / (await timed(() => nodeRead(file)));
      wispRead.push(w);
      nodeReadS.push(n);
      readRatio.push(w / n);
      const wg = (GZIP_MB * gzipRounds) / (await timed(() => runEntry(rt, 'bench:gzip', [input, gzipRounds])));
      const ng = (GZIP_MB * gzipRounds) / (await timed(() => nodeGzip(gzipInput, gzipRounds)));
      wispGzip.push(wg);
      nodeGzipS.push(ng);
      gzipRatio.push(wg / ng);
    }
    await rt.shutdown();
    fs.rmSync(dir, { recursive: true, force: true });
    return {
      fs_read_mb_per_s: median(wispRead),
      node_fs_read_mb_per_s: median(nodeReadS),
      fs_read_vs_node_fs: median(readRatio),
      gzip_mb_per_s: median(wispGzip),
      node_gzip_mb_per_s: median(nodeGzipS),
      gzip_vs_node_zlib: median(gzipRatio),
    };
  },
};
