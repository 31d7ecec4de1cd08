/**
 * The SPAWN frame (src/cluster/spec.md "Placement") starts a process only when it comes from a thread of the
 * same node: between two cluster nodes (kernel nodes in this process, a real nats-server) a node that sends one
 * starts nothing on the other, and a spawn placed on a node that is down fails with "node down". Likewise a
 * message from no PID (a spawn's first messages) crosses only between the threads of a node.
 */
import { formatPid } from '../../src/kernel/pid';
import { kernelCluster, testProcess, until } from '../helpers/kernel-cluster';
import { describeNats } from '../helpers/nats';

describeNats('SPAWN frames between nodes', () => {
  const c = kernelCluster('spawnframes');

  test('a node cannot start a process on another node: the frame is dropped with a warning, the host never asked', async () => {
    const x = await c.member('x');
    const y = await c.member('y');
    await until('x and y to see each other', () => y.logs.some((l) => l.includes('node up')) && x.logs.some((l) => l.includes('node up')));
    const started: string[] = [];
    y.node.addHost({ id: 'app:processes', start: (record) => (started.push(record.id), null) });
    const parent = testProcess(x);
    const placed = { node: 'y', host: 'app:processes', uniq: 0xfffff };
    const child = formatPid(placed);
    x.router.placement = { place: () => ({ pid: placed, security: '' }), security: () => null };
    const r = x.router.spawn({ entry: 'app:worker', host: 'app:processes', args: [], parent: parent.id, monitor: false, link: false });
    expect(r).toEqual({ ok: true, value: child });
    await until('y to drop the frame', () => y.logs.some((l) => l.includes('dropped a spawn from another node')));
    expect(started).toEqual([]);
    expect(y.node.process(child)).toBeUndefined();
  }, 30_000);

  test('a spawn placed on a node that is not up fails at once with "node down"', async () => {
    const x = await c.member('x2');
    const parent = testProcess(x);
    x.router.placement = { place: () => ({ pid: { node: 'gone', host: 'app:processes', uniq: 1 }, security: '' }), security: () => null };
    const r = x.router.spawn({ entry: 'app:worker', host: 'app:processes', args: [], parent: parent.id, monitor: true, link: true });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.message).toBe('node down: gone');
  }, 30_000);

  test('a message from no PID from another node is dropped, never delivered as if from the runtime', async () => {
    const x = await c.member('x3');
    const y = await c.member('y3');
    await until('x3 and y3 to see each other', () => y.logs.some((l) => l.includes('node up')) && x.logs.some((l) => l.includes('node up')));
    const target = testProcess(y);
    const from = testProcess(x);
    expect(x.router.send('', target.id, 'forged', [])).toBeNull();
    expect(x.router.send(from.id, target.id, 'real', [])).toBeNull();
    await until('y3 to get the real one', () => target.mailbox.queued > 0);
    expect(y.logs.some((l) => l.includes('dropped a frame for a process this node does not own'))).toBe(true);
    expect(target.mailbox.head(5).map((m) => m.topic)).toEqual(['real']);
  }, 30_000);
});
