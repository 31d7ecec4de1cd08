import { formatPid, parsePid, PidAllocator, uniqHex } from '../../src/kernel/pid';
import { PidSet } from '../../src/kernel/pid-set';
import { Mailbox, topicMatcher } from '../../src/kernel/mailbox';
import { NameRegistry } from '../../src/kernel/names';
import type { Message } from '../../src/kernel/message';

const msg = (topic: string, n = 0): Message => ({ from: '', topic, payloads: [n] });

describe('PIDs', () => {
  test('format: at least five hex digits, widening to 6, 8 and 16', () => {
    expect(uniqHex(1)).toBe('0x00001');
    expect(uniqHex(0xfffff)).toBe('0xfffff');
    expect(uniqHex(0x100000)).toBe('0x100000');
    expect(uniqHex(0x1000000)).toBe('0x01000000');
    expect(uniqHex(0x100000000)).toBe('0x0000000100000000');
  });

  test('one counter per node, node part only in a cluster, round trip through parse', () => {
    const local = new PidAllocator(null);
    expect(formatPid(local.allocate('app:processes'))).toBe('{app:processes|0x00001}');
    expect(formatPid(local.allocate('app:terminal'))).toBe('{app:terminal|0x00002}');
    const clustered = new PidAllocator('n1');
    const pid = clustered.allocate('app:processes');
    expect(formatPid(pid)).toBe('{n1@app:processes|0x00001}');
    expect(parsePid(formatPid(pid))).toEqual(pid);
    expect(parsePid('{app:p|0x0000A|ignored}')).toEqual({ node: null, host: 'app:p', uniq: 10 });
    expect(parsePid('relay')).toBeNull();
    expect(parsePid('{nobar}')).toBeNull();
  });
});

describe('mailbox routing', () => {
  test('listen claims matching topics, the inbox the rest, and early messages wait in order', () => {
    const box = new Mailbox();
    const got: string[] = [];
    box.deliver(msg('a', 1));
    box.deliver(msg('b', 2));
    box.deliver(msg('a', 3));
    expect(box.queued).toBe(3);
    box.listen('a', (m) => got.push(`listen ${m.payloads[0]}`));
    expect(got).toEqual(['listen 1', 'listen 3']);
    box.subscribeInbox((m) => got.push(`inbox ${m.topic}`));
    box.deliver(msg('a', 4));
    box.deliver(msg('c', 5));
    expect(got).toEqual(['listen 1', 'listen 3', 'inbox b', 'listen 4', 'inbox c']);
  });

  test('events wait for events() too', () => {
    const box = new Mailbox();
    box.deliverEvent('first');
    const seen: unknown[] = [];
    box.subscribeEvents((e) => seen.push(e));
    box.deliverEvent('second');
    expect(seen).toEqual(['first', 'second']);
  });

  test('topic globs: * within a segment, ** across segments', () => {
    expect(topicMatcher('update.*')('update.user')).toBe(true);
    expect(topicMatcher('update.*')('update.user.name')).toBe(false);
    expect(topicMatcher('update.**')('update.user.name')).toBe(true);
    expect(topicMatcher('a+b')('a+b')).toBe(true);
    expect(topicMatcher('exact')('exactly')).toBe(false);
  });
});

describe('name registry', () => {
  test('unique per node, idempotent for the owner, several per PID, all released at once', () => {
    const names = new NameRegistry();
    expect(names.register('relay', 'p1')).toBe(true);
    expect(names.register('relay', 'p1')).toBe(true);
    expect(names.register('relay', 'p2')).toBe('taken');
    expect(names.register('alias', 'p1')).toBe(true);
    names.releaseAll('p1');
    expect(names.lookup('relay')).toBeUndefined();
    expect(names.lookup('alias')).toBeUndefined();
    expect(names.register('relay', 'p2')).toBe(true);
    expect(names.unregister('relay')).toBe(true);
    expect(names.unregister('relay')).toBe(false);
  });
});

describe('PidSet', () => {
  const contents = (s: PidSet): string[] => [...s];

  test('holds one PID inline, then many, as a set', () => {
    const s = new PidSet();
    expect(s.size).toBe(0);
    expect(contents(s)).toEqual([]);
    s.add('a');
    s.add('a');
    expect(s.size).toBe(1);
    expect(s.has('a')).toBe(true);
    expect(s.has('b')).toBe(false);
    s.add('b');
    s.add('c');
    s.add('b');
    expect(s.size).toBe(3);
    expect(contents(s)).toEqual(['a', 'b', 'c']);
    s.delete('a');
    s.delete('zz');
    expect(contents(s)).toEqual(['b', 'c']);
    expect(s.has('a')).toBe(false);
  });

  test('deleting the one PID empties it; deleting another keeps it', () => {
    const s = new PidSet();
    s.add('a');
    s.delete('b');
    expect(contents(s)).toEqual(['a']);
    s.delete('a');
    expect(s.size).toBe(0);
    expect(s.has('a')).toBe(false);
    s.add('c');
    expect(contents(s)).toEqual(['c']);
  });
});
