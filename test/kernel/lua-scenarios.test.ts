import { boot, runEntry, scenario } from '../helpers/project';
import type { Runtime } from '../../src/hosts/runtime';

const PID = /^\{([^{}|@]+@)?[^{}|]+\|0x[0-9a-f]{5,}\}$/;

describe('the kernel seen from Lua processes', () => {
  let rt: Runtime;
  beforeAll(() => {
    rt = boot('kernel');
  });
  afterAll(() => rt.shutdown());

  test('monitors get EXIT on every exit, with value or error', async () => {
    expect(await scenario(rt, 'monitor')).toEqual({
      exit_kind: 'pid.exit', exit_from_matches: true, exit_value: 42, exit_no_error: true, at_is_number: true,
      fail_from_matches: true, fail_error: 'boom', fail_no_value: true, kind_constant: 'pid.exit',
    });
  });

  test('a monitor forgets a process once its EXIT is delivered (a relay does not hold every dead worker)', async () => {
    const driver = rt.node.createProcess('node:control', 'test:driver', null, { terminate: () => undefined });
    const got = new Promise<unknown>((resolve) => driver.mailbox.subscribeInbox((m) => resolve(m.payloads[0])));
    const spawned = rt.node.spawn({ entry: 'k:scenarios', host: 'k:processes', args: ['monitor_many', driver.id, 50], parent: null, monitor: false, link: false });
    if (!spawned.ok) throw new Error(spawned.error.message);
    expect(await got).toBe(50);
    const parent = rt.node.process(spawned.value);
    expect(parent?.alive).toBe(true);
    expect(parent?.watching.size).toBe(0);
    const exited = new Promise((resolve) => rt.node.onExit(spawned.value, resolve));
    rt.node.send(driver.id, spawned.value, 'stop', []);
    expect(await exited).toEqual({ value: 50, error: null });
  });

  test('monitor twice is an error, unmonitor stops EXIT, monitoring a dead PID fails', async () => {
    expect(await scenario(rt, 'unmonitor')).toEqual({
      monitor: true, twice: 'already monitoring pid', event_after_unmonitor: true, dead: [true, 'pid not registered'],
    });
  });

  test('links: no LINK_DOWN on a normal exit; a non-trapping process dies with "linked process failed"', async () => {
    expect(await scenario(rt, 'links')).toEqual({ normal_quiet: true, child_failed: 'linked process failed' });
  });

  test('trap_links turns LINK_DOWN into an event; set_options validates', async () => {
    expect(await scenario(rt, 'trap_links')).toEqual({
      set: true, trap: true, kind: 'pid.link.down', from_matches: true, error: 'trapped boom', constant: 'pid.link.down',
      bad_type: [false, 'trap_links must be a boolean'], bad_key: [false, 'option colour is not supported'],
    });
  });

  test('terminate cascades along links, across hosts', async () => {
    expect(await scenario(rt, 'terminate_cascade')).toEqual({
      terminated: true,
      seen: ['c: process terminated', 'b: linked process failed', 'a: linked process failed'],
      again: [true, 'process not found'],
    });
  });

  test('names: unique, several per PID, released before EXIT, resolved at each send, cluster scopes refused', async () => {
    expect(await scenario(rt, 'names')).toEqual({
      register: true, idempotent: true, second_name: true, lookup: true, lookup_worker: true,
      taken: [true, 'name already registered', 'AlreadyExists'],
      released: [true, 'name not registered', 'released svc'],
      reregister: true, send_by_name: true, unregister: [true, false],
      cluster: [true, 'consistent registry not available'], scopes: [0, 1, 2, 3],
    });
  });

  test('routing: listen claims its topic, the inbox gets the rest, early messages wait; channels are stable', async () => {
    expect(await scenario(rt, 'routing')).toEqual({
      got: ['a:first a', 'a:second a', 'b:first b', 'b:second b'],
      same_inbox: true, same_events: true, same_listen: true, other_listen: true,
      listen_message: ['m', 'as message', true], tostring_message: 'process.Message{topic=m}',
      reserved: [true, "cannot listen to topic '@pid/inbox'"], unlisten: true,
    });
  });

  test('messages from one sender arrive in order', async () => {
    expect(await scenario(rt, 'ordering')).toEqual({ in_order: true, last: 200 });
  });

  test('payloads are deep copies: cycles and shared parts kept, integers stay integers, userdata become nil', async () => {
    expect(await scenario(rt, 'payloads')).toEqual({
      int: [7, 'integer'], float: [2, 'float'], big: true, str: 's', yes: true, list: [1, 2, 3], shared: true, cycle: true,
      channel_nil: true, function_nil: true, error_kind: 'Invalid', error_msg: 'carried', copy: true,
      multi: [3, 1, 'two', 3], none: true, from: true, format: 'lua/any',
    });
  });

  test('the per-message and per-spawn fast paths: type names, copies, order, names, EXIT tables of their own', async () => {
    expect(await scenario(rt, 'fast_paths')).toEqual({
      types: ['nil', 'boolean', 'number', 'number', 'string', 'table', 'function', 'thread', 'userdata'],
      type_none: [false, "bad argument #1 to 'type' (value expected)"],
      type_key: 2,
      type_concat: 'number/string',
      copy: [1, 1, true],
      order: [1, 2, 'three'],
      unregistered: true,
      exit: ['pid.exit', true, 'pid.exit', true, 'stopped', 'watching'],
      dead: [true, 'process not found'],
    });
  });

  test('send, spawn, cancel and terminate report the spec errors', async () => {
    expect(await scenario(rt, 'send_errors')).toEqual({
      name: [true, "could not resolve 'nobody' as PID or registered name"],
      dead: [true, 'process not found'],
      host: [true, 'host not found'],
      topic: [true, 'cannot send to @ topics'],
      spawn_host: [true, 'host not found'],
      spawn_entry: [true, 'entry k:missing not found'],
      raises: [false, "bad argument #1 to 'send' (string expected, got nil)"], // argument misuse raises
      cancel_dead: [true, 'process not found'],
      terminate_dead: [true, 'process not found'],
    });
  });

  test('cancel delivers a CANCEL event with sender and reason; nothing else happens', async () => {
    expect(await scenario(rt, 'cancel')).toEqual({ ok: true, kind: 'pid.cancel', reason: 'please stop', from_me: true, result: 'cancelled' });
  });

  test('exec waits for the child and returns its value or its error', async () => {
    expect(await scenario(rt, 'exec')).toEqual({ value: 42, failed: [true, 'exec boom'] });
  });

  test('identity: pid() is a stable PID string, id() the entry id', async () => {
    const r = await scenario(rt, 'identity');
    expect(r.pid).toMatch(PID);
    expect(r).toMatchObject({ same: true, id: 'k:scenarios', kind: 'string' });
  });

  test('a process that terminates itself stops at once', async () => {
    const outcome = await runEntry(rt, 'k:scenarios', 'k:processes', ['terminate_self']);
    expect(outcome.error?.message).toBe('process terminated');
  });
});
