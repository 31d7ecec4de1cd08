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

  test('cluster names: one too long for a KV key and names past 1024 a process are refused; the connection and the cluster carry on', async () => {
    const dir = projectCopy(FIXTURE);
    writeClusterConfig(dir);
    const b = startNode(dir, 'b', nats.url, ['-v', '-x', 'app:processes/app:factory']);
    try {
      await b.waitFor(/factory registered\s+true/);
      const a = startNode(dir, 'a', nats.url, ['-v', '-x', 'app:driver', 'name_limits']);
      expect(await a.exited).toBe(0);
      const parts = (/name_limits: (.*)\n/.exec(a.out())?.[1] ?? a.out()).split(' / ');
      expect(parts).toEqual([
        'nil',
        'name too long for the cluster: 3000 bytes (at most 1024)',
        'nil',
        'name too long for the cluster: 5000 bytes (at most 1024)',
        '1024',
        expect.stringMatching(/^too many names: \{a@app:terminal\|0x[0-9a-f]+\} has 1024 registered$/),
        'value done',
      ]);
      expect(a.err()).not.toContain('lost the NATS connection');
      expect(b.err()).not.toContain('it reset the connection'); // only a's goodbye at the end
    } finally {
      await b.kill();
    }
  }, 120_000);

  test('messages for a remote mailbox that is full are dropped there with one warning giving the count', async () => {
    const dir = projectCopy(FIXTURE);
    writeClusterConfig(dir);
    const b = startNode(dir, 'b', nats.url, ['-v', '-x', 'app:processes/app:factory']);
    try {
      await b.waitFor(/factory registered\s+true/);
      const a = startNode(dir, 'a', nats.url, ['-x', 'app:driver', 'fill_remote']);
      expect(await a.exited).toBe(0);
      expect(a.out()).toContain('fill_remote: refused here 0\n');
      const warning = await b.waitFor(/cluster: messages from other nodes dropped: the mailbox was full\s+(\{.*\})/, 30_000);
      expect(JSON.parse(warning[1])).toMatchObject({ count: 50, last: expect.stringMatching(/^\{b@app:processes\|0x[0-9a-f]+\}$/) });
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
