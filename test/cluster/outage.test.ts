/**
 * The NATS server blinks (killed for 2 s, then restarted) while node a monitors sleepers on node b and streams
 * numbered messages to a receiver there (fixtures/cluster/src/blink.lua). A lost connection is a node-down, as
 * between Erlang nodes: every EXIT still comes (with the process's value, or "node down: b"), and a message that
 * was acknowledged (its send returned true) and never arrived is explained by a "node down" on both sides.
 */
import { join } from 'path';
import { projectCopy, ROOT } from '../helpers/cli';
import { describeNats, NatsServer } from '../helpers/nats';
import { startNode, writeClusterConfig } from '../helpers/cluster';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describeNats('cluster: the NATS server blinks', () => {
  let nats: NatsServer;
  beforeEach(async () => {
    nats = await NatsServer.start();
  });
  afterEach(async () => {
    await nats.stop();
  });

  test('killed for 2 s: every EXIT of a remote-monitored process comes, and every lost message is explained by a node-down', async () => {
    const dir = projectCopy(join(ROOT, 'fixtures', 'cluster'));
    writeClusterConfig(dir);
    const b = startNode(dir, 'b', nats.url, ['-v', '-x', 'app:processes/app:blink_host']);
    await b.waitFor(/blinker registered/);
    const a = startNode(dir, 'a', nats.url, ['-x', 'app:blink_driver', '60', '6000']);
    try {
      await a.waitFor(/^ready$/m);
      await sleep(2500); // the sleepers end from 1 s to 7 s after "ready": the outage falls among them
      await nats.kill();
      await sleep(2000);
      await nats.restart();
      expect(await a.exited).toBe(0);
      const exits = /blink: exits (\d+) of 60: done (\d+), node down (\d+), missing (\d+), other \[(.*)\]/.exec(a.out());
      expect(exits).not.toBeNull();
      const [, total, done, down, missing, other] = exits ?? [];
      expect({ total, missing, other }).toEqual({ total: '60', missing: '0', other: '' });
      // The outage fell in the middle of the sleepers' exits: some came before it, some were lost to it.
      expect(Number(done)).toBeGreaterThan(0);
      expect(Number(down)).toBeGreaterThan(0);
      const stream = /stream: sent (\d+) refused (\d+) received (\d+) lost (-?\d+) gaps (\d+) dups (\d+) sender_saw_down (\w+) receiver_saw_down (\w+)/.exec(a.out());
      expect(stream).not.toBeNull();
      const [, sent, , received, lost, gaps, dups, senderSawDown, receiverSawDown] = stream ?? [];
      expect(Number(sent)).toBeGreaterThan(100);
      expect(Number(received)).toBeGreaterThan(0);
      expect(Number(lost)).toBeGreaterThanOrEqual(0);
      expect(dups).toBe('0');
      // Losses (a gap at the receiver, or fewer received than acknowledged) only ever come with a node-down
      // seen by the sender and by the receiver.
      if (Number(lost) > 0 || Number(gaps) > 0) expect({ senderSawDown, receiverSawDown }).toEqual({ senderSawDown: 'true', receiverSawDown: 'true' });
      expect(b.running()).toBe(true);
    } finally {
      await a.kill();
      await b.kill();
    }
  }, 120_000);
});
