/**
 * The distributed echo service (lua/echo-cluster/): the CLI on node a, the relay service and its workers on
 * node b, as separate wisp OS processes over a real nats-server. Node b is killed (SIGKILL) and restarted while
 * the CLI runs.
 */
import { join } from 'path';
import { projectCopy, ROOT, sleep } from '../helpers/cli';
import { describeNats, NatsServer } from '../helpers/nats';
import { startNode, writeClusterConfig, type WispNode } from '../helpers/cluster';
import { pidPattern } from '../helpers/pid';

const ECHO_CLUSTER = join(ROOT, 'lua', 'echo-cluster');

describeNats('the echo service across two nodes', () => {
  let nats: NatsServer;
  beforeAll(async () => {
    nats = await NatsServer.start();
  });
  afterAll(async () => {
    await nats.stop();
  });

  /** Types `line` until `expected` shows up in the CLI's output (each try waits out the CLI's 2 s timeout). */
  async function typeUntil(a: WispNode, line: string, expected: RegExp, tries = 20): Promise<void> {
    for (let i = 0; i < tries; i++) {
      const before = a.out().length;
      a.write(`${line}\n`);
      await a.waitFor(new RegExp(`[\\s\\S]{${before}}[\\s\\S]*(timeout|relay not available|from worker[^\\n]*)\\n`), 10_000);
      if (expected.test(a.out().slice(before))) return;
      await sleep(300);
    }
    throw new Error(`no ${expected} after ${tries} lines:\n${a.out()}`);
  }

  test('lines come back upper-cased from workers on b; killing b gives "relay not available", restarting b brings the echo back', async () => {
    const dirA = projectCopy(join(ECHO_CLUSTER, 'a'));
    const dirB = projectCopy(join(ECHO_CLUSTER, 'b'));
    writeClusterConfig(dirA);
    writeClusterConfig(dirB);
    let b = startNode(dirB, 'b', nats.url, ['-v']);
    await b.waitFor(/relay started/);
    const a = startNode(dirA, 'a', nats.url, ['-x', 'app:terminal/app:cli']);
    try {
      await a.waitFor(/> $/);
      await typeUntil(a, 'hello cluster', new RegExp(`HELLO CLUSTER\\n {2}from worker: ${pidPattern('app:processes', { node: 'b' }).source}\\n`));
      await b.kill('SIGKILL');
      // First the CLI may time out (b is silent but not yet known to be down), then the relay is unavailable.
      await typeUntil(a, 'anyone?', /error: relay not available/);
      expect(a.out()).not.toContain('ANYONE?');
      b = startNode(dirB, 'b', nats.url, ['-v']);
      await b.waitFor(/relay started/);
      await typeUntil(a, 'back again', new RegExp(`BACK AGAIN\\n {2}from worker: ${pidPattern('app:processes', { node: 'b', uniq: '0x[0-9a-f]{16}' }).source}\\n`));
      a.write('\n');
      expect(await a.exited).toBe(0);
      expect(a.out()).toContain('Goodbye!');
      expect(a.err()).toBe('');
    } finally {
      await a.kill();
      await b.kill();
    }
  }, 120_000);
});
