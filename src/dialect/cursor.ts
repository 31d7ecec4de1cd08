/**
 * A cursor over the significant tokens of a Lua source (comments dropped), shared by the type
 * skipper and the eraser. Parse errors are thrown as `Fail` and never escape `eraseTypes`.
 */
import { Token, tokenize } from './lexer';

/** Thrown to unwind to the statement loop; `at` is the index of the offending token. */
export class Fail {
  constructor(readonly at: number) {}
}

export abstract class Cursor {
  protected readonly toks: Token[];
  protected p = 0;
  /** Offset just past the last consumed character (a split `>>` consumes half a token). */
  protected lastEnd = 0;

  private steps = 0;

  /** `progress`, when given, is called every 1024 tokens read (long host work: a caller may stop it there). */
  constructor(
    protected readonly src: string,
    private readonly progress: (() => void) | null = null,
  ) {
    this.toks = tokenize(src, progress).filter((t) => t.kind !== 'comment');
  }

  protected get t(): Token {
    return this.toks[this.p];
  }

  protected peek(k: number): Token {
    return this.toks[Math.min(this.p + k, this.toks.length - 1)];
  }

  /** Punctuation, keyword or stray character with exactly this text. */
  protected static isSym(t: Token, v: string): boolean {
    return (t.kind === 'op' || t.kind === 'keyword' || t.kind === 'error') && t.value === v;
  }

  protected is(v: string): boolean {
    return Cursor.isSym(this.t, v);
  }

  protected isName(v?: string): boolean {
    return this.t.kind === 'name' && (v === undefined || this.t.value === v);
  }

  protected next(): Token {
    if (this.progress !== null && (++this.steps & 1023) === 0) this.progress();
    const t = this.t;
    if (t.kind === 'eof') throw new Fail(this.p);
    this.lastEnd = t.end;
    this.p++;
    return t;
  }

  protected accept(v: string): boolean {
    if (!this.is(v)) return false;
    this.next();
    return true;
  }

  protected expect(v: string): void {
    if (!this.accept(v)) throw new Fail(this.p);
  }

  protected name(): string {
    if (this.t.kind !== 'name') throw new Fail(this.p);
    return this.next().value;
  }
}
