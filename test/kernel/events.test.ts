/** The kernel's event bus on its own (no Lua): patterns, order, re-entrant publishes, ending subscriptions. */
import { EventBus, eventPattern, type BusEvent, type BusSubscription, type EventSubscriber } from '../../src/kernel/events';
import { ErrorValue } from '../../src/kernel/value';

const event = (system: string, path = '/', kind = 'k'): BusEvent => ({ system, kind, path, data: null });

function recorder(take: (e: BusEvent) => boolean = () => true): EventSubscriber & { seen: string[]; endedCount: number } {
  const r = {
    seen: [] as string[],
    endedCount: 0,
    take: (e: BusEvent) => (r.seen.push(e.path), take(e)),
    ended: () => void r.endedCount++,
  };
  return r;
}

const subscribed = (s: BusSubscription | ErrorValue): BusSubscription => {
  if (s instanceof ErrorValue) throw new Error(s.message);
  return s;
};

describe('eventPattern (Wippy: * or empty is everything, a trailing * a prefix, else exact)', () => {
  test.each([
    ['*', ['a', 'a.b', ''], []],
    ['', ['a', ''], []],
    ['a.*', ['a.', 'a.b', 'a.b.c'], ['a', 'ab', 'b.a']],
    ['a*', ['a', 'ab', 'a.b'], ['b', 'ba']],
    ['*.a', ['*.a'], ['b.a', 'a']],
    ['a.b', ['a.b'], ['a.bc', 'a', 'a.b.c']],
    ['a.*.c', ['a.*.c'], ['a.b.c']],
  ])('%j', (pattern, yes, no) => {
    const m = eventPattern(pattern);
    for (const v of yes) expect([v, m(v)]).toEqual([v, true]);
    for (const v of no) expect([v, m(v)]).toEqual([v, false]);
  });
});

describe('EventBus', () => {
  test('exact and patterned subscriptions, with kind filters', () => {
    const bus = new EventBus();
    const exact = recorder();
    const prefix = recorder();
    const kinds = recorder();
    bus.subscribe('app.users', '', exact);
    bus.subscribe('app.*', '*', prefix);
    bus.subscribe('app.users', 'user.*', kinds);
    bus.publish(event('app.users', '/1', 'user.created'));
    bus.publish(event('app.orders', '/2', 'user.created'));
    bus.publish(event('app.users', '/3', 'order.placed'));
    bus.publish(event('other', '/4'));
    expect([exact.seen, prefix.seen, kinds.seen]).toEqual([['/1', '/3'], ['/1', '/2', '/3'], ['/1']]);
  });

  test('a publish made during a delivery waits: every subscriber sees publish order', () => {
    const bus = new EventBus();
    const first = recorder((e) => {
      if (e.path === '/1') bus.publish(event('s', '/2'));
      return true;
    });
    const second = recorder();
    bus.subscribe('s', '', first);
    bus.subscribe('s', '', second);
    bus.publish(event('s', '/1'));
    expect([first.seen, second.seen]).toEqual([['/1', '/2'], ['/1', '/2']]);
  });

  test('a subscription made during a delivery starts with the next publish', () => {
    const bus = new EventBus();
    const late = recorder();
    bus.subscribe('s', '', recorder((e) => {
      if (e.path === '/1') bus.subscribe('s', '', late);
      return true;
    }));
    bus.publish(event('s', '/1'));
    bus.publish(event('s', '/2'));
    expect(late.seen).toEqual(['/2']);
  });

  test('one unsubscribed during a delivery gets nothing more, not even that event', () => {
    const bus = new EventBus();
    const victim = recorder();
    let handle: BusSubscription | null = null;
    bus.subscribe('s', '', recorder(() => (bus.unsubscribe(handle as BusSubscription), true)));
    handle = subscribed(bus.subscribe('s', '', victim));
    bus.publish(event('s', '/1'));
    expect([victim.seen, handle.active, bus.size]).toEqual([[], false, 1]);
  });

  test('a subscriber that cannot take an event is ended (once) and gets nothing more', () => {
    const bus = new EventBus();
    const full = recorder((e) => e.path !== '/2');
    const sub = subscribed(bus.subscribe('s', '', full));
    for (const p of ['/1', '/2', '/3']) bus.publish(event('s', p));
    expect([full.seen, full.endedCount, sub.active, bus.size]).toEqual([['/1', '/2'], 1, false, 0]);
  });

  test('a subscriber that throws costs no other subscriber its event; the error surfaces after', () => {
    const bus = new EventBus();
    const after = recorder();
    bus.subscribe('s', '', {
      take: (e) => {
        if (e.path === '/1') throw new Error('buggy subscriber');
        return true;
      },
    });
    bus.subscribe('s*', '', after);
    expect(() => bus.publish(event('s', '/1'))).toThrow('buggy subscriber');
    bus.publish(event('s', '/2'));
    expect(after.seen).toEqual(['/1', '/2']);
  });

  test('releaseOwner ends every subscription of that owner only; the per-owner limit', () => {
    const bus = new EventBus();
    bus.subscriptionLimit = 2;
    subscribed(bus.subscribe('a', '', recorder(), 'p1'));
    subscribed(bus.subscribe('b.*', '', recorder(), 'p1'));
    const refused = bus.subscribe('c', '', recorder(), 'p1');
    expect(refused instanceof ErrorValue && [refused.kind, refused.message]).toEqual([
      'Unavailable', 'too many event subscriptions: p1 has 2 open (close the ones it no longer reads)',
    ]);
    const other = subscribed(bus.subscribe('a', '', recorder(), 'p2'));
    subscribed(bus.subscribe('a', '', recorder())); // runtime-internal: no owner, no limit
    bus.releaseOwner('p1');
    expect([bus.size, bus.ownedBy('p1'), bus.ownedBy('p2'), other.active]).toEqual([2, 0, 1, true]);
    subscribed(bus.subscribe('c', '', recorder(), 'p1'));
  });

  test('watchPatterns: the open pattern pairs, then each pair at its first subscription and after its last, however it ends', () => {
    const bus = new EventBus();
    bus.subscribe('a', '', recorder());
    const changes: string[] = [];
    const initial = bus.watchPatterns((c) => changes.push(`${c.present ? '+' : '-'}${c.system}/${c.kind}`));
    expect(initial).toEqual([{ system: 'a', kind: '*', present: true }]);
    const star = subscribed(bus.subscribe('a', '*', recorder())); // the same pair as an empty kind
    const full = subscribed(bus.subscribe('b.*', 'k', recorder(() => false), 'p1'));
    bus.subscribe('c', 'k', recorder(), 'p2');
    bus.subscribe('c', 'k', recorder(), 'p2');
    expect(changes).toEqual(['+b.*/k', '+c/k']);
    bus.unsubscribe(star);
    bus.publish(event('b.x')); // its subscriber cannot take it: the bus ends the subscription
    bus.releaseOwner('p2');
    bus.unsubscribe(full); // already ended: nothing more
    expect(changes).toEqual(['+b.*/k', '+c/k', '-b.*/k', '-c/k']);
    expect(bus.patterns()).toEqual([{ system: 'a', kind: '*', present: true }]);
  });
});
