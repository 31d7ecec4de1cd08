/** expr-lang's lexer (parser/lexer), state for state: the same tokens, the same errors at the same places. */
import { strconvQuote } from '../goquote';
import { ExprError, type Loc } from './errors';

export type TokenKind = 'Identifier' | 'Number' | 'String' | 'Bytes' | 'Operator' | 'Bracket' | 'EOF';

export interface Token extends Loc {
  readonly kind: TokenKind;
  readonly value: string;
}

/** How a token prints in "unexpected token" messages. */
export function tokenText(t: Token): string {
  return t.value === '' ? t.kind : `${t.kind}(${strconvQuote(t.value)})`;
}

const EOF = -1;
const SPACE = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$/;
const LETTER = /^\p{L}$/u;
const DIGIT = /^\p{Nd}$/u;
const KEYWORD_OPERATORS = new Set(['in', 'or', 'and', 'matches', 'contains', 'startsWith', 'endsWith', 'let', 'if', 'else']);
const NOT_SUFFIXES = new Set(['in', 'matches', 'contains', 'startsWith', 'endsWith']);

export const isSpace = (r: number): boolean => r >= 0 && SPACE.test(String.fromCodePoint(r));

const isAlphabetic = (r: number): boolean =>
  r === 0x5f || r === 0x24 || (r >= 0 && (r < 0x80 ? (r | 0x20) >= 0x61 && (r | 0x20) <= 0x7a : LETTER.test(String.fromCodePoint(r))));

export const isAlphaNumeric = (r: number): boolean =>
  isAlphabetic(r) || (r >= 0x30 && r <= 0x39) || (r >= 0x80 && DIGIT.test(String.fromCodePoint(r)));

function digitVal(ch: number): number {
  if (ch >= 0x30 && ch <= 0x39) return ch - 0x30;
  const lower = ch | 0x20;
  if (ch >= 0 && lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return 16;
}

type State = ((l: Lexer) => State) | null;

class Lexer {
  readonly cps: number[];
  readonly tokens: Token[] = [];
  start = 0;
  end = 0;
  eof = false;
  err: ExprError | null = null;

  constructor(readonly source: string) {
    this.cps = Array.from(source, (ch) => ch.codePointAt(0) as number);
  }

  next(): number {
    if (this.end >= this.cps.length) {
      this.eof = true;
      return EOF;
    }
    return this.cps[this.end++];
  }

  peek(): number {
    return this.end < this.cps.length ? this.cps[this.end] : EOF;
  }

  backup(): void {
    if (this.eof) this.eof = false;
    else if (this.end > 0) this.end--;
  }

  word(): string {
    return String.fromCodePoint(...this.cps.slice(this.start, this.end));
  }

  emit(kind: TokenKind, value = this.word()): void {
    this.tokens.push({ kind, value, from: this.start, to: this.end });
    this.start = this.end;
  }

  emitEOF(): void {
    this.tokens.push({ kind: 'EOF', value: '', from: Math.max(this.end - 1, 0), to: this.end });
    this.start = this.end;
  }

  skip(): void {
    this.start = this.end;
  }

  accept(valid: string): boolean {
    const r = this.peek();
    if (r !== EOF && valid.includes(String.fromCodePoint(r))) {
      this.next();
      return true;
    }
    return false;
  }

  acceptRun(valid: string): void {
    while (this.accept(valid));
  }

  error(message: string): State {
    if (this.err === null) {
      const end = this.eof ? this.end + 1 : this.end;
      this.err = new ExprError(message, { from: end - 1, to: end });
    }
    return null;
  }

  scanDigits(ch: number, base: number, n: number): number {
    while (n > 0 && digitVal(ch) < base) {
      ch = this.next();
      n--;
    }
    if (n > 0) this.error('invalid char escape');
    return ch;
  }

  scanEscape(quote: number): number {
    let ch = this.next();
    switch (ch) {
      case 0x61: case 0x62: case 0x66: case 0x6e: case 0x72: case 0x74: case 0x76: case 0x5c: case quote:
        return this.next();
      case 0x30: case 0x31: case 0x32: case 0x33: case 0x34: case 0x35: case 0x36: case 0x37:
        return this.scanDigits(ch, 8, 3);
      case 0x78: // x
        return this.scanDigits(this.next(), 16, 2);
      case 0x75: // u
        if (this.peek() === 0x7b) {
          this.next();
          let digits = 0;
          for (;;) {
            const p = this.peek();
            if (p === 0x7d) break;
            if (digitVal(p) >= 16 || digits >= 6) {
              this.error('invalid char escape');
              return EOF;
            }
            this.next();
            digits++;
          }
          if (digits === 0) {
            this.error('invalid char escape');
            return EOF;
          }
          this.next();
          return this.next();
        }
        return this.scanDigits(this.next(), 16, 4);
      case 0x55: // U
        return this.scanDigits(this.next(), 16, 8);
      default:
        this.error('invalid char escape');
        return ch;
    }
  }

  scanString(quote: number): void {
    let ch = this.next();
    while (ch !== quote) {
      if (ch === 0x0a || ch === EOF) {
        this.error('literal not terminated');
        return;
      }
      ch = ch === 0x5c ? this.scanEscape(quote) : this.next();
    }
  }

  scanRawString(quote: number): void {
    for (;;) {
      let ch = this.next();
      while (ch === quote && this.peek() === quote) {
        this.next();
        ch = this.next();
      }
      if (ch === quote) break;
      if (ch === EOF) {
        this.error('literal not terminated');
        return;
      }
    }
    const raw = String.fromCodePoint(...this.cps.slice(this.start + 1, this.end - 1));
    this.emit('String', raw.split('``').join('`'));
  }

  scanNumber(): boolean {
    let digits = '0123456789_';
    if (this.accept('0')) {
      if (this.accept('xX')) digits = '0123456789abcdefABCDEF_';
      else if (this.accept('oO')) digits = '01234567_';
      else if (this.accept('bB')) digits = '01_';
    }
    this.acceptRun(digits);
    const end = this.end;
    if (this.accept('.')) {
      if (this.peek() === 0x2e) {
        this.end = end; // `1..2` is a range
        return true;
      }
      this.acceptRun(digits);
    }
    if (this.accept('eE')) {
      this.accept('+-');
      this.acceptRun(digits);
    }
    if (isAlphaNumeric(this.peek())) {
      this.next();
      return false;
    }
    return true;
  }
}

function root(l: Lexer): State {
  const r = l.next();
  if (r === EOF) {
    l.emitEOF();
    return null;
  }
  if (isSpace(r)) {
    l.skip();
    return root;
  }
  const ch = String.fromCodePoint(r);
  if (ch === "'" || ch === '"') {
    l.scanString(r);
    if (l.err === null) l.emit('String', unescape(l, l.word(), false));
  } else if (ch === '`') {
    l.scanRawString(r);
  } else if ((ch === 'b' || ch === 'B') && (l.peek() === 0x27 || l.peek() === 0x22)) {
    const quote = l.next();
    l.scanString(quote);
    if (l.err === null) l.emit('Bytes', unescape(l, l.word().slice(1), true));
  } else if (r >= 0x30 && r <= 0x39) {
    l.backup();
    return numberState;
  } else if (ch === '?') {
    l.accept('.?');
    l.emit('Operator');
  } else if (ch === '/') {
    return slash;
  } else if (ch === '#') {
    return pointer;
  } else if (ch === '|') {
    l.accept('|');
    l.emit('Operator');
  } else if (ch === ':') {
    l.accept(':');
    l.emit('Operator');
  } else if ('([{)]}'.includes(ch)) {
    l.emit('Bracket');
  } else if (',;%+-^'.includes(ch)) {
    l.emit('Operator');
  } else if ('&!=*<>'.includes(ch)) {
    l.accept('&=*');
    l.emit('Operator');
  } else if (ch === '.') {
    l.backup();
    return dot;
  } else if (isAlphaNumeric(r)) {
    l.backup();
    return identifier;
  } else {
    return l.error(`unrecognized character: U+${r.toString(16).toUpperCase().padStart(4, '0')} ${strconvQuote(ch).replace(/^"|"$/g, "'")}`);
  }
  return root;
}

function numberState(l: Lexer): State {
  if (!l.scanNumber()) return l.error(`bad number syntax: ${strconvQuote(l.word())}`);
  l.emit('Number');
  return root;
}

function dot(l: Lexer): State {
  l.next();
  if (l.accept('0123456789')) {
    l.backup();
    return numberState;
  }
  l.accept('.');
  l.emit('Operator');
  return root;
}

function identifier(l: Lexer): State {
  while (isAlphaNumeric(l.next()));
  l.backup();
  const word = l.word();
  if (word === 'not') return not;
  l.emit(KEYWORD_OPERATORS.has(word) ? 'Operator' : 'Identifier');
  return root;
}

function not(l: Lexer): State {
  l.emit('Operator');
  l.acceptRun(' ');
  l.skip();
  const end = l.end;
  while (isAlphaNumeric(l.next()));
  l.backup();
  if (NOT_SUFFIXES.has(l.word())) l.emit('Operator');
  else l.end = end;
  return root;
}

function slash(l: Lexer): State {
  if (l.accept('/')) {
    for (;;) {
      const r = l.next();
      if (r === EOF || r === 0x0a) break;
    }
    l.skip();
    return root;
  }
  if (l.accept('*')) {
    for (;;) {
      const r = l.next();
      if (r === EOF) return l.error('unclosed comment');
      if (r === 0x2a && l.accept('/')) break;
    }
    l.skip();
    return root;
  }
  l.emit('Operator');
  return root;
}

function pointer(l: Lexer): State {
  l.accept('#');
  l.emit('Operator');
  while (isAlphaNumeric(l.next()));
  l.backup();
  if (l.word() !== '') l.emit('Identifier');
  return root;
}

const SIMPLE: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92, "'": 39, '"': 34, '`': 96, '?': 63 };

/**
 * Unquotes a quoted literal (Go's unescape / unescapeBytes). Bytes literals come back as a binary string, one
 * character per byte.
 */
function unescape(l: Lexer, quoted: string, bytes: boolean): string {
  const value = quoted.replace(/\r\n|\r/g, '\n');
  const fail = (message: string): string => {
    l.error(message);
    return '';
  };
  if (value.length < 2 || value[0] !== value[value.length - 1] || (value[0] !== '"' && value[0] !== "'")) {
    return fail('unable to unescape string');
  }
  const s = value.slice(1, -1);
  let out = '';
  const put = (cp: number, raw: boolean): void => {
    if (bytes && !raw) out += Buffer.from(String.fromCodePoint(cp), 'utf8').toString('latin1');
    else if (bytes) out += String.fromCharCode(cp);
    else out += cp >= 0xd800 && cp <= 0xdfff ? '\ufffd' : String.fromCodePoint(cp);
  };
  let i = 0;
  while (i < s.length) {
    const cp = s.codePointAt(i) as number;
    if (cp !== 0x5c) {
      put(cp, false);
      i += cp > 0xffff ? 2 : 1;
      continue;
    }
    if (i + 1 >= s.length) return fail("unable to unescape string, found '\\' as last character");
    const c = s[i + 1];
    i += 2;
    const simple = SIMPLE[c];
    if (simple !== undefined) {
      put(simple, true);
      continue;
    }
    if (c === 'x' || c === 'X' || c === 'u' || c === 'U') {
      if (bytes && c !== 'x' && c !== 'X') return fail('unable to unescape string');
      if (c === 'u' && s[i] === '{') {
        const close = s.indexOf('}', i + 1);
        const hex = close < 0 ? '' : s.slice(i + 1, close);
        if (!/^[0-9a-fA-F]{1,6}$/.test(hex)) return fail('unable to unescape string');
        const v = parseInt(hex, 16);
        if (v > 0x10ffff) return fail('unable to unescape string');
        put(v, false);
        i = close + 1;
        continue;
      }
      const n = c === 'u' ? 4 : c === 'U' ? 8 : 2;
      const hex = s.slice(i, i + n);
      if (hex.length < n || !/^[0-9a-fA-F]+$/.test(hex)) return fail('unable to unescape string');
      const v = parseInt(hex, 16);
      if (v > 0x10ffff) return fail('unable to unescape string');
      put(v, bytes);
      i += n;
      continue;
    }
    if (c >= '0' && c <= '3') {
      const oct = s.slice(i, i + 2);
      if (oct.length < 2 || !/^[0-7]{2}$/.test(oct)) return fail('unable to unescape octal sequence in string');
      put(parseInt(c + oct, 8), bytes);
      i += 2;
      continue;
    }
    return fail('unable to unescape string');
  }
  return out;
}

/** Tokens on demand, as the parser pulls them (a lexing error surfaces only when the parser reaches it). */
export class TokenStream {
  private readonly l: Lexer;
  private state: State = root;
  private read = 0;

  constructor(source: string) {
    this.l = new Lexer(source);
  }

  /** The next token, null after EOF; throws the lexing error (unbound) once reached. */
  next(): Token | null {
    const l = this.l;
    while (this.state !== null && l.err === null && this.read >= l.tokens.length) this.state = this.state(l);
    if (l.err !== null) throw l.err;
    return this.read < l.tokens.length ? l.tokens[this.read++] : null;
  }
}

/** All tokens of `source`, ending with EOF; throws the first lexing error (unbound). */
export function lex(source: string): Token[] {
  const stream = new TokenStream(source);
  const tokens: Token[] = [];
  for (let t = stream.next(); t !== null; t = stream.next()) tokens.push(t);
  return tokens;
}
