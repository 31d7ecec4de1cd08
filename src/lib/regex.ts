/**
 * The one regular-expression matcher for patterns that Lua code chooses: `registry.find` `~` filters,
 * `process.listen` topic wildcards, a runtime type's `@pattern`, `json.validate` schemas. RE2 syntax, as Wippy's
 * Go regexp, matched by re2js (a port of RE2): no backtracking, so time is linear in the text, at most the
 * program's size per character.
 *
 * That product can still be large (a 40,000-instruction program against 100 KB of text is a minute), so a
 * match reports its progress: every STEP instruction-characters it calls the checkpoint of whoever runs it
 * (`src/lib/checkpoint.ts`), which for Lua code is the runaway guard: past the hard slice the process is killed, as a
 * backtracking Lua pattern is. Matched outside any checkpoint (no process running), a match gives up with a
 * RegexError after MATCH_LIMIT_MS.
 */
import { RE2JS, RE2JSException } from 're2js';
import { currentCheckpoint } from './checkpoint';
import { BoundedMap } from '../util/bounded-map';

/**
 * The longest pattern, and the largest program (RE2 instructions; `[a-z]{1000}` is about 1,000), far above
 * any real one. Compiling is host work that cannot be cut short: about 15–40 µs an instruction here, so a
 * program is estimated from the pattern's text before it is compiled (`{n}` repeats what it follows n times).
 */
export const MAX_PATTERN = 4096;
export const MAX_PROGRAM = 5000;
/** Instruction-characters between two checkpoints: about 1 ms of matching at worst. */
const STEP = 1 << 16;
/** How long a match may run when no process runs it (nobody to charge). */
export const MATCH_LIMIT_MS = 1000;

/** A pattern that does not compile, or a match that gave up. The message is one line. */
export class RegexError extends Error {}

export interface CompileOptions {
  /** As `(?i)`. */
  readonly caseInsensitive?: boolean;
}

export class Regex {
  private readonly re: RE2JS;
  private readonly every: number;

  private constructor(
    readonly source: string,
    flags: number,
  ) {
    this.re = RE2JS.compile(source, flags);
    const size = this.re.programSize();
    if (size > MAX_PROGRAM) throw new RegexError(`regular expression too large: ${size} instructions (at most ${MAX_PROGRAM})`);
    this.every = Math.max(1, Math.floor(STEP / Math.max(size, 1)));
  }

  static compile(source: string, options: CompileOptions = {}): Regex {
    if (source.length > MAX_PATTERN) throw new RegexError(`regular expression too long: ${source.length} characters (at most ${MAX_PATTERN})`);
    const estimate = programEstimate(source);
    if (estimate > MAX_PROGRAM) throw new RegexError(`regular expression too large: about ${estimate} instructions (at most ${MAX_PROGRAM})`);
    const flags = options.caseInsensitive ? RE2JS.CASE_INSENSITIVE : 0;
    try {
      return new Regex(source, flags);
    } catch (e) {
      if (e instanceof RE2JSException) throw new RegexError(e.message.split('\n')[0]);
      throw e;
    }
  }

  /** Whether the pattern matches anywhere in `text` (anchors say otherwise). */
  test(text: string): boolean {
    const cp = currentCheckpoint() ?? deadline(performance.now() + MATCH_LIMIT_MS, this.source);
    try {
      // The text goes in as a string-like object that counts what the engine reads of it.
      return this.re.test(new CountedText(text, this.every, cp) as unknown as string);
    } catch (e) {
      // Stopped half way (a checkpoint throws only between two characters read): its NFA machines are dropped;
      // the DFA states it cached are whole ones and stay.
      this.re.reset();
      throw e;
    }
  }

  toString(): string {
    return this.source;
  }
}

/**
 * About how many instructions `source` compiles to, from its text alone: one per atom, a group's size for a
 * group, `{n,m}` repeating what it follows m times (nested repeats multiply). Not exact; meant to refuse a
 * pattern too large before spending the time to compile it.
 */
export function programEstimate(source: string): number {
  const n = source.length;
  interface Group {
    total: number;
    alt: number;
    last: number;
  }
  const stack: Group[] = [{ total: 0, alt: 0, last: 0 }];
  const atom = (size: number): void => {
    const top = stack[stack.length - 1];
    top.alt += size;
    top.last = size;
  };
  let i = 0;
  while (i < n) {
    const c = source[i];
    if (c === '\\') {
      const d = source[i + 1];
      if ((d === 'p' || d === 'P' || d === 'x') && source[i + 2] === '{') {
        const j = source.indexOf('}', i + 3);
        i = j < 0 ? n : j + 1;
      } else if (d === 'Q') {
        const j = source.indexOf('\\E', i + 2);
        const end = j < 0 ? n : j;
        stack[stack.length - 1].alt += end - (i + 2);
        i = j < 0 ? n : j + 2;
      } else i += 2;
      atom(1);
    } else if (c === '[') {
      i++;
      if (source[i] === '^') i++;
      if (source[i] === ']') i++;
      while (i < n && source[i] !== ']') {
        if (source[i] === '\\') i += 2;
        else if (source[i] === '[' && source[i + 1] === ':') {
          const j = source.indexOf(':]', i + 2);
          i = j < 0 ? n : j + 2;
        } else i++;
      }
      i++;
      atom(1);
    } else if (c === '(') {
      i++;
      if (source[i] === '?') {
        // (?flags), (?flags:, (?P<name>, (?<name>: a group's syntax, not atoms
        i++;
        if (source[i] === 'P' || source[i] === '<') {
          const j = source.indexOf('>', i);
          i = j < 0 ? n : j + 1;
        } else {
          while (i < n && /[a-zA-Z-]/.test(source[i])) i++;
          if (source[i] === ')') {
            i++;
            continue;
          }
          if (source[i] === ':') i++;
        }
      }
      stack.push({ total: 0, alt: 0, last: 0 });
    } else if (c === ')') {
      const g = stack.length > 1 ? (stack.pop() as Group) : { total: 0, alt: 0, last: 0 };
      atom(g.total + g.alt);
      i++;
    } else if (c === '|') {
      const top = stack[stack.length - 1];
      top.total += top.alt;
      top.alt = 0;
      top.last = 0;
      i++;
    } else if (c === '{') {
      const m = /^\{(\d{1,6})(,(\d{0,6}))?\}/.exec(source.slice(i, i + 16));
      if (m === null) {
        atom(1);
        i++;
        continue;
      }
      const lo = Number(m[1]);
      const hi = m[2] === undefined ? lo : m[3] === '' ? lo + 1 : Number(m[3]);
      const top = stack[stack.length - 1];
      const times = Math.max(hi, lo, 1);
      top.alt += top.last * (times - 1);
      top.last *= times;
      i += m[0].length;
    } else {
      if (c === '*' || c === '+' || c === '?') stack[stack.length - 1].alt += 1;
      else atom(1);
      i++;
    }
  }
  let size = 0;
  for (const g of stack) size += g.total + g.alt;
  return size;
}

function deadline(at: number, source: string): () => void {
  return () => {
    if (performance.now() > at) {
      throw new RegexError(`regular expression ${JSON.stringify(source.slice(0, 64))} gave up after ${MATCH_LIMIT_MS} ms`);
    }
  };
}

/**
 * What re2js reads of a text (charCodeAt, indexOf, length), counting the characters it steps through. It
 * passes re2js's input check as a String object does (its toStringTag).
 */
class CountedText {
  private left: number;
  readonly [Symbol.toStringTag] = 'String';

  constructor(
    private readonly text: string,
    private readonly every: number,
    private readonly cp: () => void,
  ) {
    this.left = every;
  }

  get length(): number {
    return this.text.length;
  }

  charCodeAt(i: number): number {
    if (--this.left <= 0) {
      this.left = this.every;
      this.cp();
    }
    return this.text.charCodeAt(i);
  }

  codePointAt(i: number): number | undefined {
    return this.text.codePointAt(i);
  }

  indexOf(s: string, from?: number): number {
    return this.text.indexOf(s, from);
  }

  substring(a: number, b?: number): string {
    return this.text.substring(a, b);
  }

  toString(): string {
    return this.text;
  }
}

/** A bounded cache of compiled patterns, by source: the oldest is dropped first. */
export class RegexCache {
  private readonly map: BoundedMap<string, Regex | RegexError>;

  constructor(size = 256) {
    this.map = new BoundedMap(size);
  }

  /** The compiled pattern, or the RegexError it gave (cached too). */
  get(source: string, options: CompileOptions = {}): Regex | RegexError {
    const key = options.caseInsensitive ? `i\0${source}` : source;
    const known = this.map.get(key);
    if (known !== undefined) return known;
    let made: Regex | RegexError;
    try {
      made = Regex.compile(source, options);
    } catch (e) {
      if (!(e instanceof RegexError)) throw e;
      made = e;
    }
    this.map.set(key, made);
    return made;
  }
}

const shared = new RegexCache(512);

/** The compiled pattern from one cache that every user shares, or the RegexError it gave. */
export function cachedRegex(source: string, options: CompileOptions = {}): Regex | RegexError {
  return shared.get(source, options);
}

/** `text` as a pattern that matches exactly it. */
export function quoteRegex(text: string): string {
  return RE2JS.quote(text);
}
