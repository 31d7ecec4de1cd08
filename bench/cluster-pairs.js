'use strict';
/**
 * By hand (not part of `npm run bench`): `npm run build && node bench/cluster-pairs.js`. Aggregate echo
 * throughput of two client/relay pairs (issue 13's multi-core note), each client keeping 16 requests in flight
 * for 5 s against its own relay (the tutorial's relay and worker, the worker without its sleep and the relay
 * without its per-worker log line):
 *   one node       both pairs in one wisp process (one core)
 *   two nodes      one pair on each of two wisp processes in a cluster (two cores)
 *   clients on a   both clients on node a, both relays and their workers on node b (every echo crosses nodes)
 */
const path = require('path');
const fs = require('fs');
const os = require('os');
const { spawn } = require('child_process');
const cluster = require('./cluster');

const ROOT = path.join(__dirname, '..');
const WISP = path.join(ROOT, 'bin', 'wisp.js');
const SECONDS = 5;

const CLIENT = `local time = require("time")
local logger = require("logger")
local function main(relay, seconds)
  local inbox = process.inbox()
  while not process.registry.lookup(relay) do time.sleep("50ms") end
  time.sleep("500ms")
  local msg = { sender = process.pid(), data = "hello" }
  for i = 1, 16 do process.send(relay, "echo", msg) end
  local count, stop = 0, time.after(seconds * 1000 * time.MILLISECOND)
  while true do
    local r = channel.select { inbox:case_receive(), stop:case_receive() }
    if r.channel == stop then break end
    count = count + 1
    process.send(relay, "echo", msg)
  end
  logger:warn("pair done", { relay = relay, per_s = count / seconds })
  time.sleep("1h")
end
return { main = main }
`;

/** A project with the given relays and clients (each `[name, scope]` / `[relay]`). */
function project(relays, clients) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wisp-pairs-'));
  fs.cpSync(path.join(ROOT, 'lua', 'echo-service'), dir, { recursive: true });
  const src = path.join(dir, 'src');
  const edit = (file, f) => fs.writeFileSync(path.join(src, file), f(fs.readFileSync(path.join(src, file), 'latin1')), 'latin1');
  edit('worker.lua', (t) => t.replace('time.sleep("100ms")', ''));
  edit('relay.lua', (t) =>
    t.replace('local function main()', 'local function main(name, scope)')
      .replace('process.registry.register("relay")', 'process.registry.register(name, nil, scope)')
      .replace(/logger:info\("worker exited", \{[^}]*\}\)/, ''));
  fs.writeFileSync(path.join(src, 'client.lua'), CLIENT);
  const services = [
    ...relays.map(([name, scope]) => `  - name: ${name}-service\n    kind: process.service\n    process: app:relay\n    host: app:processes\n    input: [${name}, ${scope}]\n    lifecycle:\n      auto_start: true\n`),
    ...clients.map(([relay]) => `  - name: client-${relay}\n    kind: process.service\n    process: app:client\n    host: app:processes\n    input: [${relay}, ${SECONDS}]\n    lifecycle:\n      auto_start: true\n`),
  ];
  edit('_index.yaml', (t) =>
    t.replace(/  - name: relay-service\n(.*\n){5}/, '') +
    `\n  - name: client\n    kind: process.lua\n    source: file://client.lua\n    method: main\n    modules: [process, time, channel, logger]\n\n${services.join('\n')}`);
  return dir;
}

function node(dir, args) {
  const child = spawn(process.execPath, [WISP, 'run', ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  return { child, out: () => out };
}

async function measure(label, nodes, pairs) {
  const deadline = Date.now() + (SECONDS + 30) * 1000;
  const done = () => nodes.flatMap((n) => [...n.out().matchAll(/"per_s": ?([\d.]+)/g)].map((m) => Number(m[1])));
  while (done().length < pairs && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  const rates = done();
  for (const n of nodes) n.child.kill('SIGKILL');
  if (rates.length < pairs) throw new Error(`${label}: only ${rates.length} of ${pairs} pairs reported\n${nodes.map((n) => n.out()).join('\n')}`);
  const total = rates.reduce((a, b) => a + b, 0);
  console.log(`${label.padEnd(14)} ${Math.round(total)} echoes/s (${rates.map(Math.round).join(' + ')})`);
}

(async () => {
  const LOCAL = 0;
  const CONSISTENT = 2;
  await measure('one node', [node(project([['r1', LOCAL], ['r2', LOCAL]], [['r1'], ['r2']]), [])], 2);
  const { url, stop } = await cluster.startNats();
  try {
    const c = (n) => ['--cluster', url, '--node', n];
    await measure('two nodes', [
      node(project([['r1', CONSISTENT]], [['r1']]), c('a')),
      node(project([['r2', CONSISTENT]], [['r2']]), c('b')),
    ], 2);
    await measure('clients on a', [
      node(project([], [['r3'], ['r4']]), c('a2')),
      node(project([['r3', CONSISTENT], ['r4', CONSISTENT]], []), c('b2')),
    ], 2);
  } finally {
    stop();
  }
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
