/**
 * Threads in a cluster (src/cluster/spec.md "Threads in a cluster"): two wisp nodes, each `--threads 2`, as
 * separate OS processes through a real nats-server. Each thread is a cluster member of its own (`b` for thread
 * 1, `b.t2` for thread 2); a process on a's thread 2 reaches one on b's thread 2 by name and by PID (sends in
 * order, monitors, links), and killing node b reaches the monitors and links on both of a's threads. Events stay
 * each node's: one crosses to its node's other thread, never to the other node.
 */
import { join } from 'path';
import { projectCopy, ROOT } from '../helpers/cli';
import { describeNats, NatsServer } from '../helpers/nats';
import { startNode, writeClusterConfig } from '../helpers/cluster';

const FIXTURE = join(ROOT, 'fixtures', 'threadcluster');

/** The fixture with an events listener on each thread (app:processes runs on thread 2, app:processes2 on 1). */
const withListeners = (): string =>
  projectCopy(FIXTURE, {
    'src/_index.yaml': (text) => `${text}
  - { name: listener, kind: process.lua, source: file://listener.lua, method: main, modules: [events] }
  - { name: listener_t2, kind: process.service, process: app:listener, host: app:processes, lifecycle: { auto_start: true } }
  - { name: listener_t1, kind: process.service, process: app:listener, host: app:processes2, lifecycle: { auto_start: true } }
  - { name: events_driver, kind: process.lua, source: file://driver.lua, method: events, modules: [events, io, time] }
`,
  });

/** For each thread of b and node of a, whether b's log last said it was up or down. */
function lastWord(log: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of log.matchAll(/node (up|down)\s+\{(?:"thread": "([^"]+)", )?"node": "(a[^"]*)"/g)) out[`${m[2] ?? 'b'} ${m[3]}`] = m[1];
  return out;
}

describeNats('--threads 2 in a cluster of two nodes', () => {
  let nats: NatsServer;
  beforeAll(async () => {
    nats = await NatsServer.start();
  });
  afterAll(async () => {
    await nats.stop();
  });

  test('thread 2 to thread 2 across nodes by name and PID; SIGKILL of node b reaches monitors and links on both threads of a', async () => {
    const dir = projectCopy(FIXTURE);
    writeClusterConfig(dir);
    const b = startNode(dir, 'b', nats.url, ['--threads', '2', '-v']);
    const a = startNode(dir, 'a', nats.url, ['--threads', '2', '-x', 'app:driver']);
    try {
      await a.waitFor(/ready: 2/, 60_000);
      const out = a.out();
      // PIDs carry the node and the thread; thread 1 is the node itself.
      expect(out).toMatch(/^peer-a-t1: \{a@app:processes2\|0x[0-9a-f]{5,}\}$/m);
      expect(out).toMatch(/^peer-a-t2: \{a\.t2@app:processes\|0x[0-9a-f]{5,}\}$/m);
      expect(out).toMatch(/^peer-b-t1: \{b@app:processes2\|0x[0-9a-f]{5,}\}$/m);
      expect(out).toMatch(/^peer-b-t2: \{b\.t2@app:processes\|0x[0-9a-f]{5,}\}$/m);
      // LOCAL names are the node's (registered on thread 2, seen on thread 1), and each node has its own.
      expect(out).toMatch(/^local-t2: \{a\.t2@app:processes\|/m);
      // The view of a node of threads in a cluster: its threads by their cluster names, the node by its own.
      expect(out).toMatch(/^view threads: a,a\.t2 node a$/m);
      const b2 = /^peer-b-t2: (\S+)$/m.exec(out)?.[1];
      expect(out).toContain(
        `probe: by name from ${b2} / by pid true / fifo in order / victim on t2 exit error monitored failure link_down error linked failure / ghost error process not found\n`,
      );
      expect(out).toContain(
        'probe t1: by name from {b@app:processes2|', // the rest as on thread 2, checked below
      );
      expect(out).toMatch(/^probe t1: .* \/ by pid true \/ fifo in order \/ victim on t1 exit error monitored failure link_down error linked failure \/ ghost error process not found$/m);
      await b.kill('SIGKILL');
      expect(await a.exited).toBe(0);
      expect(a.out()).toContain(
        'down: t1 exit peer-b-t1 node down: b | t1 exit peer-b-t2 node down: b.t2 | ' +
          't2 exit peer-b-t1 error node down: b | t2 exit peer-b-t2 error node down: b.t2 | ' +
          't2 link_down peer-b-t1 error node down: b | t2 link_down peer-b-t2 error node down: b.t2\n',
      );
    } finally {
      await a.kill();
      await b.kill();
    }
  }, 120_000);

  test('a graceful stop of a node with threads: each thread says goodbye once, the other node sees each leave on both its threads, and none comes back', async () => {
    const dir = projectCopy(FIXTURE);
    writeClusterConfig(dir);
    const b = startNode(dir, 'b', nats.url, ['--threads', '2', '-v']);
    const a = startNode(dir, 'a', nats.url, ['--threads', '2', '-v']);
    try {
      const seesUp = (node: string): RegExp => new RegExp(`"node": "${node}", "incarnation"[^]*"node": "${node}", "incarnation"`);
      await b.waitFor(seesUp('a'), 60_000);
      await b.waitFor(seesUp('a\\.t2'), 60_000);
      a.child.kill('SIGINT');
      expect(await a.exited).toBe(0);
      expect(a.err()).not.toMatch(/WARN|ERROR/);
      await b.waitFor(/"node": "a\.t2", "reason": "it left the cluster"[^]*"node": "a\.t2", "reason": "it left the cluster"/);
      // Give a late answer time to arrive: before a stopped publishing after its goodbye, b's reset reached a
      // and a's answer connected the two again.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(lastWord(b.err())).toEqual({ 'b a': 'down', 'b a.t2': 'down', 'b.t2 a': 'down', 'b.t2 a.t2': 'down' });
      expect(b.err().match(/"node": "a(\.t2)?", "reason": "it left the cluster"/g)).toHaveLength(4);
    } finally {
      await a.kill();
      await b.kill();
    }
  }, 120_000);

  test("events: one reaches its node's other thread and no other node; each node's events stay its own", async () => {
    const dir = withListeners();
    writeClusterConfig(dir);
    const b = startNode(dir, 'b', nats.url, ['--threads', '2']);
    const a = startNode(dir, 'a', nats.url, ['--threads', '2', '-x', 'app:events_driver']);
    try {
      const code = await a.exited;
      expect({ code, err: a.err() }).toEqual({ code: 0, err: '' });
      const a10 = Array.from({ length: 10 }, (_, i) => `a${i + 1}`).join(',');
      expect(a.out().split('\n').filter((line) => /^[ab]-t\d: /.test(line))).toEqual([
        `a-t1: ${a10},aend`,
        `a-t2: ${a10},aend`,
        'b-t1: b1,b2,bend',
        'b-t2: b1,b2,bend',
      ]);
    } finally {
      await a.kill();
      await b.kill();
    }
  }, 120_000);
});
