/**
 * `?` placeholders for PostgreSQL, which only knows `$1, $2, ...`: the `?` outside string literals, quoted
 * identifiers, dollar-quoted bodies and comments are numbered in order. The text is left alone when it has `$n`
 * placeholders already, or when its `?` count differs from the parameter count (`?` is also a jsonb operator:
 * a statement using it takes its parameters as `$n`).
 */

/** The `?` placeholders of `sql` numbered as `$n`, or `sql` itself (see above); `params` undefined: any count. */
export function dollarPlaceholders(sql: string, params: number | undefined): string {
  if (!sql.includes('?')) return sql;
  const marks: number[] = [];
  const n = sql.length;
  for (let i = 0; i < n; ) {
    const c = sql[i];
    if (c === "'" || c === '"') {
      i = skipQuoted(sql, i, c, c === "'" && i > 0 && /[eE]/.test(sql[i - 1]) && !/\w/.test(sql[i - 2] ?? ''));
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? n : end + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      i = skipBlockComment(sql, i);
    } else if (c === '$') {
      const tag = /^\$([A-Za-z_][A-Za-z_0-9]*)?\$/.exec(sql.slice(i, i + 64));
      if (tag !== null && !/\w/.test(sql[i - 1] ?? '')) {
        const end = sql.indexOf(tag[0], i + tag[0].length);
        i = end < 0 ? n : end + tag[0].length;
      } else if (/[0-9]/.test(sql[i + 1] ?? '') && !/\w/.test(sql[i - 1] ?? '')) {
        return sql; // already numbered
      } else i++;
    } else {
      if (c === '?') marks.push(i);
      i++;
    }
  }
  if (marks.length === 0 || (params !== undefined && marks.length !== params)) return sql;
  let out = '';
  let from = 0;
  marks.forEach((at, k) => {
    out += `${sql.slice(from, at)}$${k + 1}`;
    from = at + 1;
  });
  return out + sql.slice(from);
}

/** The index after a quoted run starting at `i` ('' and "" escape a quote; E'' strings also take backslashes). */
function skipQuoted(sql: string, i: number, quote: string, backslashes: boolean): number {
  for (let j = i + 1; j < sql.length; j++) {
    if (backslashes && sql[j] === '\\') j++;
    else if (sql[j] === quote) {
      if (sql[j + 1] === quote) j++;
      else return j + 1;
    }
  }
  return sql.length;
}

/** The index after a (nested, as PostgreSQL's are) block comment starting at `i`. */
function skipBlockComment(sql: string, i: number): number {
  let depth = 0;
  for (let j = i; j < sql.length - 1; j++) {
    if (sql[j] === '/' && sql[j + 1] === '*') {
      depth++;
      j++;
    } else if (sql[j] === '*' && sql[j + 1] === '/') {
      depth--;
      j++;
      if (depth === 0) return j + 1;
    }
  }
  return sql.length;
}
