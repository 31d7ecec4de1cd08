/** The soak: 100,000 sequence-numbered messages from four senders on node a to two receivers on node b. */
import { join } from 'path';
import { projectCopy, ROOT } from '../helpers/cli';
import { describeNats, NatsServer } from '../helpers/nats';
import { startNode, writeClusterConfig } from '../helpers/cluster';

describeNats('cluster soak', () => {
  test('100,000 messages over four sender/receiver pairs: none lost, duplicated or out of order', async () => {
    const nats = await NatsServer.start();
    const dir = projectCopy(join(ROOT, 'fixtures', 'cluster'));
    writeClusterConfig(dir);
    const b = startNode(dir, 'b', nats.url, ['-v', '-x', 'app:processes/app:soak_receivers']);
    try {
      await b.waitFor(/receivers started/);
      const a = startNode(dir, 'a', nats.url, ['-x', 'app:soak_driver', '25000']);
      expect(await a.exited).toBe(0);
      expect(a.out()).toContain('soak: 100000 received, 0 duplicated, 0 out of order, 0 senders failed\n');
      expect(b.running()).toBe(true);
    } finally {
      await b.kill();
      await nats.stop();
    }
  }, 180_000);
});
