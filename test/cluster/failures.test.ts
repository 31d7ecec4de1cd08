/** Losing a node (SIGKILL) and losing the NATS server, with wisp nodes in separate OS processes. */
import { join } from 'path';
import { projectCopy, ROOT } from '../helpers/cli';
import { describeNats, NatsServer } from '../helpers/nats';
import { startNode, writeClusterConfig } from '../helpers/cluster';

const FIXTURE = join(ROOT, 'fixtures', 'cluster');

describeNats('cluster failures', () => {
  let nats: NatsServer;
  beforeEach(async () => {
    nats = await NatsServer.start();
  });
  afterEach(async () => {
    await nats.stop();
  });

  test('SIGKILL of node b: monitors get EXIT and links LINK_DOWN with "node down: b", its names go; restarted, b is a new incarnation', async () => {
    const dir = projectCopy(FIXTURE);
    writeClusterConfig(dir);
    const factory = ['-x', 'app:processes/app:factory'];
    let b = startNode(dir, 'b', nats.url, ['-v', ...factory]);
    await b.waitFor(/factory registered\s+true/);
    const a = startNode(dir, 'a', nats.url, ['-x', 'app:driver', 'node_down']);
    try {
      const ready = await a.waitFor(/ready: (\{b@[^}]+\})/);
      const firstPid = /\|0x([0-9a-f]+)\}/.exec(ready[1])?.[1] ?? '';
      await b.kill('SIGKILL');
      const down = await a.waitFor(/down: (.*)\n/, 30_000);
      expect(down[1]).toBe('error node down: b / error node down: b / linked error linked process failed / name nil / send node down: b');
      b = startNode(dir, 'b', nats.url, ['-v', ...factory]);
      await b.waitFor(/factory registered\s+true/);
      expect(await a.exited).toBe(0);
      expect(a.out()).toContain('node_down: true / error process not found / value done / true\n');
      // The new incarnation numbers its PIDs above every PID of the old one.
      const newPid = /factory registered\s+true\s+nil\s+\{"pid":\s*"\{b@app:processes\|0x([0-9a-f]+)\}/.exec(b.err() + b.out());
      expect(newPid).not.toBeNull();
      expect(parseInt(newPid?.[1] ?? '0', 16)).toBeGreaterThan(parseInt(firstPid, 16));
    } finally {
      await a.kill();
      await b.kill();
    }
  }, 120_000);

  test('killing the NATS server: each node sees the other down and goes on locally; when the server is back, so is the cluster', async () => {
    const dir = projectCopy(FIXTURE);
    writeClusterConfig(dir);
    const b = startNode(dir, 'b', nats.url, ['-v', '-x', 'app:processes/app:factory']);
    await b.waitFor(/factory registered\s+true/);
    const a = startNode(dir, 'a', nats.url, ['-x', 'app:driver', 'nats_outage']);
    try {
      await a.waitFor(/ready: /);
      await nats.kill();
      const outage = await a.waitFor(/outage: (.*)\n/, 30_000);
      expect(outage[1]).toMatch(/^error node down: b \/ local error .*victim failed/);
      await b.waitFor(/node down.*"node":\s*"a"/, 30_000);
      await nats.restart();
      expect(await a.exited).toBe(0);
      expect(a.out()).toContain('nats_outage: back true / value done\n');
      expect(b.running()).toBe(true);
    } finally {
      await a.kill();
      await b.kill();
    }
  }, 120_000);

  test('a stuck peer (SIGSTOP) blocks nothing: local work and sends go on until it is declared down', async () => {
    const dir = projectCopy(FIXTURE);
    writeClusterConfig(dir);
    const b = startNode(dir, 'b', nats.url, ['-v', '-x', 'app:processes/app:factory']);
    await b.waitFor(/factory registered\s+true/);
    const a = startNode(dir, 'a', nats.url, ['-x', 'app:driver', 'stuck_peer']);
    try {
      await a.waitFor(/ready: /);
      b.child.kill('SIGSTOP');
      expect(await a.exited).toBe(0);
      expect(a.out()).toContain('stuck_peer: error node down: b / local rounds true / sent true\n');
    } finally {
      b.child.kill('SIGCONT');
      await a.kill();
      await b.kill();
    }
  }, 120_000);

  test('three nodes: losing c ends only the monitors of c\'s processes; b goes on', async () => {
    const dir = projectCopy(FIXTURE);
    writeClusterConfig(dir);
    const b = startNode(dir, 'b', nats.url, ['-v', '-x', 'app:processes/app:factory']);
    const c = startNode(dir, 'c', nats.url, ['-v', '-x', 'app:processes/app:factory', 'factory-c']);
    await Promise.all([b.waitFor(/factory registered\s+true/), c.waitFor(/factory registered\s+true/)]);
    const a = startNode(dir, 'a', nats.url, ['-x', 'app:driver', 'three_nodes']);
    try {
      await a.waitFor(/ready: \{b@[^}]+\} \{c@[^}]+\}/);
      await c.kill('SIGKILL');
      expect(await a.exited).toBe(0);
      expect(a.out()).toContain('three_nodes: c error node down: c / b value done\n');
    } finally {
      await a.kill();
      await b.kill();
      await c.kill();
    }
  }, 120_000);

  test('a cut-off node whose CONSISTENT name was taken meanwhile hears CANCEL "name revoked" when it is back', async () => {
    const dir = projectCopy(FIXTURE);
    writeClusterConfig(dir);
    const b = startNode(dir, 'b', nats.url, ['-v', '-x', 'app:processes/app:factory']);
    await b.waitFor(/factory registered\s+true/);
    const a = startNode(dir, 'a', nats.url, ['-x', 'app:driver', 'takeover']);
    try {
      await a.waitFor(/ready: \{b@/);
      b.child.kill('SIGSTOP');
      await a.waitFor(/took: true nil/, 30_000);
      b.child.kill('SIGCONT');
      await b.waitFor(/factory cancelled: name revoked: factory/, 30_000);
      expect(await a.exited).toBe(0);
      expect(a.out()).toContain('takeover: true\n');
      expect(await b.exited).toBe(0); // the factory handled its CANCEL and returned
    } finally {
      b.child.kill('SIGCONT');
      await a.kill();
      await b.kill();
    }
  }, 120_000);
});
