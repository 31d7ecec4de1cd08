'use strict';
/**
 * Security benchmarks (issue 23): what a permission check costs, and what a scope on every process costs the
 * tutorial's echo flow. security_check_per_s: the check the modules make (src/lib/security isAllowed) against
 * a scope of four policies (filters, a condition, a regex condition, an expression). echo_with_scope_cost_pct:
 * the echo flow with the relay service given `lifecycle.security` (so the relay and every worker it spawns run
 * with an actor and a scope, and each spawn passes three checks), against the same flow without, in alternating
 * batches on two runtimes booted side by side.
 */
const fs = require('fs');
const os = require('os');
const path = require('path');
const { loadProject } = require('../dist/registry');
const { Runtime } = require('../dist/hosts/runtime');
const { SILENT } = require('../dist/modules/logger');
const { Table } = require('../dist/kernel/value');
const { Actor, Scope, conditionPolicy, exprPolicy, isAllowed } = require('../dist/lib/security');
const { settled, median, medianOf } = require('./harness');
const { driver, echoBatch } = require('./kernel');

const ROOT = path.join(__dirname, '..');

const POLICIES = `
  - name: spawn_app
    kind: security.policy
    policy: { actions: "process.*", resources: "app:*", effect: allow }
    groups: [echo]
  - name: no_secrets
    kind: security.policy
    policy: { actions: "env.*", resources: [SECRET, TOKEN], effect: deny }
    groups: [echo]
  - name: services
    kind: security.policy
    policy:
      actions: "*"
      resources: "*"
      effect: allow
      conditions: [{ field: actor.meta.role, operator: eq, value: service }]
    groups: [echo]
`;

function scopeOfFour() {
  return Scope.of([
    conditionPolicy('b:spawn', { actions: 'process.*', resources: 'app:*', effect: 'allow' }),
    conditionPolicy('b:deny', { actions: ['env.get', 'env.set'], resources: ['SECRET', 'TOKEN'], effect: 'deny' }),
    conditionPolicy('b:role', { actions: '*', resources: '*', effect: 'allow', conditions: [{ field: 'actor.meta.role', operator: 'in', value: ['service', 'admin'] }, { field: 'resource', operator: 'matches', value: '^doc:[0-9]+$' }] }),
    exprPolicy('b:expr', { actions: 'doc.*', resources: '*', effect: 'allow', expression: 'actor.meta.team == meta.team' }),
  ]);
}

async function checksPerSecond() {
  const context = { actor: new Actor('alice', { role: 'service', team: 'blue' }), scope: scopeOfFour() };
  const meta = { team: 'blue' };
  const calls = [
    ['process.spawn', 'app:worker'],
    ['env.get', 'SECRET'],
    ['read', 'doc:42'],
    ['doc.read', 'x'],
  ];
  let sink = 0;
  const run = (n) => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const [action, resource] = calls[i & 3];
      if (isAllowed(context, false, action, resource, meta)) sink++;
    }
    return n / ((performance.now() - t0) / 1000);
  };
  run(50000);
  const perS = await medianOf(5, async () => run(200000));
  if (sink === 0) throw new Error('no check allowed anything');
  return perS;
}

/** The echo-service project in a temp dir; `secured`: the relay service runs as an actor with group `echo`. */
function echoProject(secured) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wisp-bench-sec-'));
  fs.cpSync(path.join(ROOT, 'lua', 'echo-service'), dir, { recursive: true });
  const index = path.join(dir, 'src', '_index.yaml');
  let text = fs.readFileSync(index, 'utf8');
  // A worker that does not sleep: the benchmark measures the runtime.
  const worker = path.join(dir, 'src', 'worker.lua');
  fs.writeFileSync(worker, fs.readFileSync(worker, 'latin1').replace('time.sleep("100ms")', ''), 'latin1');
  if (secured) {
    text = text.replace(/(  - name: relay-service\n(?:    .*\n)*?    lifecycle:\n      auto_start: true\n)/, '$1      security:\n        actor: { id: relay, meta: { role: service } }\n        groups: [echo]\n');
    if (!text.includes('groups: [echo]')) throw new Error('could not add lifecycle.security to the relay service');
    text += POLICIES;
  }
  fs.writeFileSync(index, text);
  return dir;
}

async function echoWithScope() {
  const boots = [false, true].map((secured) => {
    const dir = echoProject(secured);
    const rt = new Runtime(loadProject(dir), { logs: SILENT, terminal: null });
    rt.boot();
    return { rt, dir };
  });
  for (const b of boots) await settled(b.rt.hosts.get('app:processes').vm);
  // The secured relay really runs with an actor and a scope (else the comparison measures nothing).
  const relay = boots[1].rt.node.lookup('relay');
  const relayProc = relay.ok ? boots[1].rt.hosts.get('app:processes').process(relay.value) : undefined;
  if (relayProc?.security?.scope?.size !== 3) throw new Error('the secured relay has no scope of three policies');
  const batchOn = (rt) => {
    const d = driver(rt);
    return echoBatch(rt, d, Table.from({ sender: d.pid, data: 'hello world' }));
  };
  const [plain, scoped] = boots.map((b) => batchOn(b.rt));
  await plain(5000);
  await scoped(5000);
  const ratios = [];
  const without = [];
  const withScope = [];
  for (let i = 0; i < 24; i++) {
    let a, b;
    if (i % 2 === 0) {
      a = await plain(2000);
      b = await scoped(2000);
    } else {
      b = await scoped(2000);
      a = await plain(2000);
    }
    without.push(a);
    withScope.push(b);
    ratios.push(b / a);
  }
  for (const { rt, dir } of boots) {
    for (const s of rt.services.values()) s.entry.lifecycle.stopTimeoutMs = 10;
    await rt.shutdown();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return {
    echo_per_s_with_scope: median(withScope),
    echo_with_scope_cost_pct: (1 - median(ratios)) * 100,
  };
}

module.exports = {
  targets: {
    echo_with_scope_cost_pct: { max: 10 },
  },
  async run() {
    return { security_check_per_s: await checksPerSecond(), ...(await echoWithScope()) };
  },
};
