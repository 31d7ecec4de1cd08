/**
 * Erases Luau-style type annotations so that Lua 5.3 (Fengari) can compile Wippy sources, and turns type
 * declarations into runtime types.
 *
 * A recursive-descent parser walks the whole Lua grammar (without building a tree) so it knows
 * whether a `:` follows a local name, a parameter, a parameter list or a method receiver, and
 * whether `type` starts a declaration or is just a variable. Erased text becomes spaces and every
 * line break is kept, so Lua reports errors at the user's lines. Every erasure sits where plain
 * Lua 5.3 would be a syntax error, which is why valid Lua comes back unchanged (the same string).
 *
 * What `type X = …` (and go-lua's `interface X … end`) turns into: a local X bound to a runtime type value
 * (type-codegen.ts, src/modules/types.ts), so `X:is(v)` validates and `X(v)` validates or raises, as in Wippy.
 * A local declared before the type under the same name (a class, say) is left alone entirely. Each binding is a
 * local, so Lua's limit of 200 locals per function counts it, and a chunk with declarations gets two more.
 *
 * Narrow forms, to stay unambiguous with plain Lua: `e as T` when a name follows `as`, or a type that starts
 * with `{`, `(`, a number or `nil`/`true`/`false` and parses as one (`as {x = 1}` stays a call);
 * `e!` only when the `!` touches the expression and is not the start of a mistyped `!=`.
 * A malformed annotation that spans lines is blanked up to the offending token and an `@` is put
 * there, so Lua's error ("unexpected symbol near '@'") carries the line of the actual mistake.
 *
 * Files: lexer.ts (tokens), cursor.ts (token helpers), type-syntax.ts (type expressions), here
 * (statements and expressions, and the edits).
 */
import { Fail } from './cursor';
import { TypeParser } from './type-syntax';
import type { TypeNode } from './type-ast';
import { CHUNK_PREAMBLE, declarationCode, typeCode, type CodegenContext } from './type-codegen';

interface Edit {
  start: number;
  end: number;
  /** Replacement for the first line of the range; the rest of the range is blanked. */
  text?: string;
}

const BLOCK_END = new Set(['end', 'else', 'elseif', 'until']);
const UNARY = new Set(['not', '-', '#', '~']);
const BINARY = new Set([
  '+', '-', '*', '/', '//', '%', '^', '..', '==', '~=', '<', '<=', '>', '>=',
  'and', 'or', '&', '|', '~', '<<', '>>',
]);

/**
 * Returns `source` with Luau-style annotations blanked out, line breaks kept. Source with nothing
 * to erase is returned as is (the same string). `progress`, when given, is called every 1024 tokens: a long
 * chunk is long host work, which the caller may stop there (by throwing).
 */
export function eraseTypes(source: string, progress: (() => void) | null = null): string {
  let edits: Edit[];
  try {
    edits = new Eraser(source, progress).run();
  } catch (e) {
    // Only nesting deep enough to overflow the JS stack should get here; Lua refuses such code anyway
    // ("too many syntax levels"), so the source goes to the compiler untouched. Anything else (the runaway
    // guard stopping a huge chunk) goes on up.
    if (!(e instanceof RangeError) && !(e instanceof Fail)) throw e;
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

class Eraser extends TypeParser {
  private readonly edits: Edit[] = [];
  /** Local names visible at the current point (with their annotation, if any), innermost block last. */
  private scopes: Map<string, TypeNode | null>[] = [new Map()];
  /** Whether some declaration needs the runtime-type locals at the top of the chunk. */
  private declares = false;

  run(): Edit[] {
    const edits = this.parse();
    if (this.declares) edits.push({ start: 0, end: 0, text: CHUNK_PREAMBLE });
    return edits;
  }

  private parse(): Edit[] {
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
        this.scopes = [new Map()];
      }
    }
  }

  // ---- scopes (only to decide what `type X` binds) ---------------------------------------------

  private scoped(body: () => void): void {
    this.scopes.push(new Map());
    try {
      body();
    } finally {
      this.scopes.pop();
    }
  }

  private declare(name: string, type: TypeNode | null = null): void {
    this.scopes[this.scopes.length - 1].set(name, type);
  }

  private isLocal(name: string): boolean {
    return this.scopes.some((s) => s.has(name));
  }

  /** The annotation of the innermost visible local `name` (for `typeof(name)`). */
  private annotationOf(name: string): TypeNode | undefined {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const s = this.scopes[i];
      if (s.has(name)) return s.get(name) ?? undefined;
    }
    return undefined;
  }

  private codegen(): CodegenContext {
    const text = (start: number, end: number): string => {
      const inside = this.edits
        .filter((e) => e.start >= start && e.end <= end)
        .map((e) => ({ ...e, start: e.start - start, end: e.end - start }));
      return applyEdits(this.src.slice(start, end), inside);
    };
    return { text, params: new Set(), lookup: (name) => this.annotationOf(name) };
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
    if (this.startsInterface()) {
      this.interfaceDeclaration();
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
      names.forEach(([n, t]) => this.declare(n, t));
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
    names.forEach(([n, t]) => this.declare(n, t));
  }

  /** A name being declared, with an optional `: Type` (locals, `for` variables, parameters). */
  private boundName(): [string, TypeNode | null] {
    const n = this.name();
    let type: TypeNode | null = null;
    if (this.is(':')) this.erase(() => (this.next(), (type = this.type())));
    return [n, type];
  }

  /** go-lua's `interface Name [: Base, …] function m(params): R … end`: `interface` then a name. */
  private startsInterface(): boolean {
    return this.isName('interface') && this.peek(1).kind === 'name';
  }

  private interfaceDeclaration(): void {
    let name = '';
    let code = '';
    this.erase(
      () => {
        this.next(); // `interface`
        name = this.name();
        const bases: string[] = [];
        if (this.accept(':')) {
          do bases.push(this.name());
          while (this.accept(','));
        }
        const methods: string[] = [];
        while (this.accept('function')) {
          methods.push(this.name());
          this.expect('(');
          if (!this.is(')')) {
            do this.boundName();
            while (this.accept(','));
          }
          this.expect(')');
          if (this.accept(':')) this.returnTypes();
        }
        this.expect('end');
        const ctx = this.codegen();
        const record = typeCode({ k: 'record', fields: methods.map((m) => ({ name: m, type: { k: 'function' }, optional: false })) }, ctx);
        const parts = [record, ...bases.map((b) => typeCode({ k: 'name', name: b }, ctx))];
        code = parts.length === 1 ? parts[0] : `__wt.inter(${parts.join(', ')})`;
      },
      () => this.bind(name, () => declarationCode(name, [], { k: 'any' }, this.codegen()).replace('__wt.any', code)),
    );
  }

  /** The binding of a declared type, unless a local of that name is visible (it is what the type describes). */
  private bind(name: string, code: () => string): string | undefined {
    if (this.isLocal(name)) return undefined;
    this.declares = true;
    const text = code();
    this.declare(name);
    return text;
  }

  /** `: T`, `: T, U`, `: ()`, `: (T, U)` after a parameter list (after the colon). */
  private returnTypes(): void {
    this.type(true);
    while (this.accept(',')) this.type(true);
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
    let params: string[] = [];
    let type: TypeNode = { k: 'any' };
    this.erase(
      () => {
        if (this.isName('export')) this.next();
        this.next(); // `type`
        name = this.name();
        if (this.is('<')) params = this.genericParams();
        this.expect('=');
        type = this.type();
      },
      () => this.bind(name, () => declarationCode(name, params, type, this.codegen())),
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
          const [n, t] = this.boundName();
          this.declare(n, t);
        } while (this.accept(','));
      }
      this.expect(')');
      if (this.is(':')) this.erase(() => (this.next(), this.returnTypes()));
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
      } else if (this.isName('as') && this.castTypeMayFollow()) {
        // `as {…}` or `as (…)`: a cast only if a type parses there (`x as {k = 1}` is plain Lua).
        const saved = { p: this.p, lastEnd: this.lastEnd, edits: this.edits.length };
        try {
          this.erase(() => (this.next(), this.type()));
        } catch (e) {
          if (!(e instanceof Fail)) throw e;
          this.p = saved.p;
          this.lastEnd = saved.lastEnd;
          this.edits.length = saved.edits;
          return;
        }
      } else return;
    }
  }

  private castTypeMayFollow(): boolean {
    const n = this.peek(1);
    if (n.kind === 'number') return true;
    if (n.kind === 'keyword') return n.value === 'nil' || n.value === 'true' || n.value === 'false';
    return Eraser.isSym(n, '{') || Eraser.isSym(n, '(');
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
