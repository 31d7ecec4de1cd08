'use strict';
/**
 * Cluster benchmarks (issue 13), on a real nats-server: node a is this process (a Runtime joined to the
 * cluster, driven from JS as in kernel.js), node b a separate `wisp run` OS process running the echo-cluster
 * relay (worker without its sleep) and a counting sink. For reference, a bare NATS request/reply between this
 * process and another one through the same server. Skipped (no rows) when nats-server is not installed.
 */
const path = require('path');
const fs = require('fs');
const os = require('os');
const net = require('net');
const { spawn, spawnSync } = require('child_process');
const { loadProject } = require('../dist/registry');
const { Runtime } = require('../dist/hosts/runtime');
const { SILENT } = require('../dist/modules/logger');
const { Table } = require('../dist/kernel/value');
const { median } = require('./harness');
const { driver } = require('./kernel');

const ROOT = path.join(__dirname, '..');
const WISP = path.join(ROOT, 'bin', 'wisp.js');

function natsServer() {
  const found = spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' }).stdout.trim();
  if (found) return found;
  return fs.existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : null;
}

const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

const accepting = (port) =>
  new Promise((resolve) => {
    const c = net.connect(port, '127.0.0.1');
    c.once('connect', () => (c.destroy(), resolve(true)));
    c.once('error', () => resolve(false));
  });

async function startNats(bin = natsServer()) {
  const port = await freePort();
  const store = fs.mkdtempSync(path.join(os.tmpdir(), 'wisp-bench-nats-'));
  const child = spawn(bin, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', store], { stdio: 'ignore' });
  while (!(await accepting(port))) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 200));
  return { url: `nats://127.0.0.1:${port}`, stop: () => (child.kill('SIGKILL'), fs.rmSync(store, { recursive: true, force: true })) };
}

/** Starts a child process and resolves once its output matches every pattern. */
function startChild(args, options, patterns) {
  const child = spawn(process.execPath, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child did not get ready:\n${out}`)), 30000);
    const check = (d) => {
      out += d.toString();
      if (patterns.every((p) => p.test(out))) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout.on('data', check);
    child.stderr.on('data', check);
    child.on('exit', (code) => reject(new Error(`child exited with ${code}:\n${out}`)));
  });
}

const SINK = `local function main()
  process.registry.register("sink", nil, process.registry.CONSISTENT)
  local inbox = process.inbox()
  local count = 0
  while true do
    local msg = inbox:receive()
    if msg:topic() == "count" then
      process.send(msg:from(), "count", count)
      count = 0
    else
      count = count + 1
    end
  end
end
return { main = main }
`;

/** Node b's project: lua/echo-cluster/b with a worker that does not sleep, plus the sink service. */
function nodeBProject() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wisp-bench-b-'));
  fs.cpSync(path.join(ROOT, 'lua', 'echo-cluster', 'b'), dir, { recursive: true });
  const worker = path.join(dir, 'src', 'worker.lua');
  fs.writeFileSync(worker, fs.readFileSync(worker, 'latin1').replace('time.sleep("100ms")', ''), 'latin1');
  fs.writeFileSync(path.join(dir, 'src', 'sink.lua'), SINK);
  fs.appendFileSync(path.join(dir, 'src', '_index.yaml'), `
  - name: sink
    kind: process.lua
    source: file://sink.lua
    method: main
    modules: [process]

  - name: sink-service
    kind: process.service
    process: app:sink
    host: app:processes
    lifecycle:
      auto_start: true
`);
  return dir;
}

const RESPONDER = `
const { connect } = require('@nats-io/transport-node');
(async () => {
  const nc = await connect({ servers: process.argv[1] });
  nc.subscribe('bench.rtt', { callback: (err, m) => m.respond(m.data) });
  await nc.flush();
  console.log('responder ready');
})();
`;

async function natsRtt(url) {
  const { connect } = require('@nats-io/transport-node');
  const responder = await startChild(['-e', RESPONDER, url], { cwd: ROOT }, [/responder ready/]);
  const nc = await connect({ servers: url });
  const payload = new TextEncoder().encode('hello world');
  for (let i = 0; i < 2000; i++) await nc.request('bench.rtt', payload, { timeout: 5000 });
  const rtts = [];
  for (let i = 0; i < 10000; i++) {
    const t0 = performance.now();
    await nc.request('bench.rtt', payload, { timeout: 5000 });
    rtts.push((performance.now() - t0) * 1000);
  }
  await nc.close();
  responder.kill('SIGKILL');
  return median(rtts);
}

/** Node a in this process: a Runtime joined to the cluster, with a JS-driven process whose replies are awaited. */
async function nodeA(url) {
  const { joinCluster } = require('../dist/cluster');
  const cluster = await joinCluster(
    { servers: [url], node: 'a', cluster: 'bench', heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 5000, connectTimeoutMs: 5000 },
    () => undefined,
  );
  const rt = new Runtime(loadProject(path.join(ROOT, 'lua', 'echo-cluster', 'a')), {
    logs: SILENT, terminal: null, node: { name: cluster.node, firstUniq: cluster.firstUniq },
  });
  const router = await cluster.attach(rt.node);
  rt.boot();
  const { pid, next } = driver(rt);
  const deadline = Date.now() + 20000;
  while (!(router.lookup('relay').ok && router.lookup('sink').ok)) {
    if (Date.now() > deadline) throw new Error('node b did not register relay and sink');
    await new Promise((r) => setTimeout(r, 50));
  }
  return { cluster, rt, router, pid, next };
}

async function clusterEcho(a) {
  const message = Table.from({ sender: a.pid, data: 'hello world' });
  const roundTrip = async () => {
    const t0 = performance.now();
    const err = a.router.send(a.pid, 'relay', 'echo', [message]);
    if (err) throw new Error(err.message);
    const reply = await a.next();
    if (reply.payloads[0].get('data') !== 'HELLO WORLD') throw new Error('bad reply');
    return (performance.now() - t0) * 1000;
  };
  for (let i = 0; i < 1000; i++) await roundTrip();
  const rtts = [];
  for (let i = 0; i < 5000; i++) rtts.push(await roundTrip());
  return median(rtts);
}

/** One-way sends to the sink on b, in windows of 20,000 each confirmed by the sink's count (FIFO: it comes last). */
async function clusterSends(a) {
  const window = 20000;
  const windows = 10;
  const payload = [Table.from({ n: 1, data: 'hello world' })];
  const t0 = performance.now();
  for (let w = 0; w < windows; w++) {
    for (let i = 0; i < window; i++) {
      const err = a.router.send(a.pid, 'sink', 'msg', payload);
      if (err) throw new Error(err.message);
      if (i % 1000 === 999) await new Promise((r) => setImmediate(r)); // let the bus flush, as a process would yield
    }
    a.router.send(a.pid, 'sink', 'count', []);
    const reply = await a.next();
    if (reply.payloads[0] !== window) throw new Error(`sink counted ${reply.payloads[0]} of ${window}`);
  }
  return (window * windows) / ((performance.now() - t0) / 1000);
}

module.exports = {
  startNats,
  targets: { cluster_send_per_s: { min: 100000 } },
  /** `earlier`: the figures of the suites before (the local echo_rtt_p50_us sets the cluster echo's target). */
  async run(earlier = {}) {
    const bin = natsServer();
    if (bin === null) {
      console.log('cluster benchmarks skipped: nats-server is not installed');
      return {};
    }
    const nats = await startNats(bin);
    const bdir = nodeBProject();
    fs.writeFileSync(path.join(bdir, '.wippy.yaml'), 'version: "1.0"\ncluster:\n  name: bench\n');
    // Silent, as a production node would run (the relay logs every worker's exit); node a waits for its names.
    // WISP_BENCH_B_FLAGS: node flags for node b (e.g. --cpu-prof --cpu-prof-dir=DIR to profile it).
    const b = spawn(process.execPath, [...(process.env.WISP_BENCH_B_FLAGS ?? '').split(' ').filter(Boolean), WISP, 'run', '-s', '--cluster', nats.url, '--node', 'b'], { cwd: bdir, stdio: 'ignore' });
    let a = null;
    try {
      const natsRttUs = await natsRtt(nats.url);
      a = await nodeA(nats.url);
      const echoUs = await clusterEcho(a);
      const sends = await clusterSends(a);
      // Issue 13's target: at most three bare NATS round trips plus the local echo.
      if (earlier.echo_rtt_p50_us !== undefined) module.exports.targets.cluster_echo_rtt_p50_us = { max: Math.round(3 * natsRttUs + earlier.echo_rtt_p50_us) };
      return { nats_rtt_p50_us: natsRttUs, cluster_echo_rtt_p50_us: echoUs, cluster_send_per_s: sends };
    } finally {
      if (a !== null) {
        for (const s of a.rt.services.values()) s.entry.lifecycle.stopTimeoutMs = 10;
        await a.rt.shutdown();
        await a.cluster.close();
      }
      b.kill(process.env.WISP_BENCH_B_FLAGS ? 'SIGINT' : 'SIGKILL');
      nats.stop();
      fs.rmSync(bdir, { recursive: true, force: true });
    }
  },
};
