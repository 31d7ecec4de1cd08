/**
 * Erases Luau-style type annotations so that Lua 5.3 (Fengari) can compile Wippy sources.
 *
 * A recursive-descent parser walks the whole Lua grammar (without building a tree) so it knows
 * whether a `:` follows a local name, a parameter, a parameter list or a method receiver, and
 * whether `type` starts a declaration or is just a variable. Erased text becomes spaces and every
 * line break is kept, so Lua reports errors at the user's lines. Every erasure sits where plain
 * Lua 5.3 would be a syntax error, which is why valid Lua comes back unchanged (the same string).
 *
 * What `type X = …` turns into: `local X=X or setmetatable({},{__call=function(_,v)return v end});`
 * Wippy makes types runtime values, so code may mention `X`. The binding keeps any value `X` already
 * has (a global, or a local class declared before the type, which is left alone entirely) and
 * otherwise is a table whose call returns its argument, so `X(data)` passes data through unchecked.
 * There is no `X:is(v)`. Each binding is a local, so Lua's limit of 200 locals per function counts it.
 *
 * Narrow forms, to stay unambiguous with plain Lua: `e as T` only when a name follows `as`;
 * `e!` only when the `!` touches the expression and is not the start of a mistyped `!=`.
 * A malformed annotation that spans lines is blanked up to the offending token and an `@` is put
 * there, so Lua's error ("unexpected symbol near '@'") carries the line of the actual mistake.
 *
 * Files: lexer.ts (tokens), cursor.ts (token helpers), type-syntax.ts (type expressions), here
 * (statements and expressions, and the edits).
 */
import { Fail } from './cursor';
import { TypeSkipper } from './type-syntax';

interface Edit {
  start: number;
  end: number;
  /** Replacement for the first line of the range; the rest of the range is blanked. */
  text?: string;
}

/** Type name bound by the replacement of `type X = …` (see the file comment). */
function typeBinding(name: string): string {
  return `local ${name}=${name} or setmetatable({},{__call=function(_,v)return v end});`;
}

const BLOCK_END = new Set(['end', 'else', 'elseif', 'until']);
const UNARY = new Set(['not', '-', '#', '~']);
const BINARY = new Set([
  '+', '-', '*', '/', '//', '%', '^', '..', '==', '~=', '<', '<=', '>', '>=',
  'and', 'or', '&', '|', '~', '<<', '>>',
]);

/**
 * Returns `source` with Luau-style annotations blanked out, line breaks kept. Source with nothing
 * to erase is returned as is (the same string).
 */
export function eraseTypes(source: string): string {
  let edits: Edit[];
  try {
    edits = new Eraser(source).run();
  } catch {
    // Only nesting deep enough to overflow the JS stack gets here; Lua refuses such code anyway
    // ("too many syntax levels"), so the source goes to the compiler untouched.
    return source;
  }
  return edits.length === 0 ? source : applyEdits(source, edits);
}

/** Every character except line breaks becomes a space. */
function blank(text: string): string {
  return text.replace(/[^\r\n]/g, ' ');
}

function applyEdits(source: string, edits: Edit[]): string {
  // At one offset an insertion (the `@` of a malformed annotation) goes first, then the longest.
  const rank = (e: Edit): number => (e.end === e.start ? Number.MAX_SAFE_INTEGER : e.end - e.start);
  edits.sort((a, b) => a.start - b.start || rank(b) - rank(a));
  let out = '';
  let cursor = 0;
  for (const e of edits) {
    if (e.start < cursor) continue; // nested inside an edit already applied (a cast inside typeof)
    out += source.slice(cursor, e.start);
    const blanked = blank(source.slice(e.start, e.end));
    if (e.text === undefined) out += blanked;
    else {
      // Overwrite the first line; if the replacement is longer it just makes that line longer.
      const firstBreak = blanked.search(/[\r\n]/);
      const firstLen = firstBreak < 0 ? blanked.length : firstBreak;
      out += e.text + blanked.slice(Math.min(e.text.length, firstLen));
    }
    cursor = e.end;
  }
  return out + source.slice(cursor);
}

class Eraser extends TypeSkipper {
  private readonly edits: Edit[] = [];
  /** Local names visible at the current point, innermost block last. */
  private scopes: Set<string>[] = [new Set()];

  run(): Edit[] {
    // A syntax error unwinds here; parsing resumes at the offending token so that annotations
    // further down are still erased and Lua reports the user's first error, not ours.
    for (;;) {
      const attempt = this.p;
      try {
        this.block();
        if (this.t.kind === 'eof') return this.edits;
        throw new Fail(this.p); // a stray `end`, `until`, ...
      } catch (e) {
        if (!(e instanceof Fail)) throw e;
        this.p = e.at > attempt ? e.at : e.at + 1;
        if (this.p >= this.toks.length) return this.edits;
        this.lastEnd = this.p > 0 ? this.toks[this.p - 1].end : 0;
        this.scopes = [new Set()];
      }
    }
  }

  // ---- scopes (only to decide what `type X` binds) ---------------------------------------------

  private scoped(body: () => void): void {
    this.scopes.push(new Set());
    try {
      body();
    } finally {
      this.scopes.pop();
    }
  }

  private declare(name: string): void {
    this.scopes[this.scopes.length - 1].add(name);
  }

  private isLocal(name: string): boolean {
    return this.scopes.some((s) => s.has(name));
  }

  // ---- erasing ---------------------------------------------------------------------------------

  /**
   * Parses an annotation starting at the current token with `body` and records its erasure.
   * If it is malformed, nothing is erased when the error is on the annotation's first line (Lua
   * then fails right there); otherwise the annotation is blanked up to the offending token and an
   * `@` is put before that token, so the compile error names the line the user got wrong.
   */
  private erase(body: () => void, text?: () => string | undefined): void {
    const first = this.t;
    const mark = this.edits.length;
    try {
      body();
    } catch (e) {
      if (!(e instanceof Fail)) throw e;
      this.edits.length = mark;
      const bad = this.toks[e.at];
      if (bad.line > first.line) {
        this.edits.push({ start: first.start, end: bad.start });
        this.edits.push({ start: bad.start, end: bad.start, text: '@' });
      }
      throw e;
    }
    this.edits.push({ start: first.start, end: this.lastEnd, text: text?.() });
  }

  // ---- statements ------------------------------------------------------------------------------

  private block(): void {
    for (;;) {
      const t = this.t;
      if (t.kind === 'eof' || (t.kind === 'keyword' && BLOCK_END.has(t.value))) return;
      if (this.accept('return')) {
        if (!this.blockEnds() && !this.is(';')) this.exprList();
        this.accept(';');
        return;
      }
      this.statement();
    }
  }

  private blockEnds(): boolean {
    const t = this.t;
    return t.kind === 'eof' || (t.kind === 'keyword' && BLOCK_END.has(t.value));
  }

  private scopedBlock(): void {
    this.scoped(() => this.block());
  }

  private statement(): void {
    const t = this.t;
    if (t.kind === 'keyword') {
      switch (t.value) {
        case 'break':
          this.next();
          return;
        case 'goto':
          this.next();
          this.name();
          return;
        case 'do':
          this.next();
          this.scopedBlock();
          this.expect('end');
          return;
        case 'while':
          this.next();
          this.expr();
          this.expect('do');
          this.scopedBlock();
          this.expect('end');
          return;
        case 'repeat':
          this.next();
          this.scoped(() => {
            this.block();
            this.expect('until');
            this.expr(); // `until` sees the loop body's locals
          });
          return;
        case 'if':
          this.ifStatement();
          return;
        case 'for':
          this.forStatement();
          return;
        case 'function': {
          this.next();
          this.name();
          while (this.accept('.')) this.name();
          const isMethod = this.accept(':');
          if (isMethod) this.name();
          this.funcBody(isMethod);
          return;
        }
        case 'local':
          this.localStatement();
          return;
      }
    }
    if (this.accept(';')) return;
    if (this.is('::')) {
      this.next();
      this.name();
      this.expect('::');
      return;
    }
    if (this.startsTypeDeclaration()) {
      this.typeDeclaration();
      return;
    }
    this.exprStatement();
  }

  private ifStatement(): void {
    this.next();
    this.expr();
    this.expect('then');
    this.scopedBlock();
    while (this.accept('elseif')) {
      this.expr();
      this.expect('then');
      this.scopedBlock();
    }
    if (this.accept('else')) this.scopedBlock();
    this.expect('end');
  }

  private forStatement(): void {
    this.next();
    const names = [this.boundName()];
    if (this.accept('=')) {
      this.expr();
      this.expect(',');
      this.expr();
      if (this.accept(',')) this.expr();
    } else {
      while (this.accept(',')) names.push(this.boundName());
      this.expect('in');
      this.exprList();
    }
    this.expect('do');
    this.scoped(() => {
      names.forEach((n) => this.declare(n));
      this.block();
    });
    this.expect('end');
  }

  private localStatement(): void {
    this.next();
    if (this.accept('function')) {
      this.declare(this.name()); // visible inside its own body, for recursion
      this.funcBody(false);
      return;
    }
    const names = [this.boundName()];
    while (this.accept(',')) names.push(this.boundName());
    if (this.accept('=')) this.exprList();
    names.forEach((n) => this.declare(n));
  }

  /** A name being declared, with an optional `: Type` (locals, `for` variables, parameters). */
  private boundName(): string {
    const n = this.name();
    if (this.is(':')) this.erase(() => (this.next(), this.type()));
    return n;
  }

  /** `type Name =` / `type Name<`, or the same after `export`; anything else is ordinary code. */
  private startsTypeDeclaration(): boolean {
    const at = this.isName('export') && this.peek(1).kind === 'name' && this.peek(1).value === 'type' ? 1 : 0;
    if (!(this.peek(at).kind === 'name' && this.peek(at).value === 'type')) return false;
    const after = this.peek(at + 2);
    return this.peek(at + 1).kind === 'name' && (Eraser.isSym(after, '=') || Eraser.isSym(after, '<'));
  }

  private typeDeclaration(): void {
    let name = '';
    this.erase(
      () => {
        if (this.isName('export')) this.next();
        this.next(); // `type`
        name = this.name();
        if (this.is('<')) this.genericParams();
        this.expect('=');
        this.type();
      },
      () => {
        // A local declared before the type is the value it describes: leave it alone.
        if (this.isLocal(name)) return undefined;
        this.declare(name);
        return typeBinding(name);
      },
    );
  }

  private exprStatement(): void {
    this.suffixedExpr();
    if (!this.is('=') && !this.is(',')) return; // a call; Lua itself rejects anything else
    while (this.accept(',')) this.suffixedExpr();
    this.expect('=');
    this.exprList();
  }

  // ---- functions -------------------------------------------------------------------------------

  /** From an optional `<T>` through `end`. */
  private funcBody(isMethod: boolean): void {
    if (this.is('<')) this.erase(() => this.genericParams());
    this.expect('(');
    this.scoped(() => {
      if (isMethod) this.declare('self');
      if (!this.is(')')) {
        do {
          if (this.is('...')) {
            this.next();
            if (this.is(':')) this.erase(() => (this.next(), this.type(true)));
            break;
          }
          this.declare(this.boundName());
        } while (this.accept(','));
      }
      this.expect(')');
      if (this.is(':')) this.erase(() => (this.next(), this.type(true)));
      this.block();
    });
    this.expect('end');
  }

  // ---- expressions -----------------------------------------------------------------------------

  private exprList(): void {
    do this.expr();
    while (this.accept(','));
  }

  /** Precedence does not matter for erasing, so operators are just consumed in sequence. */
  protected expr(): void {
    for (;;) {
      while ((this.t.kind === 'op' || this.t.kind === 'keyword') && UNARY.has(this.t.value)) this.next();
      this.simpleExpr();
      this.casts();
      const t = this.t;
      if ((t.kind === 'op' || t.kind === 'keyword') && BINARY.has(t.value)) this.next();
      else return;
    }
  }

  private simpleExpr(): void {
    const t = this.t;
    switch (t.kind) {
      case 'number':
      case 'string':
      case 'longstring':
        this.next();
        return;
      case 'keyword':
        if (t.value === 'nil' || t.value === 'true' || t.value === 'false') {
          this.next();
          return;
        }
        if (t.value === 'function') {
          this.next();
          this.funcBody(false);
          return;
        }
        break;
      case 'op':
        if (t.value === '...') {
          this.next();
          return;
        }
        if (t.value === '{') {
          this.table();
          return;
        }
        break;
    }
    this.suffixedExpr();
  }

  /**
   * `e :: T`, and `e as T` when a name follows `as` (`as(x)`, `as{}` and `as"s"` are calls in
   * plain Lua, so those are left alone).
   */
  private casts(): void {
    for (;;) {
      if (this.is('::') && !this.isLabelAhead()) {
        this.erase(() => (this.next(), this.type()));
      } else if (this.isName('as') && this.peek(1).kind === 'name') {
        this.erase(() => (this.next(), this.type()));
      } else return;
    }
  }

  /**
   * After an expression, `::name::` is a label statement (plain Lua). But `:: T :: L ::` is a cast
   * followed by a label: in plain Lua a label is never followed by `name ::`.
   */
  private isLabelAhead(): boolean {
    const [a, b, c, d, e] = [0, 1, 2, 3, 4].map((k) => this.peek(k));
    const label = Eraser.isSym(a, '::') && b.kind === 'name' && Eraser.isSym(c, '::');
    return label && !(d.kind === 'name' && Eraser.isSym(e, '::'));
  }

  private suffixedExpr(): void {
    if (this.accept('(')) {
      this.expr();
      this.expect(')');
    } else this.name();
    for (;;) {
      const t = this.t;
      if (this.accept('.')) this.name();
      else if (this.accept('[')) {
        this.expr();
        this.expect(']');
      } else if (this.accept(':')) {
        this.name();
        this.callArgs();
      } else if (this.is('(') || this.is('{') || t.kind === 'string' || t.kind === 'longstring') {
        this.callArgs();
      } else if (this.isNonNilAssertion()) {
        this.erase(() => this.next());
      } else return;
    }
  }

  /** Postfix `x!`: glued to the expression and not the start of a mistyped `!=`. */
  private isNonNilAssertion(): boolean {
    const t = this.t;
    return t.kind === 'error' && t.value === '!' && t.start === this.lastEnd && this.src[t.end] !== '=';
  }

  private callArgs(): void {
    const t = this.t;
    if (t.kind === 'string' || t.kind === 'longstring') this.next();
    else if (this.is('{')) this.table();
    else {
      this.expect('(');
      if (!this.is(')')) this.exprList();
      this.expect(')');
    }
  }

  private table(): void {
    this.expect('{');
    while (!this.is('}')) {
      if (this.accept('[')) {
        this.expr();
        this.expect(']');
        this.expect('=');
        this.expr();
      } else if (this.t.kind === 'name' && Eraser.isSym(this.peek(1), '=')) {
        this.next();
        this.next();
        this.expr();
      } else this.expr();
      if (!this.accept(',') && !this.accept(';')) break;
    }
    this.expect('}');
  }
}
