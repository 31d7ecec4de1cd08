/**
 * The connection between two nodes (src/cluster/peers.ts), with two real kernel nodes joined through a real
 * nats-server in this process and a raw NATS client in the role of the network: a gap in a node's message
 * numbers is a node-down on both sides (monitors fire "node down"), after which the two connect again.
 */
import { connect } from '@nats-io/transport-node';
import { encode } from '../../src/cluster/wire';
import { Table, type Value } from '../../src/kernel/value';
import { describeNats } from '../helpers/nats';
import { sleep } from '../helpers/cli';
import { kernelCluster, testProcess, until, type Member } from '../helpers/kernel-cluster';

describeNats('cluster connections (two kernel nodes, real NATS)', () => {
  const { members, member, url } = kernelCluster('conn', 3000);
  const proc = testProcess;
  const exits = (m: Member, pid: string): string[] => {
    const seen: string[] = [];
    m.node.mailboxOf(pid)?.subscribeEvents((e: Value) => {
      const result = (e as Table).get('result') as Table;
      seen.push(`${String((e as Table).get('kind'))} ${String(result.get('error'))}`);
    });
    return seen;
  };

  test('a gap in the numbers of x\'s messages to y: y resets, both sides see "node down", and they connect again', async () => {
    const x = await member('x');
    const y = await member('y');
    await until(() => x.router.send(proc(x).id, proc(y).id, 'probe', []) === null && y.router.send(proc(y).id, proc(x).id, 'probe', []) === null);
    const px = proc(x);
    const py = proc(y);
    const atX = exits(x, px.id);
    const atY = exits(y, py.id);
    expect(x.router.monitor(px.id, py.id)).toBeNull();
    expect(y.router.monitor(py.id, px.id)).toBeNull();
    await sleep(500); // both monitors are recorded on the other side

    // A tick "from x" that says x sent a million messages on this connection: y has lost them.
    const raw = await connect({ servers: url() });
    raw.publish('wisp.conn.node.y', encode(['x', x.cluster.incarnation, 0, 0, 1_000_000, []]));
    await raw.flush();
    await raw.close();

    await until(() => atX.length > 0 && atY.length > 0, 15_000);
    expect(atY).toEqual(['pid.exit node down: x']);
    expect(atX).toEqual(['pid.exit node down: y']);
    expect(y.logs.some((l) => l.includes('node down') && l.includes('"node":"x"') && l.includes('messages lost'))).toBe(true);
    expect(x.logs.some((l) => l.includes('node down') && l.includes('"node":"y"') && l.includes('it reset the connection'))).toBe(true);

    // Connected again: a send from x reaches y, and a new monitor works end to end.
    const got: string[] = [];
    y.node.mailboxOf(py.id)?.subscribeInbox((msg) => got.push(msg.topic), { buffered: 0 });
    await until(() => x.router.send(px.id, py.id, 'again', [1]) === null);
    await until(() => got.includes('again'));
    expect(x.router.monitor(px.id, py.id)).toBeNull();
    await sleep(300);
    y.node.exited(py.id, { value: 'bye', error: null });
    await until(() => atX.length === 2);
    expect(atX[1]).toBe('pid.exit null');
  }, 60_000);

  test('a forged message with epochs neither node ever had resets the connection; the two agree on new epochs and connect again', async () => {
    const [x, y] = members;
    const ups = y.logs.filter((l) => l.includes('node up')).length;
    const raw = await connect({ servers: url() });
    raw.publish('wisp.conn.node.y', encode(['x', x.cluster.incarnation, 1_000, 1_000, 1, []]));
    await raw.flush();
    await raw.close();
    await until(() => y.logs.filter((l) => l.includes('node up')).length > ups);
    const px = proc(x);
    const py = proc(y);
    const got: string[] = [];
    y.node.mailboxOf(py.id)?.subscribeInbox((msg) => got.push(msg.topic), { buffered: 0 });
    await until(() => x.router.send(px.id, py.id, 'healed', [1]) === null && got.includes('healed'));
  }, 60_000);
});
