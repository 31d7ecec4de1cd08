import { MAX_ALIAS_EXPANSION, MAX_EXPANDED_DEPTH, parseYaml, YamlError } from '../../src/util/yaml';

/** `n` aliases of an anchored list of `k` scalars: each alias is 1 node written and k+1 expanded, so they add n·k. */
function aliases(n: number, k: number): string {
  return `base: &b [${Array(k).fill('x').join(', ')}]\nuses:\n${'  - *b\n'.repeat(n)}`;
}

const reason = (text: string): string => {
  try {
    parseYaml(text, 'f.yaml');
  } catch (e) {
    if (e instanceof YamlError) return e.reason;
    throw e;
  }
  return 'parsed';
};

describe('YAML alias limits', () => {
  test('aliases may add exactly MAX_ALIAS_EXPANSION nodes, not one more', () => {
    // Each alias of a 9-scalar list expands to 10 nodes where 1 was written: it adds 9.
    const n = MAX_ALIAS_EXPANSION / 10;
    expect(reason(aliases(n, 9))).toBe('parsed'); // adds 9n = 90 000
    const k = 10; // adds 10 per alias: 10n = 100 000, the limit itself
    expect(reason(aliases(n, k))).toBe('parsed');
    expect(reason(aliases(n + 1, k))).toBe(
      `YAML aliases expand the document from ${3 + k + n + 1} to ${3 + k + (n + 1) * (k + 1)} nodes (the limit is 100000 more than written)`,
    );
  });

  test('a document without aliases is never refused for its size', () => {
    const big = `items:\n${'  - [a, b, c, d]\n'.repeat(60_000)}`;
    expect(reason(big)).toBe('parsed');
  });

  test('billion laughs is refused in linear time', () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 12; i++) {
      const prev = String.fromCharCode(96 + i);
      levels.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const t0 = performance.now();
    expect(reason(levels.join('\n'))).toMatch(/^YAML aliases expand the document from 121 to 357449882107 nodes/);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  test('an alias inside its own anchor is refused (js-yaml builds a cycle)', () => {
    expect(reason('a: &a [1, *a]')).toBe('an alias refers to a node that contains it (recursive alias)');
    expect(reason('a: &a {self: *a}')).toBe('an alias refers to a node that contains it (recursive alias)');
  });

  test('aliases may not stack nesting beyond MAX_EXPANDED_DEPTH', () => {
    // Each anchor nests 50 levels and ends in the previous anchor: 25 of them nest 1250 deep, written at most 52.
    const lines = ['l0: &l0 x'];
    for (let i = 1; i <= 25; i++) lines.push(`l${i}: &l${i} ${'['.repeat(50)}*l${i - 1}${']'.repeat(50)}`);
    expect(reason(lines.join('\n'))).toBe(`aliases nest the document more than ${MAX_EXPANDED_DEPTH} levels deep`);
    expect(reason(lines.slice(0, 15).join('\n'))).toBe('parsed'); // 14 × 50 = 700 levels
  });

  test('merge keys and shared blocks, as real projects use them, are fine (and `<<` merges)', () => {
    const doc = parseYaml(
      'defaults: &d {auto_start: true, restart: {initial_delay: 1s}}\nentries:\n' +
        '  - {name: a, lifecycle: {<<: *d, stop_timeout: 2s}}\n  - {name: b, lifecycle: *d}\n',
      'f.yaml',
    );
    expect(doc).toEqual({
      defaults: { auto_start: true, restart: { initial_delay: '1s' } },
      entries: [
        { name: 'a', lifecycle: { auto_start: true, restart: { initial_delay: '1s' }, stop_timeout: '2s' } },
        { name: 'b', lifecycle: { auto_start: true, restart: { initial_delay: '1s' } } },
      ],
    });
  });
});
