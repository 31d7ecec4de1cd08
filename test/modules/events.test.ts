/** The `events` module through the real runtime: Lua processes on a booted project (fixtures/events). */
import { join } from 'path';
import { boot, runEntry } from '../helpers/project';
import { ROOT, wisp } from '../helpers/cli';
import { runWith } from './run-lua';
import { Table, type Value } from '../../src/kernel/value';
import type { BusEvent } from '../../src/kernel/events';
import type { Outcome } from '../../src/kernel/message';
import type { Runtime } from '../../src/hosts/runtime';
import { until } from '../helpers/poll';
import { valueToPlain } from '../../src/engine/plain';

const PID = '\\{[^{}]+\\}';

describe('events in a booted project', () => {
  let rt: Runtime;
  beforeAll(() => {
    rt = boot('events');
  });
  afterAll(() => rt.shutdown());

  const scenario = async (name: string, ...args: Value[]): Promise<unknown> => {
    const outcome = await runEntry(rt, 'ev:scenarios', 'ev:processes', [name, ...args]);
    if (outcome.error) throw new Error(outcome.error.stack ?? outcome.error.message);
    return valueToPlain(outcome.value);
  };
  /** Spawns a scenario and gives its PID and its outcome. */
  const start = (name: string, ...args: Value[]): { pid: string; exit: Promise<Outcome> } => {
    const r = rt.node.spawn({ entry: 'ev:scenarios', host: 'ev:processes', args: [name, ...args], parent: null, monitor: false, link: false });
    if (!r.ok) throw new Error(r.error.message);
    return { pid: r.value, exit: new Promise((resolve) => rt.node.onExit(r.value, resolve)) };
  };
  afterEach(() => expect(rt.node.events.size).toBe(0)); // every scenario's subscriptions are gone with it

  test('the module, its subscription object and channel', async () => {
    expect(await scenario('module')).toEqual({
      send: 'function', subscribe: 'function', sub: 'events.Subscription{}', same_channel: true, channel_type: 'userdata', closed: true,
    });
  });

  test('send returns true, with or without data; numbers are strings, as in Lua', async () => {
    expect(await scenario('send')).toEqual({ plain: [true], with_data: [true], nil_data: [true], number_args: [true] });
  });

  test('empty arguments are Invalid errors; missing or wrongly typed ones raise, as in Wippy', async () => {
    const invalid = (message: string) => ({ kind: 'Invalid', retryable: false, message });
    expect(await scenario('errors')).toEqual({
      subscribe_empty: invalid('system pattern is required'),
      send_empty_system: invalid('system is required'),
      send_empty_kind: invalid('kind is required'),
      send_empty_path: invalid('path is required'),
      send_too_deep: invalid('value nested too deep to copy (more than 10000 levels of tables)'),
      subscribe_nil: [false, "bad argument #1 to 'subscribe' (string expected, got nil)"],
      subscribe_table: [false, "bad argument #1 to 'subscribe' (string expected, got table)"],
      subscribe_kind_table: [false, "bad argument #2 to 'subscribe' (string expected, got table)"],
      send_nil_system: [false, "bad argument #1 to 'send' (string expected, got nil)"],
      send_nil_kind: [false, "bad argument #2 to 'send' (string expected, got nil)"],
      send_nil_path: [false, "bad argument #3 to 'send' (string expected, got no value)"],
      channel_on_other: [false, "bad argument #1 to 'channel' (events.Subscription expected)"],
    });
  });

  test('an event is a table of system, kind, path and data (absent when none was sent)', async () => {
    expect(await scenario('receive')).toEqual({
      count: 2, system: 'r.sys', kind: 'r.kind', path: '/r/1',
      data: { s: 'hello', n: 42, f: 1.5, b: true, nested: { a: 1, list: [2, 3] } },
      integer: 'integer', without_fields: ['kind', 'path', 'system'],
    });
  });

  test('data is copied at send time, and every subscriber gets its own copy', async () => {
    expect(await scenario('copies')).toEqual({ sender_change_unseen: true, distinct: true, b_x: 1 });
  });

  test('data nested 10000 tables deep (the copy limit) arrives whole', async () => {
    expect(await scenario('deep', 10000)).toEqual({ ok: true, levels: 10000, leaf: 'bottom' });
  });

  test("system patterns: '*' all, a trailing '*' a prefix, anything else exactly", async () => {
    expect(await scenario('patterns')).toEqual({
      'p.*': ['p.a', 'p.a.b', 'p.ab'],
      '*': ['p.a', 'p.a.b', 'p', 'pa', 'q.a', '*.a', 'p.ab'],
      'p.a': ['p.a'],
      'p*': ['p.a', 'p.a.b', 'p', 'pa', 'p.ab'],
      '*.a': ['*.a'],
      'p.a*': ['p.a', 'p.a.b', 'p.ab'],
      p: ['p'],
    });
  });

  test('kind filters: nil, empty and * take every kind; the same patterns as systems otherwise', async () => {
    const all = ['/user.created', '/user.deleted', '/user', '/order.placed'];
    expect(await scenario('kinds')).toEqual({
      nil: all, '[*]': all, '[]': all,
      '[user.created]': ['/user.created'], '[user.*]': ['/user.created', '/user.deleted'], '[user]': ['/user'],
    });
  });

  test('a subscriber gets every event in the order it was sent', async () => {
    expect(await scenario('order', 5000)).toEqual({ received: 5000 });
  });

  test('close: true (again: true); buffered events stay readable, later ones never come, then nil, false', async () => {
    expect(await scenario('close')).toEqual({ first: true, again: true, buffered: ['/a', '/b'], open: false, after: [true, false] });
  });

  test('close wakes a receiver blocked on the channel with nil, false', async () => {
    expect(await scenario('close_wakes')).toEqual([true, false]);
  });

  test('closing the channel itself ends the subscription at the next event; send still succeeds', async () => {
    expect(await scenario('close_channel')).toEqual([true]);
  });

  test('a new subscription gets no event sent before it', async () => {
    expect(await scenario('no_replay')).toEqual(['/after']);
  });

  test('events cross processes; a non-matching one is not delivered', async () => {
    const r = (await scenario('cross_process')) as { ready: string; ready_pid: boolean; got: unknown[] };
    expect(r).toEqual({
      ready: 'ready', ready_pid: true,
      got: [
        ['event', { system: 'x.one', kind: 'k', path: '/1', data: { n: 1 } }],
        ['event', { system: 'x.two', kind: 'k2', path: '/2' }],
        ['event', { system: 'x.three', kind: 'k3', path: '/3', data: 'three' }],
        ['done', true],
      ],
    });
  });

  test('two publishers, two subscribers: both see all events in one order, each publisher in its own order', async () => {
    expect(await scenario('two_publishers', 300)).toEqual({ count: 600, same_order: true, each_publisher_in_order: true });
  });

  test('function.lua calls send and subscribe; a function\'s subscription ends when the call does', async () => {
    expect(await scenario('functions')).toEqual({
      sent: true, kind: 'fn.sent', path: '/fn/7', data: { id: 7 }, subscribed: true, after: ['/after'],
    });
  });

  test('a subscription cannot be handed to another process: its copy is nil', async () => {
    expect(await scenario('not_portable')).toEqual({ sent: true, s: true, n: 1 });
  });

  test("a process's subscriptions end with it, when it returns and when it is terminated", async () => {
    expect(await scenario('leave_open', 3)).toBe(true); // afterEach: none left
    const r = rt.node.spawn({ entry: 'ev:hoarder', host: 'ev:processes', args: ['', 3, 'h.sys'], parent: null, monitor: false, link: false });
    if (!r.ok) throw new Error(r.error.message);
    const exit = new Promise<Outcome>((resolve) => rt.node.onExit(r.value, resolve));
    await until(() => rt.node.events.ownedBy(r.value) === 3);
    expect(rt.node.terminate('', r.value)).toBeNull();
    expect((await exit).error?.message).toBe('process terminated');
    expect(rt.node.events.ownedBy(r.value)).toBe(0);
  });

  test('a subscriber that never reads: sends all succeed; at the mailbox limit its subscription closes, nothing lost before', async () => {
    const limit = rt.node.mailboxLimit;
    rt.node.mailboxLimit = 50;
    try {
      expect(await scenario('overflow', 120)).toEqual({
        sent: 120,
        mail: { kind: 'Unavailable', retryable: true, message: expect.stringMatching(new RegExp(`^mailbox full: ${PID} has 50 unread messages$`)) },
        hoarder: { count: 50, in_order: true, last: 50, closed: true },
      });
    } finally {
      rt.node.mailboxLimit = limit;
    }
  });

  test('at the real limit: 300000 events to a subscriber that reads nothing; it holds 100000, all in order', async () => {
    expect(await scenario('overflow', 300000)).toEqual({
      sent: 300000,
      mail: { kind: 'Unavailable', retryable: true, message: expect.stringMatching(new RegExp(`^mailbox full: ${PID} has 100000 unread messages$`)) },
      hoarder: { count: 100000, in_order: true, last: 100000, closed: true },
    });
  }, 120_000);

  test('open subscriptions per process are limited; closing one makes room', async () => {
    const limit = rt.node.events.subscriptionLimit;
    rt.node.events.subscriptionLimit = 5;
    try {
      expect(await scenario('limit', 5)).toEqual({
        refused: {
          kind: 'Unavailable', retryable: false,
          message: expect.stringMatching(new RegExp(`^too many event subscriptions: ${PID} has 5 open`)),
        },
        again: true,
      });
    } finally {
      rt.node.events.subscriptionLimit = limit;
    }
  });

  test('the kernel hook: an event published from TypeScript (as the registry would) reaches Lua', async () => {
    const run = start('await', 'registry');
    await until(() => rt.node.events.ownedBy(run.pid) === 1);
    rt.node.publish({ system: 'registry', kind: 'entry.create', path: 'app:thing', data: Table.from({ id: 'app:thing', kind: 'registry.entry' }) });
    const outcome = await run.exit;
    expect(outcome.error).toBeNull();
    expect(valueToPlain(outcome.value)).toEqual({ system: 'registry', kind: 'entry.create', path: 'app:thing', data: { id: 'app:thing', kind: 'registry.entry' } });
  });

  test('the kernel hook: a TypeScript subscriber gets what Lua sends, in order', async () => {
    const got: BusEvent[] = [];
    const sub = rt.node.events.subscribe('lua.*', 'from.lua', { take: (e) => (got.push(e), true) });
    if (!('active' in sub)) throw new Error(sub.message);
    try {
      expect(await scenario('publish', 'lua.app', 3)).toBe(true);
    } finally {
      rt.node.events.unsubscribe(sub);
    }
    expect(got.map((e) => [e.system, e.kind, e.path, valueToPlain(e.data)])).toEqual([
      ['lua.app', 'from.lua', '/1', { i: 1 }], ['lua.app', 'from.lua', '/2', { i: 2 }], ['lua.app', 'from.lua', '/3', { i: 3 }],
    ]);
  });
});

describe('events outside a node', () => {
  test('subscribe and send are Internal errors: there is no process context', async () => {
    expect(await runWith(['events'], `
      local events = require("events")
      local s, serr = events.subscribe("x")
      local ok, err = events.send("x", "k", "/p")
      return { s == nil, serr:kind(), serr:message(), ok == nil, err:kind(), err:message() }
    `)).toEqual([true, 'Internal', 'no process context', true, 'Internal', 'no process context']);
  });
});

describe('unread events under a 128 MB heap (the CLI)', () => {
  test('a flood of large events nobody reads fails the subscriber with "out of memory"; the publisher goes on', async () => {
    const r = await wisp(['run', '-x', 'ev:memory', '400', String(1024 * 1024)], {
      cwd: join(ROOT, 'fixtures', 'events'), node: ['--max-old-space-size=128'], timeoutMs: 180_000,
    });
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toMatch(
      /^hoarder: out of memory: this process held about \d+ MiB when the runtime's heap reached \d+ MiB of 128 MiB\nflood: 400\n$/,
    );
  }, 180_000);
});
