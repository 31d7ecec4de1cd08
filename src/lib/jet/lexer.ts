/** Jet's lexer (CloudyKit/jet v6 lex.go): text, actions between delimiters, comments, whitespace trimming. */

export const enum T {
  Error,
  Bool,
  Char,
  CharConstant,
  Complex,
  EOF,
  Field,
  Identifier,
  LeftDelim,
  LeftParen,
  Number,
  Pipe,
  RawString,
  RightDelim,
  RightParen,
  Space,
  String,
  Text,
  Assign,
  Equals,
  NotEquals,
  Great,
  GreatEquals,
  Less,
  LessEquals,
  Comma,
  Semicolon,
  Add,
  Minus,
  Mul,
  Div,
  Mod,
  Colon,
  Ternary,
  LeftBrackets,
  RightBrackets,
  Underscore,
  Keyword,
  Extends,
  Import,
  Include,
  Block,
  End,
  Yield,
  Content,
  If,
  Else,
  Range,
  Try,
  Catch,
  Return,
  And,
  Or,
  Not,
  Nil,
  Msg,
  Trans,
}

export interface Item {
  readonly typ: T;
  /** Offset in the input (UTF-16 units). */
  readonly pos: number;
  readonly val: string;
}

const KEYWORDS: Record<string, T> = {
  extends: T.Extends,
  import: T.Import,
  include: T.Include,
  block: T.Block,
  end: T.End,
  yield: T.Yield,
  content: T.Content,
  if: T.If,
  else: T.Else,
  range: T.Range,
  try: T.Try,
  catch: T.Catch,
  return: T.Return,
  and: T.And,
  or: T.Or,
  not: T.Not,
  nil: T.Nil,
  msg: T.Msg,
  trans: T.Trans,
};

export interface Delimiters {
  readonly left: string;
  readonly right: string;
  readonly commentLeft: string;
  readonly commentRight: string;
}

export const DEFAULT_DELIMITERS: Delimiters = Object.freeze({ left: '{{', right: '}}', commentLeft: '{*', commentRight: '*}' });

const LEFT_TRIM = '- ';
const RIGHT_TRIM = ' -';

const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const LETTER_OR_DIGIT = /^[\p{L}\p{Nd}_]$/u;
const isAlphaNumeric = (c: string): boolean => c !== '' && (c === '_' || LETTER_OR_DIGIT.test(c));
const EOF = '';

/** Go's %#U of a rune: `U+0041 'A'`. */
function runeName(c: string): string {
  const cp = c.codePointAt(0) ?? 0;
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')} '${c}'`;
}

type State = ((l: Lexer) => State) | null;

export class Lexer {
  pos = 0;
  start = 0;
  width = 0;
  /** Position of the item the parser took last (for line numbers). */
  lastPos = 0;
  parenDepth = 0;
  lastType: T = T.EOF;
  private readonly items: Item[] = [];
  private read = 0;
  private state: State = lexText;
  readonly trimRightDelim: string;

  constructor(
    readonly input: string,
    readonly delims: Delimiters,
  ) {
    this.trimRightDelim = RIGHT_TRIM + delims.right;
  }

  /** The next item, as the parser asks for it. */
  nextItem(): Item {
    while (this.read >= this.items.length && this.state !== null) this.state = this.state(this);
    const item = this.read < this.items.length ? this.items[this.read++] : { typ: T.EOF, pos: this.input.length, val: '' };
    this.lastPos = item.pos;
    return item;
  }

  private lineAt = 0;
  private lines = 1;

  /** The line of the last item taken (1-based). */
  lineNumber(): number {
    if (this.lastPos < this.lineAt) {
      this.lineAt = 0;
      this.lines = 1;
    }
    for (let i = this.input.indexOf('\n', this.lineAt); i >= 0 && i < this.lastPos; i = this.input.indexOf('\n', i + 1)) this.lines++;
    this.lineAt = this.lastPos;
    return this.lines;
  }

  next(): string {
    if (this.pos >= this.input.length) {
      this.width = 0;
      return EOF;
    }
    const cp = this.input.codePointAt(this.pos) as number;
    const c = String.fromCodePoint(cp);
    this.width = c.length;
    this.pos += this.width;
    return c;
  }

  peek(): string {
    const c = this.next();
    this.backup();
    return c;
  }

  backup(): void {
    this.pos -= this.width;
  }

  emit(typ: T): void {
    this.lastType = typ;
    this.items.push({ typ, pos: this.start, val: this.input.slice(this.start, this.pos) });
    this.start = this.pos;
  }

  ignore(): void {
    this.start = this.pos;
  }

  accept(valid: string): boolean {
    const c = this.next();
    if (c !== EOF && valid.includes(c)) return true;
    this.backup();
    return false;
  }

  acceptRun(valid: string): void {
    for (let c = this.next(); c !== EOF && valid.includes(c); c = this.next());
    this.backup();
  }

  errorf(message: string): State {
    this.items.push({ typ: T.Error, pos: this.start, val: message });
    return null;
  }

  atRightDelim(): boolean {
    return this.input.startsWith(this.trimRightDelim, this.pos) || this.input.startsWith(this.delims.right, this.pos);
  }

  atTerminator(): boolean {
    const r = this.peek();
    if (r === EOF || isSpace(r)) return true;
    if ('.,|:)=(;?[]+-/%*&!<>'.includes(r)) return true;
    return r === String.fromCodePoint(this.delims.right.codePointAt(0) ?? 0);
  }

  scanNumber(): boolean {
    this.accept('+-');
    let digits = '0123456789';
    if (this.accept('0') && this.accept('xX')) digits = '0123456789abcdefABCDEF';
    this.acceptRun(digits);
    if (this.accept('.')) this.acceptRun(digits);
    if (this.accept('eE')) {
      this.accept('+-');
      this.acceptRun('0123456789');
    }
    this.accept('i');
    if (isAlphaNumeric(this.peek())) {
      this.next();
      return false;
    }
    return true;
  }
}

function rightTrimLength(s: string): number {
  let n = 0;
  while (n < s.length && isSpace(s[s.length - 1 - n])) n++;
  return n;
}

function leftTrimLength(s: string, from: number): number {
  let n = 0;
  while (from + n < s.length && isSpace(s[from + n])) n++;
  return n;
}

function lexText(l: Lexer): State {
  const { left, commentLeft } = l.delims;
  for (;;) {
    let i = l.input.indexOf(left[0], l.pos);
    const ic = l.input.indexOf(commentLeft[0], l.pos);
    if (ic > -1 && ic < i) i = ic; // as Jet: a comment is only seen when a delimiter's first character follows it
    if (i === -1) {
      l.pos = l.input.length;
      break;
    }
    l.pos = i;
    if (l.input.startsWith(left, l.pos)) {
      let trim = 0;
      if (l.input.startsWith(LEFT_TRIM, l.pos + left.length)) trim = rightTrimLength(l.input.slice(l.start, l.pos));
      l.pos -= trim;
      if (l.pos > l.start) l.emit(T.Text);
      l.pos += trim;
      l.ignore();
      return lexLeftDelim;
    }
    if (l.input.startsWith(commentLeft, l.pos)) {
      if (l.pos > l.start) l.emit(T.Text);
      return lexComment;
    }
    if (l.next() === EOF) break;
  }
  if (l.pos > l.start) l.emit(T.Text);
  l.emit(T.EOF);
  return null;
}

function lexLeftDelim(l: Lexer): State {
  l.pos += l.delims.left.length;
  l.emit(T.LeftDelim);
  if (l.input.startsWith(LEFT_TRIM, l.pos)) {
    l.pos += LEFT_TRIM.length;
    l.ignore();
  }
  l.parenDepth = 0;
  return lexInsideAction;
}

function lexComment(l: Lexer): State {
  l.pos += l.delims.commentLeft.length;
  const i = l.input.indexOf(l.delims.commentRight, l.pos);
  if (i < 0) return l.errorf('unclosed comment');
  l.pos = i + l.delims.commentRight.length;
  l.ignore();
  return lexText;
}

function lexRightDelim(l: Lexer): State {
  const trim = l.input.startsWith(RIGHT_TRIM, l.pos);
  if (trim) {
    l.pos += RIGHT_TRIM.length;
    l.ignore();
  }
  l.pos += l.delims.right.length;
  l.emit(T.RightDelim);
  if (trim) {
    l.pos += leftTrimLength(l.input, l.pos);
    l.ignore();
  }
  return lexText;
}

const NOT_AFTER_SIGN = new Set([T.Add, T.Minus, T.Number, T.Identifier, T.String, T.RawString, T.CharConstant, T.Bool, T.Field, T.Char, T.Trans]);

function lexInsideAction(l: Lexer): State {
  if (l.atRightDelim()) {
    if (l.parenDepth === 0) return lexRightDelim;
    return l.errorf('unclosed left parenthesis');
  }
  const r = l.next();
  switch (r) {
    case EOF:
      return l.errorf('unclosed action');
    case ',':
      l.emit(T.Comma);
      break;
    case ';':
      l.emit(T.Semicolon);
      break;
    case '*':
      l.emit(T.Mul);
      break;
    case '/':
      l.emit(T.Div);
      break;
    case '%':
      l.emit(T.Mod);
      break;
    case '-':
    case '+': {
      const p = l.peek();
      if (p >= '0' && p <= '9' && p.length === 1 && !NOT_AFTER_SIGN.has(l.lastType)) {
        l.backup();
        return lexNumber;
      }
      l.emit(r === '-' ? T.Minus : T.Add);
      break;
    }
    case '?':
      l.emit(T.Ternary);
      break;
    case '&':
      if (l.next() === '&') l.emit(T.And);
      else l.backup();
      break;
    case '<':
      if (l.next() === '=') l.emit(T.LessEquals);
      else {
        l.backup();
        l.emit(T.Less);
      }
      break;
    case '>':
      if (l.next() === '=') l.emit(T.GreatEquals);
      else {
        l.backup();
        l.emit(T.Great);
      }
      break;
    case '!':
      if (l.next() === '=') l.emit(T.NotEquals);
      else {
        l.backup();
        l.emit(T.Not);
      }
      break;
    case '=':
      if (l.next() === '=') l.emit(T.Equals);
      else {
        l.backup();
        l.emit(T.Assign);
      }
      break;
    case ':':
      if (l.next() === '=') l.emit(T.Assign);
      else {
        l.backup();
        l.emit(T.Colon);
      }
      break;
    case '|':
      if (l.next() === '|') l.emit(T.Or);
      else {
        l.backup();
        l.emit(T.Pipe);
      }
      break;
    case '"':
      return lexQuote;
    case '`':
      return lexRawQuote;
    case "'":
      return lexChar;
    case '[':
      l.emit(T.LeftBrackets);
      break;
    case ']':
      l.emit(T.RightBrackets);
      break;
    case '(':
      l.emit(T.LeftParen);
      l.parenDepth++;
      break;
    case ')':
      l.emit(T.RightParen);
      l.parenDepth--;
      if (l.parenDepth < 0) return l.errorf(`unexpected right paren ${runeName(r)}`);
      break;
    default:
      if (isSpace(r)) return lexSpace;
      if (r === '.') {
        const c = l.input[l.pos];
        if (l.pos < l.input.length && !(c >= '0' && c <= '9')) return lexField;
        l.backup();
        return lexNumber;
      }
      if (r >= '0' && r <= '9') {
        l.backup();
        return lexNumber;
      }
      if (r === '_' && !isAlphaNumeric(l.peek())) {
        l.emit(T.Underscore);
        return lexInsideAction;
      }
      if (isAlphaNumeric(r)) {
        l.backup();
        return lexIdentifier;
      }
      if ((r.codePointAt(0) ?? 0) <= 0x7e && (r.codePointAt(0) ?? 0) >= 0x20) {
        l.emit(T.Char);
        break;
      }
      return l.errorf(`unrecognized character in action: ${runeName(r)}`);
  }
  return lexInsideAction;
}

function lexSpace(l: Lexer): State {
  let spaces = 0;
  while (isSpace(l.peek())) {
    spaces++;
    l.next();
  }
  if (l.input.startsWith(l.trimRightDelim, l.pos - 1)) {
    l.backup();
    if (spaces === 1) return lexRightDelim;
  }
  l.emit(T.Space);
  return lexInsideAction;
}

function lexIdentifier(l: Lexer): State {
  for (;;) {
    const r = l.next();
    if (isAlphaNumeric(r)) continue;
    l.backup();
    const word = l.input.slice(l.start, l.pos);
    if (!l.atTerminator()) return l.errorf(`bad character ${runeName(r)}`);
    const key = KEYWORDS[word];
    if (key !== undefined) l.emit(key);
    else if (word === 'true' || word === 'false') l.emit(T.Bool);
    else l.emit(T.Identifier);
    return lexInsideAction;
  }
}

function lexField(l: Lexer): State {
  if (l.atTerminator()) {
    l.emit(T.Identifier);
    return lexInsideAction;
  }
  let r: string;
  for (;;) {
    r = l.next();
    if (!isAlphaNumeric(r)) {
      l.backup();
      break;
    }
  }
  if (!l.atTerminator()) return l.errorf(`bad character ${runeName(r)}`);
  l.emit(T.Field);
  return lexInsideAction;
}

function lexChar(l: Lexer): State {
  for (;;) {
    const c = l.next();
    if (c === '\\') {
      const e = l.next();
      if (e !== EOF && e !== '\n') continue;
      return l.errorf('unterminated character constant');
    }
    if (c === EOF || c === '\n') return l.errorf('unterminated character constant');
    if (c === "'") break;
  }
  l.emit(T.CharConstant);
  return lexInsideAction;
}

function lexNumber(l: Lexer): State {
  if (!l.scanNumber()) return l.errorf(`bad number syntax: ${JSON.stringify(l.input.slice(l.start, l.pos))}`);
  l.emit(T.Number);
  return lexInsideAction;
}

function lexQuote(l: Lexer): State {
  for (;;) {
    const c = l.next();
    if (c === '\\') {
      const e = l.next();
      if (e !== EOF && e !== '\n') continue;
      return l.errorf('unterminated quoted string');
    }
    if (c === EOF || c === '\n') return l.errorf('unterminated quoted string');
    if (c === '"') break;
  }
  l.emit(T.String);
  return lexInsideAction;
}

function lexRawQuote(l: Lexer): State {
  for (;;) {
    const c = l.next();
    if (c === EOF) return l.errorf('unterminated raw quoted string');
    if (c === '`') break;
  }
  l.emit(T.RawString);
  return lexInsideAction;
}
