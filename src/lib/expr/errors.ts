/** Errors located in the expression's source, printed as expr-lang prints them (`msg (line:col)` and a snippet). */

/** A span of the source in code points (expr-lang counts runes). */
export interface Loc {
  readonly from: number;
  readonly to: number;
}

export class ExprError extends Error {
  /** 1-based line of the error, 0 when unbound. */
  line = 0;
  /** 0-based column in code points. */
  column = 0;
  snippet = '';

  constructor(
    readonly reason: string,
    readonly loc: Loc,
  ) {
    super(reason);
    this.name = 'ExprError';
  }

  /** Locates the error in `source` (Go's file.Error.Bind) and returns this error. */
  bind(source: string): this {
    let runes = 0;
    let lineStart = 0;
    this.line = 1;
    this.column = 0;
    let i = 0;
    for (const ch of source) {
      if (runes === this.loc.from) break;
      if (ch === '\n') {
        lineStart = i + 1;
        this.line++;
        this.column = 0;
      } else {
        this.column++;
      }
      runes++;
      i += ch.length;
    }
    let lineEnd = source.indexOf('\n', lineStart);
    if (lineEnd < 0) lineEnd = source.length;
    if (lineStart !== lineEnd) {
      const line = source.slice(lineStart, lineEnd).replace(/\t/g, ' ');
      this.snippet = `\n | ${line}\n | ${'.'.repeat(this.column)}^`;
      this.message = `${this.reason} (${this.line}:${this.column + 1})${this.snippet}`;
    }
    return this;
  }
}
