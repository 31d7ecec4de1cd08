'use strict';
/**
 * HTTP server benchmark: Wippy's hello-world endpoint served by `wisp run` against a bare Node `http` server
 * answering the same JSON, each alone in its own process, driven by the same load generator (wrk, keep-alive,
 * the same connections and duration), round by round in pairs. Rows: requests/s ratio, p99 latency ratio,
 * and the memory one idle keep-alive connection costs the wisp server. Then the same endpoint served by
 * `wisp run --threads 2` against `wisp run` (one thread), alternating rounds with the same client
 * (`http_threads_scaling_2`, requests/s), and the server's CPU time per request on each (every thread of the
 * process counted): on a 2-core machine wrk takes a core's share too, so the CPU figure says what the threads
 * cost, and the scaling what is left of the cores for them.
 */
const { spawn, execFile } = require('child_process');
const { mkdtempSync, mkdirSync, writeFileSync, readFileSync } = require('fs');
const { tmpdir } = require('os');
const { join } = require('path');
const net = require('net');
const { median } = require('./harness');

const ROOT = join(__dirname, '..');
const CONNECTIONS = 32;
const SECONDS = 4;
const ROUNDS = 3;
const THREAD_ROUNDS = 5;
const IDLE = 2000;

const BARE = `const http = require('http');
const body = JSON.stringify({ message: 'hello world' });
http.createServer((req, res) => {
  if (req.url !== '/hello') { res.writeHead(404).end(); return; }
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }).end(body);
}).listen(Number(process.argv[2]), '127.0.0.1', () => console.log('listening'));`;

function project(port) {
  const dir = mkdtempSync(join(tmpdir(), 'wisp-bench-http-'));
  writeFileSync(join(dir, 'wippy.lock'), 'directories:\n  src: ./src\n');
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src', '_index.yaml'), `version: "1.0"
namespace: app
entries:
  - name: gateway
    kind: http.service
    addr: 127.0.0.1:${port}
    lifecycle: { auto_start: true }
  - name: api
    kind: http.router
    meta: { server: gateway }
    prefix: /
  - name: hello
    kind: function.lua
    source: file://hello.lua
    method: handler
    modules: [http]
  - name: hello.endpoint
    kind: http.endpoint
    meta: { router: app:api }
    method: GET
    path: /hello
    func: hello
  - name: work
    kind: function.lua
    source: file://work.lua
    method: handler
    modules: [http]
  - name: work.endpoint
    kind: http.endpoint
    meta: { router: app:api }
    method: GET
    path: /work
    func: work
`);
  writeFileSync(join(dir, 'src', 'work.lua'), `local http = require("http")
local function handler()
  local t = {}
  for i = 1, 300 do t[i] = {id = i, name = "item" .. i} end
  table.sort(t, function(a, b) return a.name < b.name end)
  local res = http.response()
  res:set_content_type(http.CONTENT.JSON)
  res:write_json({first = t[1].name, n = #t})
end
return { handler = handler }`);
  writeFileSync(join(dir, 'src', 'hello.lua'), `local http = require("http")
local function handler()
  local res = http.response()
  res:set_content_type(http.CONTENT.JSON)
  res:set_status(http.STATUS.OK)
  res:write_json({message = "hello world"})
end
return { handler = handler }`);
  return dir;
}

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Starts a server process and resolves once `ready` appears in its output. */
function start(args, cwd, ready) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const seen = (d) => {
      out += d.toString();
      if (out.includes(ready)) resolve(child);
    };
    child.stdout.on('data', seen);
    child.stderr.on('data', seen);
    child.on('exit', (code) => reject(new Error(`server exited (${code}): ${out}`)));
  });
}

function stop(child) {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.on('exit', resolve);
    child.kill('SIGKILL');
  });
}

/** CPU time (user + system, every thread) the process `pid` has used, in µs. */
function cpuMicros(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // utime and stime are fields 14 and 15 of the whole line, in clock ticks (100 a second on Linux).
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

/** One wrk run against `pid`'s server: requests/s, and that server's CPU µs per request. */
async function wrkCpu(url, pid) {
  const before = cpuMicros(pid);
  const r = await wrk(url);
  return { rps: r.rps, cpu: (cpuMicros(pid) - before) / r.requests };
}

/**
 * `http_threads_*`: the hello world on `wisp run --threads 2` against one thread; and `http_threads_work_*`: the
 * same for a handler that does some Lua work (300 records built and sorted, some ms), where the handler, not
 * the HTTP work, is most of a request's cost. Each of THREAD_ROUNDS rounds starts both servers afresh (a
 * process's V8 compiles Fengari's loop its own way, and one server's luck moved a single run's ratio from 0.8
 * to 1.8), warms each up, then measures them one after the other (which goes first alternates); the ratio is
 * the median of the rounds' ratios.
 */
async function threadScaling() {
  const rounds = [];
  for (let i = 0; i < THREAD_ROUNDS; i++) {
    const onePort = await freePort();
    const twoPort = await freePort();
    const one = await start([join(ROOT, 'bin', 'wisp.js'), 'run', '--threads', '1'], project(onePort), 'runtime ready');
    const two = await start([join(ROOT, 'bin', 'wisp.js'), 'run', '--threads', '2'], project(twoPort), 'runtime ready');
    try {
      const round = {};
      for (const [prefix, path] of [['http_threads', '/hello'], ['http_threads_work', '/work']]) {
        const oneUrl = `http://127.0.0.1:${onePort}${path}`;
        const twoUrl = `http://127.0.0.1:${twoPort}${path}`;
        // Two threads warm up longer: each thread's V8 compiles Fengari for itself (src/cluster/spec.md "Threads").
        await wrk(oneUrl);
        await wrk(twoUrl);
        await wrk(twoUrl);
        const first = i % 2 === 0 ? await wrkCpu(oneUrl, one.pid) : await wrkCpu(twoUrl, two.pid);
        const second = i % 2 === 0 ? await wrkCpu(twoUrl, two.pid) : await wrkCpu(oneUrl, one.pid);
        round[prefix] = i % 2 === 0 ? { a: first, b: second } : { a: second, b: first };
      }
      rounds.push(round);
    } finally {
      await stop(one);
      await stop(two);
    }
  }
  const out = {};
  for (const prefix of ['http_threads', 'http_threads_work']) {
    const of = (f) => median(rounds.map((r) => f(r[prefix])));
    Object.assign(out, {
      [`${prefix}_rps_1`]: of((r) => r.a.rps),
      [`${prefix}_rps_2`]: of((r) => r.b.rps),
      [`${prefix}_scaling_2`]: of((r) => r.b.rps / r.a.rps),
      [`${prefix}_cpu_us_1`]: of((r) => r.a.cpu),
      [`${prefix}_cpu_us_2`]: of((r) => r.b.cpu),
    });
  }
  const hello = rounds.map((r) => r.http_threads.b.rps / r.http_threads.a.rps);
  out.http_threads_scaling_2_min = Math.min(...hello);
  out.http_threads_scaling_2_max = Math.max(...hello);
  return out;
}

/** One wrk run: requests/s, p99 latency (µs) and the number of requests. */
function wrk(url) {
  return new Promise((resolve, reject) => {
    execFile('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${SECONDS}s`, '--latency', url], (err, stdout) => {
      if (err) return reject(err);
      const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]);
      const m = /\n\s+99%\s+([\d.]+)(us|ms|s)/.exec(stdout);
      const p99 = m === null ? NaN : Number(m[1]) * (m[2] === 'us' ? 1 : m[2] === 'ms' ? 1000 : 1e6);
      const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(stdout);
      if (non2xx !== null) return reject(new Error(`wrk saw ${non2xx[1]} error responses`));
      const requests = Number(/(\d+) requests in/.exec(stdout)?.[1]);
      resolve({ rps, p99, requests });
    });
  });
}

function rssBytes(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m[1]) * 1024;
}

/** Memory per idle keep-alive connection: RSS growth after IDLE connections each made one request. */
async function idleBytes(pid, port) {
  const sockets = [];
  const before = rssBytes(pid);
  for (let i = 0; i < IDLE; i++) {
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => undefined);
    await new Promise((r) => s.once('connect', r));
    await new Promise((r) => {
      s.once('data', r);
      s.write('GET /hello HTTP/1.1\r\nHost: x\r\n\r\n');
    });
    sockets.push(s);
  }
  await new Promise((r) => setTimeout(r, 1000));
  const after = rssBytes(pid);
  for (const s of sockets) s.destroy();
  return Math.max(0, (after - before) / IDLE);
}

async function run() {
  return { ...(await single()), ...(await threadScaling()) };
}

async function single() {
  const wispPort = await freePort();
  const barePort = await freePort();
  const bareFile = join(mkdtempSync(join(tmpdir(), 'wisp-bench-bare-')), 'bare.js');
  writeFileSync(bareFile, BARE);
  const wisp = await start([join(ROOT, 'bin', 'wisp.js'), 'run'], project(wispPort), 'service listening on');
  const bare = await start([bareFile, String(barePort)], ROOT, 'listening');
  try {
    const wispUrl = `http://127.0.0.1:${wispPort}/hello`;
    const bareUrl = `http://127.0.0.1:${barePort}/hello`;
    await wrk(wispUrl); // warm both (JIT, pools)
    await wrk(bareUrl);
    const w = [];
    const b = [];
    for (let i = 0; i < ROUNDS; i++) {
      w.push(await wrk(wispUrl));
      b.push(await wrk(bareUrl));
    }
    const wispRps = median(w.map((r) => r.rps));
    const bareRps = median(b.map((r) => r.rps));
    const wispP99 = median(w.map((r) => r.p99));
    const bareP99 = median(b.map((r) => r.p99));
    const idle = await idleBytes(wisp.pid, wispPort);
    return {
      http_hello_rps: wispRps,
      http_hello_node_rps: bareRps,
      http_hello_vs_node: wispRps / bareRps,
      http_hello_p99_us: wispP99,
      http_hello_node_p99_us: bareP99,
      http_p99_vs_node: wispP99 / bareP99,
      http_idle_conn_bytes: idle,
    };
  } finally {
    await stop(wisp);
    await stop(bare);
  }
}

module.exports = { targets: { http_hello_vs_node: { min: 0.5 }, http_p99_vs_node: { max: 3 } }, run, threadScaling };
