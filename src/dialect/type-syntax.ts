/**
 * Type expressions: parsed into a small tree (type-ast.ts) that `type X = …` declarations turn into runtime
 * types; for every other annotation the tree is dropped and the text erased.
 *
 * The grammar is go-lua's (Wippy's VM, `compiler/parse/parser.go.y`) plus the Luau forms the eraser already
 * took: unions and intersections (a leading `|`/`&` too), `T?`, validators (`number @min(0)`), singletons
 * (strings, numbers, `true`, `false`, `nil`), `{T}`, `{[K]: V}`, records (`name?: T`, keyword field names,
 * Luau's `read`/`write`), `readonly {…}`, `interface {…}`, `T[]`, `T[K]`, `module.Type`, generics `Box<T>`,
 * function types `(a: A, ...B) -> R` / `<T>(T) -> T` / `fun(A): R`, packs in return position (`()`,
 * `(A, B)`, `...T`, `T...`), `typeof(expr)`, `keyof(T)`, `asserts x is T` and `A extends B ? X : Y`.
 */
import { Cursor, Fail } from './cursor';
import { Token } from './lexer';
import { ANY, type Annotation, type RecordField, type Span, type TypeNode } from './type-ast';

export abstract class TypeParser extends Cursor {
  /** A Lua expression, for `typeof(expr)` and validator arguments. */
  protected abstract expr(): void;

  /**
   * A type: `A | B & C?`, with an optional leading `|`/`&`. With `pack`, also a type pack as return types have
   * them: `()`, `(A, B)`, `...T`, `T...` (a pack gives ANY).
   */
  protected type(pack = false): TypeNode {
    if (pack && this.accept('...')) {
      this.type();
      return ANY;
    }
    if (this.is('|') || this.is('&')) this.next();
    const first = this.typeUnit(pack);
    if (first === null) return ANY; // a pack
    if (this.isName('extends')) return this.conditional();
    const unions: TypeNode[][] = [[first]];
    while (this.is('|') || this.is('&')) {
      const union = this.is('|');
      this.next();
      const unit = this.typeUnit(false) ?? ANY;
      if (union) unions.push([unit]);
      else unions[unions.length - 1].push(unit);
    }
    if (pack) this.accept('...');
    const parts = unions.map((xs) => (xs.length === 1 ? xs[0] : { k: 'intersection' as const, types: xs }));
    return parts.length === 1 ? parts[0] : { k: 'union', types: parts };
  }

  /** `Check extends Ext ? Then : Else` (after the check type): no runtime check. */
  private conditional(): TypeNode {
    this.next();
    this.simpleType(false);
    this.expect('?');
    this.type();
    this.expect(':');
    this.type();
    return ANY;
  }

  /** A simple type followed by any `?`, `[]`, `[K]` and validators such as `@min(0)`; null for a pack. */
  protected typeUnit(pack: boolean): TypeNode | null {
    let t = this.simpleType(pack);
    if (t === null) return null;
    let annotations: Annotation[] = [];
    const flush = (): void => {
      if (annotations.length > 0) t = { k: 'annotated', inner: t as TypeNode, annotations };
      annotations = [];
    };
    for (;;) {
      if (this.is('?')) {
        this.next();
        flush();
        t = { k: 'optional', inner: t };
      } else if (this.is('@')) {
        annotations.push(this.validator());
      } else if (this.is('[') && annotations.length === 0) {
        this.next();
        if (this.accept(']')) t = { k: 'array', elem: t };
        else {
          this.type(); // indexed access `T[K]`
          this.expect(']');
          t = ANY;
        }
      } else {
        flush();
        return t;
      }
    }
  }

  /** `@name` or `@name(args)`, the arguments being Lua expressions. */
  protected validator(): Annotation {
    this.next();
    if (this.t.kind !== 'name' && this.t.kind !== 'keyword') throw new Fail(this.p);
    const name = this.next().value;
    const args: Span[] = [];
    if (!this.is('(') || this.t.start !== this.lastEnd) return { name, args };
    this.next();
    if (!this.is(')')) {
      do {
        const start = this.t.start;
        this.expr();
        args.push({ start, end: this.lastEnd });
      } while (this.accept(','));
    }
    this.expect(')');
    return { name, args };
  }

  /** One type without suffixes; null for a pack (only where `pack`). */
  protected simpleType(pack: boolean): TypeNode | null {
    const t = this.t;
    if (t.kind === 'keyword' && t.value === 'nil') {
      this.next();
      return { k: 'nil' };
    }
    if (t.kind === 'keyword' && (t.value === 'true' || t.value === 'false')) {
      this.next();
      return { k: 'literal', source: t.value };
    }
    if (t.kind === 'string' || t.kind === 'number') {
      this.next(); // singleton type "a", 3
      return { k: 'literal', source: t.value };
    }
    if (t.kind === 'name') return this.namedType();
    if (this.is('{')) return this.tableType();
    if (this.is('(') || this.is('<')) return this.parenOrFunctionType(pack);
    throw new Fail(this.p);
  }

  private namedType(): TypeNode {
    const t = this.next();
    const name = t.value;
    const glued = this.t.start === t.end;
    if (name === 'typeof' && this.is('(')) {
      this.next();
      const start = this.t.start;
      const single = this.t.kind === 'name' && Cursor.isSym(this.peek(1), ')') ? this.t.value : undefined;
      this.expr();
      const end = this.lastEnd;
      this.expect(')');
      return { k: 'typeof', expr: { start, end }, name: single };
    }
    if (name === 'keyof' && this.is('(')) {
      this.next();
      this.type();
      this.expect(')');
      return ANY;
    }
    if (name === 'fun' && this.is('(') && glued) return this.funType();
    if ((name === 'readonly' || name === 'interface') && this.is('{')) return this.tableType();
    if (name === 'asserts' && this.t.kind === 'name') {
      this.next();
      if (this.isName('is')) {
        this.next();
        this.type();
      }
      return ANY;
    }
    const path = [name];
    while (this.accept('.')) path.push(this.name()); // module.Type
    const args = this.is('<') ? this.typeArgs() : undefined;
    return path.length === 1 ? { k: 'name', name, args } : { k: 'path', path, args };
  }

  /** go-lua's `fun(params)`, `fun(params): R`, `fun(params): (A, B)` (after `fun`). */
  private funType(): TypeNode {
    this.paramList();
    if (this.accept(':')) this.type(true);
    return { k: 'function' };
  }

  /** `(a: A, B, ...C)` of a function type. */
  private paramList(): void {
    this.expect('(');
    if (!this.is(')')) {
      do {
        if (this.accept('...')) this.type();
        else {
          if (this.t.kind === 'name' && Cursor.isSym(this.peek(1), ':')) {
            this.next();
            this.next();
          }
          this.type();
          this.accept('...');
        }
      } while (this.accept(','));
    }
    this.expect(')');
  }

  protected tableType(): TypeNode {
    this.expect('{');
    if (this.accept('}')) return { k: 'record', fields: [] };
    if (!this.isPropStart()) {
      const elem = this.type(); // array `{T}`
      this.accept(',') || this.accept(';');
      this.expect('}');
      return { k: 'array', elem };
    }
    const fields: RecordField[] = [];
    let indexer: { key: TypeNode; value: TypeNode } | null = null;
    do {
      if (this.is('}')) break;
      if (this.accept('[')) {
        const key = this.type();
        this.expect(']');
        this.expect(':');
        indexer = { key, value: this.type() };
        continue;
      }
      if ((this.isName('read') || this.isName('write')) && this.isPropName(this.peek(1))) this.next();
      if (!this.isPropName(this.t)) throw new Fail(this.p);
      const name = this.next().value;
      const optional = this.accept('?'); // `{name?: T}`
      this.expect(':');
      fields.push({ name, type: this.type(), optional });
    } while (this.accept(',') || this.accept(';'));
    this.expect('}');
    if (indexer !== null && fields.length === 0) return { k: 'map', key: indexer.key, value: indexer.value };
    return { k: 'record', fields };
  }

  protected isPropName(t: Token): boolean {
    return t.kind === 'name' || t.kind === 'keyword';
  }

  protected isPropStart(): boolean {
    if (this.is('[')) return true;
    if (this.isPropName(this.t) && Cursor.isSym(this.peek(1), ':')) return true;
    if (this.isPropName(this.t) && Cursor.isSym(this.peek(1), '?') && Cursor.isSym(this.peek(2), ':')) return true;
    return (this.isName('read') || this.isName('write')) && this.isPropName(this.peek(1)) && Cursor.isSym(this.peek(2), ':');
  }

  /**
   * `(T)`, a function type `<G>(a: A, ...B) -> R`, or (where `pack`) a type pack `(A, B)`; null for a pack.
   */
  protected parenOrFunctionType(pack: boolean): TypeNode | null {
    const generic = this.is('<');
    if (generic) this.genericParams();
    this.expect('(');
    let items = 0;
    let plain = true; // a single unnamed, non-variadic item: could be a parenthesised type
    let only: TypeNode = ANY;
    if (!this.is(')')) {
      do {
        if (this.accept('...')) {
          plain = false;
          this.type();
        } else {
          if (this.t.kind === 'name' && Cursor.isSym(this.peek(1), ':')) {
            plain = false; // named parameter `(x: number) -> ()`
            this.next();
            this.next();
          }
          only = this.type();
          if (this.accept('...')) plain = false;
        }
        items++;
      } while (this.accept(','));
    }
    this.expect(')');
    if (this.is('-') && Cursor.isSym(this.peek(1), '>') && this.peek(1).start === this.t.end) {
      this.next();
      this.next();
      this.type(true);
      return { k: 'function' };
    }
    if (generic) throw new Fail(this.p);
    if (items === 1 && plain) return only;
    if (!pack) throw new Fail(this.p);
    return null;
  }

  /** `<T, U = string, V... = ...any, W: Constraint>` on declarations and functions; returns the names. */
  protected genericParams(): string[] {
    const names: string[] = [];
    this.expect('<');
    do {
      names.push(this.name());
      this.accept('...');
      if (this.accept(':')) this.type(); // go-lua's constraint `T: HasName`
      if (this.accept('=')) this.type(true);
    } while (this.accept(','));
    this.closeAngle();
    return names;
  }

  /** `<number, (A) -> B, ...any>` after a type name. */
  protected typeArgs(): TypeNode[] {
    this.expect('<');
    if (this.is('>') || this.is('>>') || this.is('>=')) {
      this.closeAngle();
      return [];
    }
    const args: TypeNode[] = [];
    do args.push(this.type(true));
    while (this.accept(','));
    this.closeAngle();
    return args;
  }

  /** Consumes one `>`, splitting the `>>` and `>=` tokens that Lua's lexer forms. */
  protected closeAngle(): void {
    const t = this.t;
    if (this.is('>')) {
      this.next();
      return;
    }
    if (!this.is('>>') && !this.is('>=')) throw new Fail(this.p);
    this.toks[this.p] = { ...t, value: t.value.slice(1), start: t.start + 1 };
    this.lastEnd = t.start + 1;
  }
}
