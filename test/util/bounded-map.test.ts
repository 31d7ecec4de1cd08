import { BoundedMap } from '../../src/util/bounded-map';

test('holds at most its limit: the oldest entry goes first, or all of them with evict "all"', () => {
  const oldest = new BoundedMap<string, number>(3);
  for (const [i, k] of ['a', 'b', 'c', 'd'].entries()) oldest.set(k, i);
  expect([oldest.size, oldest.get('a'), oldest.get('b'), oldest.get('d')]).toEqual([3, undefined, 1, 3]);
  oldest.set('b', 9); // replacing a kept key evicts nothing
  expect([oldest.size, oldest.get('c'), oldest.get('b')]).toEqual([3, 2, 9]);

  const all = new BoundedMap<string, number>(2, 'all');
  all.set('a', 1);
  all.set('b', 2);
  all.set('c', 3);
  expect([all.size, all.get('a'), all.get('c')]).toEqual([1, undefined, 3]);
});

test('memo makes a value once per key and keeps it within the limit', () => {
  const m = new BoundedMap<number, string>(1000);
  let made = 0;
  for (let i = 0; i < 100_000; i++) m.memo(i % 1500, (k) => (made++, `v${k}`));
  expect(m.size).toBe(1000);
  expect(m.memo(999, () => 'new')).toBe('v999'); // the last key made
  expect(made).toBeGreaterThan(1500);
});
