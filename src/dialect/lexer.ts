/**
 * A Lua 5.3 tokenizer that never throws.
 *
 * It follows llex.c closely so that token boundaries agree with the real compiler: the type eraser
 * decides what to erase from these tokens, and a disagreement would erase the wrong bytes. Anything
 * the real lexer would reject (a stray character, an unfinished string, a malformed number) becomes
 * an `error` token; the eraser leaves those alone and Lua reports the syntax error itself.
 */


export type TokenKind =
  | 'name'
  | 'keyword'
  | 'number'
  | 'string'
  | 'longstring'
  | 'comment'
  | 'op'
  | 'error'
  | 'eof';

export interface Token {
  kind: TokenKind;
  /** The exact source text of the token (quotes and brackets included). Empty for `eof`. */
  value: string;
  /** Offset of the first character. */
  start: number;
  /** Offset just past the last character. */
  end: number;
  /** 1-based line of the first character, counted the way Lua counts (`\r\n` and `\n\r` are one). */
  line: number;
}

const KEYWORDS = new Set([
  'and', 'break', 'do', 'else', 'elseif', 'end', 'false', 'for', 'function', 'goto', 'if', 'in',
  'local', 'nil', 'not', 'or', 'repeat', 'return', 'then', 'true', 'until', 'while',
]);

/** Longest operators first, so that `...` wins over `..` and `.`. */
const OPERATORS = [
  '...', '..', '::', '//', '<<', '>>', '<=', '>=', '==', '~=',
  '+', '-', '*', '/', '%', '^', '#', '&', '~', '|', '<', '>', '=',
  '(', ')', '{', '}', '[', ']', ';', ':', ',', '.',
];

const isDigit = (c: string): boolean => c >= '0' && c <= '9';
const isHex = (c: string): boolean => isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
const isAlpha = (c: string): boolean => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
const isNewline = (c: string): boolean => c === '\n' || c === '\r';

/** What Lua's `luaO_str2num` accepts, minus the surrounding spaces a lexeme can't contain. */
const DECIMAL = /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const HEX = /^0[xX]([0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)([pP][+-]?\d+)?$/;

/** `progress`, when given, is called every 1024 tokens (a caller may stop a long tokenization there). */
export function tokenize(source: string, progress: (() => void) | null = null): Token[] {
  return new Lexer(source, progress).run();
}

class Lexer {
  private pos = 0;
  private line = 1;
  private readonly tokens: Token[] = [];

  constructor(
    private readonly src: string,
    private readonly progress: (() => void) | null,
  ) {}

  run(): Token[] {
    const src = this.src;
    while (this.pos < src.length) {
      const c = src[this.pos];
      if (isNewline(c)) this.newline();
      else if (c === ' ' || c === '\t' || c === '\v' || c === '\f') this.pos++;
      else {
        if (this.progress !== null && (this.tokens.length & 1023) === 0) this.progress();
        this.token();
      }
    }
    this.tokens.push({ kind: 'eof', value: '', start: src.length, end: src.length, line: this.line });
    return this.tokens;
  }

  /** Consumes one line break: `\n`, `\r`, `\r\n` or `\n\r`, as llex.c's inclinenumber. */
  private newline(): void {
    const first = this.src[this.pos++];
    const next = this.src[this.pos];
    if (isNewline(next) && next !== first) this.pos++;
    this.line++;
  }

  private push(kind: TokenKind, start: number, line: number): void {
    this.tokens.push({ kind, value: this.src.slice(start, this.pos), start, end: this.pos, line });
  }

  private token(): void {
    const src = this.src;
    const start = this.pos;
    const line = this.line;
    const c = src[start];

    if (c === '-' && src[start + 1] === '-') {
      this.pos += 2;
      const level = this.longBracketLevel();
      if (level >= 0) this.push(this.longBracket(level) ? 'comment' : 'error', start, line);
      else {
        while (this.pos < src.length && !isNewline(src[this.pos])) this.pos++;
        this.push('comment', start, line);
      }
      return;
    }
    if (c === '[') {
      const level = this.longBracketLevel();
      if (level >= 0) {
        this.push(this.longBracket(level) ? 'longstring' : 'error', start, line);
        return;
      }
      if (src[start + 1] === '=') {
        // `[=` without a second `[` is "invalid long string delimiter" in Lua.
        this.pos++;
        while (src[this.pos] === '=') this.pos++;
        this.push('error', start, line);
        return;
      }
    }
    if (c === '"' || c === "'") {
      this.push(this.shortString(c) ? 'string' : 'error', start, line);
      return;
    }
    if (isDigit(c) || (c === '.' && isDigit(src[start + 1] ?? ''))) {
      this.numeral();
      this.push(this.validNumber(src.slice(start, this.pos)) ? 'number' : 'error', start, line);
      return;
    }
    if (isAlpha(c)) {
      while (this.pos < src.length && (isAlpha(src[this.pos]) || isDigit(src[this.pos]))) this.pos++;
      this.push(KEYWORDS.has(src.slice(start, this.pos)) ? 'keyword' : 'name', start, line);
      return;
    }
    for (const op of OPERATORS) {
      if (src.startsWith(op, start)) {
        this.pos += op.length;
        this.push('op', start, line);
        return;
      }
    }
    // Unknown character: one code point, so a surrogate pair is never split.
    const cp = src.codePointAt(start) ?? 0;
    this.pos += cp > 0xffff ? 2 : 1;
    this.push('error', start, line);
  }

  /** At `[`: returns the level of a long bracket `[==[` and moves past it, or -1 and stays put. */
  private longBracketLevel(): number {
    const src = this.src;
    if (src[this.pos] !== '[') return -1;
    let i = this.pos + 1;
    while (src[i] === '=') i++;
    if (src[i] !== '[') return -1;
    const level = i - this.pos - 1;
    this.pos = i + 1;
    return level;
  }

  /** Reads up to the closing `]==]`; false (having consumed everything) if it never comes. */
  private longBracket(level: number): boolean {
    const src = this.src;
    const close = ']' + '='.repeat(level) + ']';
    while (this.pos < src.length) {
      const c = src[this.pos];
      if (isNewline(c)) this.newline();
      else if (c === ']' && src.startsWith(close, this.pos)) {
        this.pos += close.length;
        return true;
      } else this.pos++;
    }
    return false;
  }

  /**
   * Reads a quoted string; false if a raw line break or the end of input comes first. Bad escapes
   * are not judged here: the token is still a string and Lua reports them if the code is kept.
   */
  private shortString(quote: string): boolean {
    const src = this.src;
    this.pos++;
    while (this.pos < src.length) {
      const c = src[this.pos];
      if (c === quote) {
        this.pos++;
        return true;
      }
      if (isNewline(c)) return false;
      if (c !== '\\') {
        this.pos++;
        continue;
      }
      this.pos++;
      const e = src[this.pos];
      if (e === undefined) return false;
      if (isNewline(e)) this.newline(); // backslash-newline continues the string on the next line
      else if (e === 'z') {
        // `\z` skips the following whitespace, line breaks included.
        this.pos++;
        while (this.pos < src.length) {
          const w = src[this.pos];
          if (isNewline(w)) this.newline();
          else if (w === ' ' || w === '\t' || w === '\v' || w === '\f') this.pos++;
          else break;
        }
      } else this.pos++; // \x, \u{..} and \ddd continue with plain characters
    }
    return false;
  }

  /** Consumes exactly what llex.c's read_numeral consumes (it is greedy: `3..2` is one lexeme). */
  private numeral(): void {
    const src = this.src;
    let expo = 'Ee';
    if (src[this.pos] === '0' && (src[this.pos + 1] === 'x' || src[this.pos + 1] === 'X')) {
      this.pos += 2;
      expo = 'Pp';
    }
    for (;;) {
      const c = src[this.pos] ?? '';
      if (c !== '' && expo.includes(c)) {
        this.pos++;
        if (src[this.pos] === '+' || src[this.pos] === '-') this.pos++;
      } else if (isHex(c) || c === '.') this.pos++;
      else break;
    }
  }

  private validNumber(text: string): boolean {
    return DECIMAL.test(text) || HEX.test(text);
  }
}
