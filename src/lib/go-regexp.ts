/**
 * Go's regexp package over re2js (a port of RE2: the same syntax, linear-time matching): byte offsets on
 * UTF-8 input, Go's rules for successive matches (an empty match right after a match is skipped), Split,
 * and ReplaceAllString's `$1` / `${name}` / `$$` template. The loops are generators that yield after each
 * match, so a caller can run them in time slices (GeneratorWork in src/lib/cpu-work.ts). Patterns have the
 * size limits of the runtime's other matcher (src/lib/regex.ts).
 */
import { RE2JS, RE2JSException } from 're2js';
import { MAX_PATTERN, MAX_PROGRAM } from './regex';

export class RegexpSyntaxError extends Error {}

/** One match: [start, end] of the whole match, then of each group (-1, -1 for a group that did not take part). */
export type MatchIndexes = number[];

export class GoRegexp {
  private constructor(
    private readonly re: RE2JS,
    readonly source: string,
    /** Group names by index, "" for the whole match and unnamed groups (Go's SubexpNames). */
    readonly subexpNames: readonly string[],
  ) {}

  static compile(pattern: string): GoRegexp {
    if (pattern.length > MAX_PATTERN) throw new RegexpSyntaxError(`regular expression too long: ${pattern.length} characters (at most ${MAX_PATTERN})`);
    let re: RE2JS;
    try {
      re = RE2JS.compile(pattern);
    } catch (e) {
      if (e instanceof RE2JSException) throw new RegexpSyntaxError(e.message);
      throw e;
    }
    if (re.programSize() > MAX_PROGRAM) throw new RegexpSyntaxError(`regular expression too large: ${re.programSize()} instructions (at most ${MAX_PROGRAM})`);
    const names = new Array<string>(re.groupCount() + 1).fill('');
    for (const [name, index] of Object.entries(re.namedGroups())) names[index] = name;
    return new GoRegexp(re, pattern, names);
  }

  get numSubexp(): number {
    return this.subexpNames.length - 1;
  }

  /** The first match, or null. */
  first(input: Uint8Array): MatchIndexes | null {
    const m = this.re.matcher(input);
    return m.find(0) ? this.indexes(m) : null;
  }

  /** Successive matches as Go's allMatches finds them, at most `n` (n < 0: all); yields after each. */
  *all(input: Uint8Array, n: number, found: MatchIndexes[] = []): Generator<void, MatchIndexes[], void> {
    const m = this.re.matcher(input);
    let prevEnd = -1;
    for (let pos = 0; (n < 0 || found.length < n) && pos <= input.length; ) {
      if (!m.find(pos)) break;
      const start = m.start();
      const end = m.end();
      let accept = true;
      if (end === pos && start === end) {
        if (start === prevEnd) accept = false; // an empty match abutting the previous one
        pos += runeWidth(input, pos);
      } else {
        pos = end;
      }
      prevEnd = end;
      if (accept) found.push(this.indexes(m));
      yield;
    }
    return found;
  }

  private indexes(m: ReturnType<RE2JS['matcher']>): MatchIndexes {
    const out: number[] = [];
    for (let g = 0; g <= this.numSubexp; g++) {
      const s = m.start(g);
      out.push(s, s < 0 ? -1 : m.end(g));
    }
    return out;
  }

  /** Go's ReplaceAllString. */
  *replaceAll(input: Uint8Array, template: Uint8Array): Generator<void, Uint8Array, void> {
    const matches = yield* this.all(input, -1);
    const parts: Uint8Array[] = [];
    let last = 0;
    for (const match of matches) {
      parts.push(input.subarray(last, match[0]));
      this.expand(template, input, match, parts);
      last = match[1];
      yield;
    }
    parts.push(input.subarray(last));
    return Buffer.concat(parts);
  }

  /** Go's Split: at most n parts (n < 0: all, n == 0: none). */
  *split(input: Uint8Array, n: number): Generator<void, Uint8Array[], void> {
    if (n === 0) return [];
    if (this.source.length > 0 && input.length === 0) return [new Uint8Array(0)];
    const matches = yield* this.all(input, n);
    const parts: Uint8Array[] = [];
    let beg = 0;
    let end = 0;
    for (const match of matches) {
      if (n > 0 && parts.length === n - 1) break;
      end = match[0];
      if (match[1] !== 0) parts.push(input.subarray(beg, end));
      beg = match[1];
    }
    if (end !== input.length) parts.push(input.subarray(beg));
    return parts;
  }

  /** Appends template with `$name`, `${name}` and `$$` expanded (Go's Regexp.Expand rules). */
  private expand(template: Uint8Array, input: Uint8Array, match: MatchIndexes, out: Uint8Array[]): void {
    let i = 0;
    while (i < template.length) {
      const dollar = template.indexOf(0x24, i);
      if (dollar < 0) break;
      out.push(template.subarray(i, dollar));
      i = dollar + 1;
      if (template[i] === 0x24) {
        out.push(template.subarray(i, i + 1));
        i++;
        continue;
      }
      const ref = readReference(template, i);
      if (ref === null) {
        out.push(template.subarray(dollar, dollar + 1)); // malformed: the $ stays as text
        continue;
      }
      i = ref.next;
      const group = /^[0-9]+$/.test(ref.name) ? Number(ref.name) : this.subexpNames.indexOf(ref.name);
      if (group > 0 || (group === 0 && /^[0-9]+$/.test(ref.name))) {
        if (group <= this.numSubexp && match[2 * group] >= 0) out.push(input.subarray(match[2 * group], match[2 * group + 1]));
      }
    }
    out.push(template.subarray(i));
  }
}

const isNameByte = (b: number): boolean => (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x5f;

/** The reference after a `$` at `at`: `name` or `{name}`; null when malformed. */
function readReference(t: Uint8Array, at: number): { name: string; next: number } | null {
  const braced = t[at] === 0x7b;
  let i = braced ? at + 1 : at;
  const start = i;
  while (i < t.length && isNameByte(t[i])) i++;
  if (i === start) return null;
  const name = Buffer.from(t.subarray(start, i)).toString('latin1');
  if (!braced) return { name, next: i };
  if (t[i] !== 0x7d) return null;
  return { name, next: i + 1 };
}

/** Bytes in the UTF-8 sequence at `pos` (1 for an invalid byte, as Go's DecodeRune counts it). */
function runeWidth(input: Uint8Array, pos: number): number {
  if (pos >= input.length) return 1;
  const b = input[pos];
  const width = b < 0x80 ? 1 : b >= 0xf0 && b < 0xf8 ? 4 : b >= 0xe0 ? 3 : b >= 0xc2 ? 2 : 1;
  for (let k = 1; k < width; k++) if (pos + k >= input.length || (input[pos + k] & 0xc0) !== 0x80) return 1;
  return width;
}
