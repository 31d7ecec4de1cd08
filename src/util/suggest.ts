/** "Did you mean ...?": the known words closest to a mistyped one. */

/** Optimal string alignment distance: edits, counting a swap of two neighbours as one. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = [];
  for (let i = 0; i <= a.length; i++) d.push([i]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/**
 * The candidates nearest to `word` (all those at the smallest distance), when near enough to be a typo:
 * at most a third of the word's length in edits (at least one). Words longer than 200 characters are
 * not compared (a hostile name costs nothing).
 */
export function closest(word: string, candidates: Iterable<string>): string[] {
  if (word.length > 200) return [];
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best = limit + 1;
  let found: string[] = [];
  for (const c of new Set(candidates)) {
    if (c === word || Math.abs(c.length - word.length) > limit) continue;
    const distance = editDistance(word.toLowerCase(), c.toLowerCase());
    if (distance < best) {
      best = distance;
      found = [c];
    } else if (distance === best) found.push(c);
  }
  return found.sort();
}

/** ` (did you mean "x"?)`, or `''` when nothing is close. */
export function didYouMean(word: string, candidates: Iterable<string>, quote = true): string {
  const near = closest(word, candidates).slice(0, 3);
  if (near.length === 0) return '';
  const shown = near.map((n) => (quote ? JSON.stringify(n) : n));
  return ` (did you mean ${shown.length === 1 ? shown[0] : `${shown.slice(0, -1).join(', ')} or ${shown[shown.length - 1]}`}?)`;
}
