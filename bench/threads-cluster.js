'use strict';
/**
 * By hand (not part of `npm run bench`): `npm run build && node bench/threads-cluster.js`. What `--threads` costs
 * in a cluster (src/cluster/spec.md "Threads in a cluster"), on a real nats-server with two wisp nodes a and b
 * running fixtures/threadcluster:
 *   - the round trip (Lua echo by PID) between a process on a and one on b: both nodes on one thread, then both
 *     on two threads, from thread 1 to thread 1 and from thread 2 to thread 2, and between a's two threads;
 *   - what the idle cluster puts through the NATS server (messages a second: heartbeats and ticks), read from
 *     the server's monitoring port, for 1 and 2 threads a node.
 * Each figure is the median of ROUNDS; the two configurations alternate.
 */
const path = require('path');
const fs = require('fs');
const os = require('os');
const { spawn } = require('child_process');
const cluster = require('./cluster');

const ROOT = path.join(__dirname, '..');
const WISP = path.join(ROOT, 'bin', 'wisp.js');
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const N = Number(process.env.RTT_N ?? 300);

/** Messages a second on the cluster's subjects while both nodes idle (a subscriber of our own counts them). */
async function idleRate(url, dir, threads) {
  const { connect } = require('@nats-io/transport-node');
  const nodes = ['a', 'b'].map((n) => startNode(dir, url, n, threads));
  await new Promise((r) => setTimeout(r, 4000));
  const nc = await connect({ servers: url });
  let count = 0;
  nc.subscribe('wisp.bench.>', { callback: () => count++ });
  await new Promise((r) => setTimeout(r, 5000));
  await nc.close();
  for (const n of nodes) n.kill('SIGTERM');
  await Promise.all(nodes.map((n) => new Promise((r) => n.on('exit', r))));
  return count / 5;
}

function project() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wisp-bench-tc-'));
  fs.cpSync(path.join(ROOT, 'fixtures', 'threadcluster'), dir, { recursive: true });
  fs.writeFileSync(path.join(dir, '.wippy.yaml'), 'version: "1.0"\ncluster:\n  name: bench\n');
  // The driver: asks a peer for round trips to another and prints the figure.
  fs.writeFileSync(path.join(dir, 'src', 'rtt.lua'), `local io = require("io")
local time = require("time")
local function main(from, to, n)
  local pid
  for _ = 1, 400 do pid = process.registry.lookup(from) if pid and process.registry.lookup(to) then break end time.sleep("50ms") end
  process.send(pid, "rtt", { target = to, n = tonumber(n) })
  io.print("rtt_us " .. process.inbox():receive():payload():data())
  return 0
end
return { main = main }
`);
  fs.appendFileSync(path.join(dir, 'src', '_index.yaml'), '  - name: rtt\n    kind: process.lua\n    source: file://rtt.lua\n    method: main\n    modules: [io, time]\n');
  return dir;
}

function run(dir, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WISP, 'run', ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', () => resolve(out));
    child.on('error', reject);
    run.last = child;
  });
}

function startNode(dir, url, node, threads) {
  return spawn(process.execPath, [WISP, 'run', '--cluster', url, '--node', node, '--threads', String(threads)], { cwd: dir, stdio: 'ignore' });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const { url, stop } = await cluster.startNats();
  const dir = project();
  const rows = {};
  const add = (k, v) => (rows[k] ??= []).push(v);
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const threads of [1, 2]) {
        const b = startNode(dir, url, 'b', threads);
        const c = ['--cluster', url, '--node', 'a', '--threads', String(threads), '-x', 'app:rtt'];
        const rtt = async (from, to) => Number(/rtt_us (\S+)/.exec(await run(dir, [...c, from, to, String(N)]))?.[1]);
        if (threads === 1) {
          add('rtt_us_1thread_a_b', await rtt('peer-a-t1', 'peer-b-t1'));
        } else {
          add('rtt_us_2threads_t1_t1', await rtt('peer-a-t1', 'peer-b-t1'));
          add('rtt_us_2threads_t2_t2', await rtt('peer-a-t2', 'peer-b-t2'));
          add('rtt_us_2threads_a_t1_a_t2', await rtt('peer-a-t1', 'peer-a-t2'));
        }
        b.kill('SIGTERM');
        await new Promise((r) => b.on('exit', r));
        if (round === 0) add(`idle_msgs_per_s_${threads}thread`, await idleRate(url, dir, threads));
      }
    }
  } finally {
    stop();
  }
  for (const [k, v] of Object.entries(rows)) console.log(`${k} ${median(v).toFixed(1)}  (${v.map((x) => x.toFixed(0)).join(' ')})`);
}

if (require.main === module) main().catch((e) => (console.error(e), process.exit(1)));
