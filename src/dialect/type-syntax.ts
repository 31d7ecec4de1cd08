/**
 * Luau type expressions, consumed and never interpreted: the eraser only needs to know where a
 * type ends. Covers unions, intersections, optionals, singletons, tables, function types,
 * generics, packs, `typeof(expr)` and Wippy's validators (`number @min(0)`).
 */
import { Cursor, Fail } from './cursor';
import { Token } from './lexer';

export abstract class TypeSkipper extends Cursor {
  /** A Lua expression, for `typeof(expr)`. */
  protected abstract expr(): void;

  /**
   * A type: `A | B & C?`, with an optional leading `|`/`&`. With `pack`, also a type pack as
   * return types have them: `()`, `(A, B)`, `...T`, `T...`.
   */
  protected type(pack = false): void {
    if (pack && this.accept('...')) {
      this.type();
      return;
    }
    if (this.is('|') || this.is('&')) this.next();
    if (this.typeUnit(pack) === 'pack') return;
    while (this.is('|') || this.is('&')) {
      this.next();
      this.typeUnit(false);
    }
    if (pack) this.accept('...');
  }

  /** A simple type followed by any `?` and validators such as `@min(0)`. */
  protected typeUnit(pack: boolean): 'type' | 'pack' {
    if (this.simpleType(pack) === 'pack') return 'pack';
    for (;;) {
      if (this.is('?')) this.next();
      else if (this.is('@')) this.validator();
      else return 'type';
    }
  }

  /** `@name` or `@name(args)`; the arguments are skipped as balanced brackets. */
  protected validator(): void {
    this.next();
    if (this.t.kind !== 'name' && this.t.kind !== 'keyword') throw new Fail(this.p);
    this.next();
    if (!this.is('(') || this.t.start !== this.lastEnd) return;
    let depth = 0;
    do {
      if (this.is('(') || this.is('{') || this.is('[')) depth++;
      else if (this.is(')') || this.is('}') || this.is(']')) depth--;
      this.next();
    } while (depth > 0);
  }

  protected simpleType(pack: boolean): 'type' | 'pack' {
    const t = this.t;
    if (t.kind === 'keyword' && (t.value === 'nil' || t.value === 'true' || t.value === 'false')) {
      this.next();
    } else if (t.kind === 'string') {
      this.next(); // singleton type "a"
    } else if (t.kind === 'name') {
      this.next();
      if (t.value === 'typeof' && this.is('(')) {
        this.next();
        this.expr();
        this.expect(')');
        return 'type';
      }
      while (this.accept('.')) this.name(); // module.Type
      if (this.is('<')) this.typeArgs();
    } else if (this.is('{')) {
      this.tableType();
    } else if (this.is('(') || this.is('<')) {
      return this.parenOrFunctionType(pack);
    } else throw new Fail(this.p);
    return 'type';
  }

  protected tableType(): void {
    this.expect('{');
    if (this.accept('}')) return;
    if (!this.isPropStart()) {
      this.type(); // array `{T}`
      this.accept(',') || this.accept(';');
      this.expect('}');
      return;
    }
    do {
      if (this.is('}')) break;
      if (this.accept('[')) {
        this.type();
        this.expect(']');
      } else {
        if ((this.isName('read') || this.isName('write')) && this.isPropName(this.peek(1))) this.next();
        if (!this.isPropName(this.t)) throw new Fail(this.p);
        this.next();
        this.accept('?'); // `{name?: T}` is accepted too, as a lenient spelling of `{name: T?}`
      }
      this.expect(':');
      this.type();
    } while (this.accept(',') || this.accept(';'));
    this.expect('}');
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
   * `(T)`, a function type `<G>(a: A, ...B) -> R`, or (where `pack`) a type pack `(A, B)`.
   */
  protected parenOrFunctionType(pack: boolean): 'type' | 'pack' {
    const generic = this.is('<');
    if (generic) this.genericParams();
    this.expect('(');
    let items = 0;
    let plain = true; // a single unnamed, non-variadic item: could be a parenthesised type
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
          this.type();
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
      return 'type';
    }
    if (generic) throw new Fail(this.p);
    if (items === 1 && plain) return 'type';
    if (!pack) throw new Fail(this.p);
    return 'pack';
  }

  /** `<T, U = string, V... = ...any>` on declarations and functions. */
  protected genericParams(): void {
    this.expect('<');
    do {
      this.name();
      this.accept('...');
      if (this.accept('=')) this.type(true);
    } while (this.accept(','));
    this.closeAngle();
  }

  /** `<number, (A) -> B, ...any>` after a type name. */
  protected typeArgs(): void {
    this.expect('<');
    if (this.is('>') || this.is('>>') || this.is('>=')) {
      this.closeAngle();
      return;
    }
    do this.type(true);
    while (this.accept(','));
    this.closeAngle();
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
