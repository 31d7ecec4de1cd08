/** "Did you mean ...?": the known words closest to a mistyped one. */

/**
 * Optimal string alignment distance: edits, counting a swap of two neighbours as one. With a `cap`, only the
 * band of cells within `cap` of the diagonal is computed and anything past the cap answers `cap + 1`, so
 * comparing a word with thousands of unlike ids costs little. Three rows are kept (a swap looks two back).
 */
export function editDistance(a: string, b: string, cap = Infinity): number {
  const n = a.length;
  const m = b.length;
  if (Math.abs(n - m) > cap) return cap + 1;
  const width = Number.isFinite(cap) ? cap : Math.max(n, m);
  let before = new Array<number>(m + 1).fill(Infinity);
  let previous = new Array<number>(m + 1).fill(Infinity);
  let row = new Array<number>(m + 1).fill(Infinity);
  for (let j = 0; j <= Math.min(m, width); j++) previous[j] = j;
  let lastMin = 0;
  for (let i = 1; i <= n; i++) {
    row.fill(Infinity);
    if (i <= width) row[0] = i;
    let rowMin = row[0];
    for (let j = Math.max(1, i - width); j <= Math.min(m, i + width); j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      let v = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost);
      if (i > 1 && j > 1 && a.charCodeAt(i - 1) === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === b.charCodeAt(j - 1)) v = Math.min(v, before[j - 2] + 1);
      row[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > cap && lastMin > cap) return cap + 1;
    lastMin = rowMin;
    const spare = before;
    before = previous;
    previous = row;
    row = spare;
  }
  return Math.min(previous[m], cap + 1);
}

/**
 * The candidates nearest to `word` (all those at the smallest distance), when near enough to be a typo:
 * at most a third of the word's length in edits (at least one). Words longer than MAX_WORD characters are
 * not compared (a hostile name costs nothing).
 */
export function closest(word: string, candidates: Iterable<string>): string[] {
  if (word.length > MAX_WORD) return [];
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best = limit + 1;
  let found: string[] = [];
  for (const c of new Set(candidates)) {
    if (c === word || Math.abs(c.length - word.length) > limit) continue;
    const distance = editDistance(word.toLowerCase(), c.toLowerCase(), Math.min(best, limit));
    if (distance > limit) continue;
    if (distance < best) {
      best = distance;
      found = [c];
    } else if (distance === best) found.push(c);
  }
  return found.sort();
}

/** Longer words get no suggestion: ids and kinds that long are pasted, not typed. */
export const MAX_WORD = 100;

/** ` (did you mean "x"?)`, or `''` when nothing is close. */
export function didYouMean(word: string, candidates: Iterable<string>, quote = true): string {
  const near = closest(word, candidates).slice(0, 3);
  if (near.length === 0) return '';
  const shown = near.map((n) => (quote ? JSON.stringify(n) : n));
  return ` (did you mean ${shown.length === 1 ? shown[0] : `${shown.slice(0, -1).join(', ')} or ${shown[shown.length - 1]}`}?)`;
}
