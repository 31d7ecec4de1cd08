/**
 * Two wisp nodes in separate OS processes joined through a real nats-server: node b runs the factory
 * (fixtures/cluster), node a runs the driver, whose scenarios print one line each.
 */
import { join } from 'path';
import { projectCopy, ROOT } from '../helpers/cli';
import { describeNats, NatsServer } from '../helpers/nats';
import { startNode, writeClusterConfig, type WispNode } from '../helpers/cluster';

const FIXTURE = join(ROOT, 'fixtures', 'cluster');
const REMOTE = /\{b@app:processes\|0x[0-9a-f]{5,}\}/;

describeNats('cluster semantics across two wisp nodes', () => {
  let nats: NatsServer;
  let dir: string;
  let b: WispNode;

  beforeAll(async () => {
    nats = await NatsServer.start();
    dir = projectCopy(FIXTURE);
    writeClusterConfig(dir);
    b = startNode(dir, 'b', nats.url, ['-v', '-x', 'app:processes/app:factory']);
    await b.waitFor(/factory registered\s+true/);
  }, 60_000);

  afterAll(async () => {
    await b?.kill();
    await nats?.stop();
  });

  const drive = async (...scenarios: string[]): Promise<Record<string, string>> => {
    const a = startNode(dir, 'a', nats.url, ['-x', 'app:driver', ...scenarios]);
    const code = await a.exited;
    expect({ code, err: a.err() }).toEqual({ code: 0, err: '' });
    const lines: Record<string, string> = {};
    for (const line of a.out().split('\n')) {
      const colon = line.indexOf(': ');
      if (colon > 0) lines[line.slice(0, colon)] = line.slice(colon + 2);
    }
    return lines;
  };

  test('a cluster name resolves to a PID carrying its node; values keep integers, floats, bytes, cycles, shared parts and error objects', async () => {
    const r = await drive('values');
    expect(r.factory).toMatch(REMOTE);
    expect(r.values).toBe('integer 7 2147483647 float float 0.5 text 3 255 true true bad thing Invalid 42 from_b');
  }, 60_000);

  test('monitors of remote processes get EXIT for errors, normal exits, cancel, terminate and dead PIDs; unmonitor stops them', async () => {
    const r = await drive('monitor_error', 'monitor_normal', 'cancel', 'terminate', 'monitor_dead', 'unmonitor');
    expect(r.monitor_error).toMatch(/^error .*boom/);
    expect(r.monitor_normal).toBe('value done');
    expect(r.cancel).toBe('value cancelled');
    expect(r.terminate).toBe('error process terminated');
    expect(r.monitor_dead).toBe('true nil / error process not found');
    expect(r.unmonitor).toBe('no event');
  }, 60_000);

  test('links across nodes: trap_links gives LINK_DOWN, an untrapped link kills, links work from the remote side, unlink on exit', async () => {
    const r = await drive('link_trapped', 'link_kills', 'remote_links_local', 'unlink');
    expect(r.link_trapped).toMatch(/^error .*boom/);
    expect(r.link_kills).toBe('error linked process failed');
    expect(r.remote_links_local).toMatch(/^true nil \/ link_down .*victim failed.* from_ok true$/);
    expect(r.unlink).toBe('value done'); // the helper failed after unlinking: the worker lived on
  }, 60_000);

  test('cluster names are unique across nodes, idempotent for the owner, and unregister releases them', async () => {
    const r = await drive('names', 'eventual');
    expect(r.names).toBe('nil name already registered AlreadyExists true true true true nil');
    // EVENTUAL: seen on b, gone from b after unregister; the CONSISTENT "factory" is a different name
    expect(r.eventual).toBe('true true true true true nil');
  }, 60_000);

  test('per-sender FIFO holds across nodes', async () => {
    const r = await drive('fifo');
    expect(r.fifo).toBe('in order 2000');
  }, 60_000);
});
