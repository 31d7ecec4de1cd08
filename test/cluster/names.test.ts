/**
 * Cluster names and bus safety with two real kernel nodes joined through a real nats-server, in this process
 * (so that races can be started in the same tick; the OS-process tests cover the same names end to end).
 */
import { connect } from '@nats-io/transport-node';
import { encode } from '../../src/cluster/wire';
import { SCOPE } from '../../src/kernel/names';
import { Table, type Value } from '../../src/kernel/value';
import { describeNats } from '../helpers/nats';
import { sleep } from '../helpers/cli';
import { kernelCluster, testProcess, until, type Member } from '../helpers/kernel-cluster';

describeNats('cluster names and bus safety (two kernel nodes, real NATS)', () => {
  const { members, member, url, leave } = kernelCluster('names');
  const proc = testProcess;
  const events = (m: Member, pid: string): Value[] => {
    const seen: Value[] = [];
    m.node.mailboxOf(pid)?.subscribeEvents((e) => seen.push(e));
    return seen;
  };

  test('CONSISTENT: of two registrations in the same tick on two nodes exactly one wins; released on exit, the other can take it', async () => {
    const x = await member('x');
    const y = await member('y');
    const px = proc(x);
    const py = proc(y);
    const answers = await Promise.all([x.router.register('prize', px.id, SCOPE.CONSISTENT), y.router.register('prize', py.id, SCOPE.CONSISTENT)]);
    const won = answers.filter((a) => a === null).length;
    expect(won).toBe(1);
    const loser = answers.find((a) => a !== null);
    expect([loser?.message, loser?.kind]).toEqual(['name already registered', 'AlreadyExists']);
    const winner = answers[0] === null ? px : py;
    await until(() => x.router.lookup('prize').ok && y.router.lookup('prize').ok);
    expect([x.router.lookup('prize'), y.router.lookup('prize')]).toEqual([{ ok: true, value: winner.id }, { ok: true, value: winner.id }]);

    const winnerNode = winner === px ? x.node : y.node;
    winnerNode.exited(winner.id, { value: null, error: null });
    const other = winner === px ? { m: y, p: py } : { m: x, p: px };
    await until(() => !other.m.router.lookup('prize').ok);
    expect(await other.m.router.register('prize', other.p.id, SCOPE.CONSISTENT)).toBeNull();
  }, 30_000);

  test('EVENTUAL: both answer at once; the later claim is revoked with CANCEL "name revoked"; cluster names shadow LOCAL ones', async () => {
    const [x, y] = members;
    const px = proc(x);
    const py = proc(y);
    const seenX = events(x, px.id);
    const seenY = events(y, py.id);
    expect([x.router.register('eprize', px.id, SCOPE.EVENTUAL), y.router.register('eprize', py.id, SCOPE.EVENTUAL)]).toEqual([null, null]);
    await until(() => seenX.length + seenY.length > 0);
    await sleep(300);
    const revoked = [...seenX, ...seenY];
    expect(revoked).toHaveLength(1);
    const event = revoked[0] as Table;
    expect([event.get('kind'), event.get('reason')]).toEqual(['pid.cancel', 'name revoked: eprize']);
    const keeper = seenX.length === 0 ? px.id : py.id;
    await until(() => x.router.lookup('eprize').ok && y.router.lookup('eprize').ok);
    expect([x.router.lookup('eprize'), y.router.lookup('eprize')]).toEqual([{ ok: true, value: keeper }, { ok: true, value: keeper }]);

    const local = proc(x);
    expect(x.router.register('shadow', local.id, SCOPE.LOCAL)).toBeNull();
    expect(x.router.lookup('shadow')).toEqual({ ok: true, value: local.id });
    expect(await y.router.register('shadow', py.id, SCOPE.CONSISTENT)).toBeNull();
    await until(() => x.router.lookup('shadow').ok && (x.router.lookup('shadow') as { value: string }).value === py.id);
    // A send by that name goes to the cluster name's owner on y.
    const got: string[] = [];
    y.node.mailboxOf(py.id)?.subscribeInbox((msg) => got.push(msg.topic), { buffered: 0 });
    expect(x.router.send(local.id, 'shadow', 'hello', [1])).toBeNull();
    await until(() => got.length === 1);
    expect(got).toEqual(['hello']);
  }, 30_000);

  test('a process of another node cannot be registered here; names of a node that leaves disappear at once', async () => {
    const [x] = members;
    const z = await member('z');
    const pz = proc(z);
    const err = await x.router.register('foreign', pz.id, SCOPE.CONSISTENT);
    expect(err?.message).toBe('a cluster name can only be registered for a process of this node');
    expect(await z.router.register('zname', pz.id, SCOPE.CONSISTENT)).toBeNull();
    await until(() => x.router.lookup('zname').ok);
    await z.cluster.close();
    leave(z);
    await until(() => !x.router.lookup('zname').ok, 5000);
    // Its names go with the KV watch; the node is down once its departure (or silence) reaches x: two events.
    const sender = proc(x).id;
    await until(() => x.router.send(sender, pz.id, 't', [])?.message === 'node down: z', 5000);
  }, 30_000);

  test('malformed bus messages and frames for PIDs a node does not own are dropped with a log line; the node goes on', async () => {
    const [x, y] = members;
    const raw = await connect({ servers: url() });
    const subject = 'wisp.names.node.x';
    const target = proc(x);
    const got: unknown[] = [];
    x.node.mailboxOf(target.id)?.subscribeInbox((m) => got.push(m.payloads[0]), { buffered: 0 });
    // Each well-formed header from a node of its own, numbered 1: the first message of a new connection.
    const batch = (node: string, frames: unknown[]): Uint8Array => encode([node, 0, 0, 0, 1, frames]);
    raw.publish(subject, new Uint8Array([0xc1, 0xff, 0x00])); // not msgpack
    raw.publish(subject, encode({ hello: 'world' })); // not a batch
    raw.publish(subject, encode(['y', 0, [[1, '{y@h|0x00001}', target.id, 't', [[1], [], []]]]])); // no epochs nor number
    raw.publish(subject, batch('q1', [[1, '{q1@h|0x00001}', target.id, 't', [[1], [], []]], [99]])); // a bad frame spoils the batch
    raw.publish(subject, batch('q2', [[1, '{q2@h|0x00001}', target.id, 't', [[{}], [[1]], []]]])); // bad values
    raw.publish(subject, batch('q3', [[1, '{q3@h|0x00001}', '{q@h|0x00001}', 't', [[1], [], []]]])); // not x's PID
    raw.publish(subject, batch('q4', [[1, '{q@h|0x00001}', target.id, 't', [[1], [], []]]])); // not from q4
    await raw.flush();
    await raw.close();
    await until(() => x.logs.filter((l) => l.includes('dropped')).length >= 7);
    expect(x.logs.filter((l) => l.includes('malformed bus message'))).toHaveLength(5);
    expect(x.logs.filter((l) => l.includes('does not own'))).toHaveLength(2);
    expect(got).toEqual([]);
    // Still serving: a real send from y arrives.
    expect(y.router.send(proc(y).id, target.id, 'ok', [Table.from({ n: 1 })])).toBeNull();
    await until(() => got.length === 1);
  }, 30_000);

  test('clusters with different names on one server do not see each other', async () => {
    const other = await member('x', 'elsewhere');
    expect(other.router.lookup('prize').ok).toBe(false);
    expect(other.node.name).toBe('x');
    await other.cluster.close();
    leave(other);
  }, 30_000);
});
