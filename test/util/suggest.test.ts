/** "Did you mean": distances, the nearest candidates, and a hostile number of them. */
import { closest, didYouMean, editDistance } from '../../src/util/suggest';

test('edit distance counts inserts, deletes, changes and a swap of neighbours as one each', () => {
  expect(editDistance('process.lua', 'process.lua')).toBe(0);
  expect(editDistance('process.lau', 'process.lua')).toBe(1); // a swap
  expect(editDistance('terminal.hots', 'terminal.host')).toBe(1);
  expect(editDistance('clint', 'client')).toBe(1);
  expect(editDistance('mian', 'main')).toBe(1);
  expect(editDistance('abc', 'xyz')).toBe(3);
  expect(editDistance('abcdefgh', 'zzzzzzzz', 2)).toBe(3); // stopped past the cap
});

test('the nearest candidates, when near enough to be a typo', () => {
  expect(closest('process.lau', ['process.lua', 'process.host', 'library.lua'])).toEqual(['process.lua']);
  expect(closest('hello:clint', ['hello:client', 'hello:counter'])).toEqual(['hello:client']);
  expect(closest('x', ['abc', 'def'])).toEqual([]);
  expect(closest('http.service', ['process.lua', 'terminal.host'])).toEqual([]);
  expect(closest('same', ['same'])).toEqual([]); // the word itself is no suggestion
  expect(didYouMean('mian', ['main', 'other'])).toBe(' (did you mean "main"?)');
  expect(didYouMean('ab', ['ax', 'ay'], false)).toBe(' (did you mean ax or ay?)');
  expect(didYouMean('zzzz', ['main'])).toBe('');
});

test('a hostile word is not compared; unlike ids are cut short by the band', () => {
  const ids = Array.from({ length: 5000 }, (_, i) => `app.ns${i}:entry-${i}${i % 7 === 0 ? 'q'.repeat(190) : ''}`);
  expect(closest('app.ns123:entry-124', ids)).toEqual(['app.ns123:entry-123', 'app.ns124:entry-124']);
  expect(closest(`app.ns0:entry-0${'q'.repeat(80)}`, ids)).toEqual([]);
  const start = performance.now();
  expect(closest('y'.repeat(5000), ids)).toEqual([]); // past MAX_WORD: not compared at all
  expect(performance.now() - start).toBeLessThan(1000);
  expect(editDistance('y'.repeat(99), 'q'.repeat(99), 5)).toBe(6);
});
