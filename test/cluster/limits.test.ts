/**
 * What the cluster refuses rather than lose (spec.md "Limits"): a value over the bus's payload limit, and a
 * second node started with a name in use. Nodes are separate OS processes on a real nats-server.
 */
import { writeFileSync } from 'fs';
import { join } from 'path';
import { projectCopy, ROOT } from '../helpers/cli';
import { describeNats, NatsServer } from '../helpers/nats';
import { startNode, writeClusterConfig } from '../helpers/cluster';

const FIXTURE = join(ROOT, 'fixtures', 'cluster');
const LIMIT = 1024 * 1024 - 128;

describeNats('cluster limits', () => {
  let nats: NatsServer;
  beforeEach(async () => {
    nats = await NatsServer.start();
  });
  afterEach(async () => {
    await nats.stop();
  });

  test('a 2 MB send is refused with "message too large"; a 2 MB result crosses as a note and a 2 MB error as its cut message; the rest goes on', async () => {
    const dir = projectCopy(FIXTURE);
    writeClusterConfig(dir);
    const b = startNode(dir, 'b', nats.url, ['-v', '-x', 'app:processes/app:factory']);
    try {
      await b.waitFor(/factory registered\s+true/);
      const a = startNode(dir, 'a', nats.url, ['-x', 'app:driver', 'too_large', 'fifo']);
      expect(await a.exited).toBe(0);
      const line = /too_large: (.*)\n/.exec(a.out())?.[1] ?? a.out();
      const parts = line.split(' / ');
      const size = Number(parts[4]); // the 2 MiB string and the frame around it
      expect(size).toBeGreaterThan(2 * 1024 * 1024);
      expect(size).toBeLessThan(2 * 1024 * 1024 + 200);
      expect(parts.slice(0, 6)).toEqual(['nil', `message too large for the cluster: ${size} bytes, at most ${LIMIT}`, 'Invalid', 'false', String(size), String(LIMIT)]);
      expect(parts[6]).toBe('small');
      expect(parts[7]).toMatch(new RegExp(`^value exit value too large for the cluster: \\d+ bytes, at most ${LIMIT}$`));
      // The failure stays a failure of its kind: the first 4096 bytes of its message and why it was cut.
      expect(parts[8]).toMatch(new RegExp(`^Invalid \\d+ eeeee .*e\\.\\.\\. \\(error too large for the cluster: \\d+ bytes, at most ${LIMIT}\\)$`));
      expect(Number(parts[8].split(' ')[1])).toBeLessThan(4200);
      expect(a.out()).toContain('fifo: in order 2000\n');
      expect(b.running()).toBe(true);
    } finally {
      await b.kill();
    }
  }, 120_000);

  test('a stalled NATS server: sends are refused once 64 MiB wait unconfirmed, instead of filling memory', async () => {
    const dir = projectCopy(FIXTURE);
    // A long heartbeat timeout, so that the nodes do not see each other down while the server is stopped.
    writeFileSync(join(dir, '.wippy.yaml'), 'version: "1.0"\ncluster:\n  name: test\n  heartbeat:\n    interval: 250ms\n    timeout: 60s\n');
    const b = startNode(dir, 'b', nats.url, ['-v', '-x', 'app:processes/app:factory']);
    try {
      await b.waitFor(/factory registered\s+true/);
      const a = startNode(dir, 'a', nats.url, ['-x', 'app:driver', 'flood']);
      await a.waitFor(/ready: /);
      nats.signal('SIGSTOP');
      const flood = await a.waitFor(/flood: (\d+) sent, (.*)\n/, 60_000);
      nats.signal('SIGCONT');
      expect(flood[2]).toMatch(/^then (the NATS server|node b) is not keeping up: /);
      // 100 KiB each: no more than 64 MiB (and a last batch) were taken before the refusal.
      expect(Number(flood[1])).toBeGreaterThan(100);
      expect(Number(flood[1])).toBeLessThanOrEqual(660);
      expect(await a.exited).toBe(0);
      expect(b.running()).toBe(true);
    } finally {
      nats.signal('SIGCONT');
      await b.kill();
    }
  }, 120_000);

  test('a second node started with the name of a running one is refused with one line; the running one carries on', async () => {
    const dir = projectCopy(FIXTURE);
    writeClusterConfig(dir);
    const b = startNode(dir, 'b', nats.url, ['-v', '-x', 'app:processes/app:factory']);
    try {
      await b.waitFor(/factory registered\s+true/);
      const again = startNode(dir, 'b', nats.url, ['-x', 'app:processes/app:factory']);
      expect(await again.exited).toBe(1);
      expect(again.err()).toBe(
        `Error: cannot join the cluster at ${nats.url}: node name "b" is in use by a running node of cluster "test" (incarnation 0): stop that one first, or choose another --node\n`,
      );
      const a = startNode(dir, 'a', nats.url, ['-x', 'app:driver', 'monitor_normal']);
      expect(await a.exited).toBe(0);
      expect(a.out()).toContain('monitor_normal: value done\n');
      expect(b.running()).toBe(true);
    } finally {
      await b.kill();
    }
  }, 120_000);

  test('a node cut off while a newer start of its name took over stops with one line when it is back; the newer one serves', async () => {
    const dir = projectCopy(FIXTURE);
    writeClusterConfig(dir);
    const old = startNode(dir, 'b', nats.url, ['-v', '-x', 'app:processes/app:factory']);
    let newer = old;
    try {
      await old.waitFor(/factory registered\s+true/);
      old.child.kill('SIGSTOP'); // it cannot answer the probe
      newer = startNode(dir, 'b', nats.url, ['-v', '-x', 'app:processes/app:factory']);
      await newer.waitFor(/factory registered\s+true/, 60_000);
      old.child.kill('SIGCONT');
      expect(await old.exited).toBe(1);
      expect(old.err()).toContain('Error: node name "b" was taken by a newer start of it (incarnation 1); this one (incarnation 0) stops\n');
      const a = startNode(dir, 'a', nats.url, ['-x', 'app:driver', 'monitor_normal']);
      expect(await a.exited).toBe(0);
      expect(a.out()).toMatch(/factory: \{b@app:processes\|0x0*1[0-9a-f]{8}\}/); // the newer incarnation's factory
      expect(a.out()).toContain('monitor_normal: value done\n');
      expect(newer.running()).toBe(true);
    } finally {
      old.child.kill('SIGCONT');
      await old.kill();
      await newer.kill();
    }
  }, 120_000);
});
