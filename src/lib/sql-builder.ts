/**
 * An SQL statement builder with the output of Go's squirrel (v1.5), which Wippy's `sql.builder` wraps:
 * immutable SELECT / INSERT / UPDATE / DELETE builders, conditions (`Eq`, `Lt`, `Like`, `And`, ...) and
 * placeholder formats. Values never enter the SQL text: each becomes a `?` with its value in the argument list
 * (then `$n`, `@pn` or `:n` for the other formats). Column and table names are SQL text, as in squirrel.
 */
/** A value bound to a placeholder (integers as bigint, floats as number, bytes as Uint8Array). */
export type SqlValue = null | boolean | bigint | number | string | Uint8Array;

/** Something that renders as SQL with its arguments (squirrel's Sqlizer). Throws BuilderError when invalid. */
export interface Sqlizer {
  toSql(): Rendered;
}

export interface Rendered {
  readonly sql: string;
  readonly args: readonly SqlValue[];
}

export class BuilderError extends Error {}

/** A condition value: one value, or a list (Eq and NotEq make `IN (...)` of a list). */
export type CondValue = SqlValue | readonly SqlValue[];

export type PlaceholderFormat = 'question' | 'dollar' | 'at' | 'colon';

const TRUE = '(1=1)';
const FALSE = '(1=0)';

/** `?` as the format's positional placeholders (`??` is an escaped `?`), as squirrel replaces them. */
export function replacePlaceholders(sql: string, format: PlaceholderFormat): string {
  if (format === 'question') return sql;
  const prefix = format === 'dollar' ? '$' : format === 'at' ? '@p' : ':';
  let out = '';
  let n = 0;
  let from = 0;
  for (let p = sql.indexOf('?', from); p >= 0; p = sql.indexOf('?', from)) {
    out += sql.slice(from, p);
    if (sql[p + 1] === '?') {
      out += '?';
      from = p + 2;
    } else {
      out += `${prefix}${++n}`;
      from = p + 1;
    }
  }
  return out + sql.slice(from);
}

/** Raw SQL with its arguments; an argument that is itself a Sqlizer is expanded in place of its `?`. */
export class Expr implements Sqlizer {
  constructor(
    readonly sql: string,
    readonly args: readonly (SqlValue | Sqlizer)[],
  ) {}

  toSql(): Rendered {
    if (!this.args.some(isSqlizer)) return { sql: this.sql, args: this.args as SqlValue[] };
    let out = '';
    const args: SqlValue[] = [];
    let rest = this.sql;
    let k = 0;
    while (k < this.args.length && rest.length > 0) {
      const i = rest.indexOf('?');
      if (i < 0) break;
      if (rest[i + 1] === '?') {
        out += rest.slice(0, i + 2);
        rest = rest.slice(i + 2);
        continue;
      }
      const a = this.args[k++];
      if (isSqlizer(a)) {
        const r = a.toSql();
        out += rest.slice(0, i) + r.sql;
        args.push(...r.args);
      } else {
        out += rest.slice(0, i + 1);
        args.push(a);
      }
      rest = rest.slice(i + 1);
    }
    for (; k < this.args.length; k++) {
      const a = this.args[k];
      if (!isSqlizer(a)) args.push(a);
    }
    return { sql: out + rest, args };
  }
}

export function isSqlizer(v: unknown): v is Sqlizer {
  return typeof v === 'object' && v !== null && typeof (v as Sqlizer).toSql === 'function';
}

const sortedEntries = (m: ReadonlyMap<string, CondValue>): [string, CondValue][] => [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** `key = ?` for each entry, ANDed, keys sorted; nil is `IS NULL`, a list `IN (...)` (negated for NotEq). */
export class Eq implements Sqlizer {
  constructor(
    readonly map: ReadonlyMap<string, CondValue>,
    readonly not = false,
  ) {}

  toSql(): Rendered {
    if (this.map.size === 0) return { sql: TRUE, args: [] };
    const parts: string[] = [];
    const args: SqlValue[] = [];
    for (const [key, value] of sortedEntries(this.map)) {
      if (value === null) parts.push(`${key} ${this.not ? 'IS NOT' : 'IS'} NULL`);
      else if (isList(value)) {
        if (value.length === 0) parts.push(this.not ? TRUE : FALSE);
        else {
          parts.push(`${key} ${this.not ? 'NOT IN' : 'IN'} (${value.map(() => '?').join(',')})`);
          args.push(...value);
        }
      } else {
        parts.push(`${key} ${this.not ? '<>' : '='} ?`);
        args.push(value);
      }
    }
    return { sql: parts.join(' AND '), args };
  }
}

function isList(v: CondValue): v is readonly SqlValue[] {
  return Array.isArray(v);
}

/** `key < ?` (or `<=`, `>`, `>=`), ANDed, keys sorted; nil and lists are errors. */
export class Compare implements Sqlizer {
  constructor(
    readonly map: ReadonlyMap<string, CondValue>,
    readonly op: '<' | '<=' | '>' | '>=',
  ) {}

  toSql(): Rendered {
    const parts: string[] = [];
    const args: SqlValue[] = [];
    for (const [key, value] of sortedEntries(this.map)) {
      if (value === null) throw new BuilderError('cannot use null with less than or greater than operators');
      if (isList(value)) throw new BuilderError('cannot use array or slice with less than or greater than operators');
      parts.push(`${key} ${this.op} ?`);
      args.push(value);
    }
    return { sql: parts.join(' AND '), args };
  }
}

/** `key LIKE ?` (or NOT LIKE), ANDed, keys sorted. */
export class Like implements Sqlizer {
  constructor(
    readonly map: ReadonlyMap<string, CondValue>,
    readonly not = false,
  ) {}

  toSql(): Rendered {
    const parts: string[] = [];
    const args: SqlValue[] = [];
    for (const [key, value] of sortedEntries(this.map)) {
      if (value === null) throw new BuilderError('cannot use null with like operators');
      if (isList(value)) throw new BuilderError('cannot use array or slice with like operators');
      parts.push(`${key} ${this.not ? 'NOT LIKE' : 'LIKE'} ?`);
      args.push(value);
    }
    return { sql: parts.join(' AND '), args };
  }
}

/** Conditions joined by AND or OR in parentheses; none is `(1=1)` for AND and `(1=0)` for OR. */
export class Junction implements Sqlizer {
  constructor(
    readonly parts: readonly Sqlizer[],
    readonly or: boolean,
  ) {}

  toSql(): Rendered {
    if (this.parts.length === 0) return { sql: this.or ? FALSE : TRUE, args: [] };
    const sqls: string[] = [];
    const args: SqlValue[] = [];
    for (const p of this.parts) {
      const r = raw(p);
      if (r.sql !== '') {
        sqls.push(r.sql);
        args.push(...r.args);
      }
    }
    return { sql: sqls.length > 0 ? `(${sqls.join(this.or ? ' OR ' : ' AND ')})` : '', args };
  }
}

/** A builder nested in another renders with `?` placeholders; the outer statement numbers them all. */
function raw(s: Sqlizer): Rendered {
  return s instanceof Statement ? s.toSqlRaw() : s.toSql();
}

/** Parts joined by `sep` (empty parts skipped, though squirrel still writes the separator after an empty first). */
function appendParts(parts: readonly Sqlizer[], sep: string, args: SqlValue[]): string {
  let out = '';
  parts.forEach((p, i) => {
    const r = raw(p);
    if (r.sql === '') return;
    if (i > 0) out += sep;
    out += r.sql;
    args.push(...r.args);
  });
  return out;
}

/** What a where/having condition may be: SQL text with arguments, an equality map, or a Sqlizer. */
export type Condition = { readonly sql: string; readonly args: readonly (SqlValue | Sqlizer)[] } | Sqlizer;

function conditionSqlizer(c: Condition): Sqlizer {
  return isSqlizer(c) ? c : new Expr(c.sql, c.args);
}

/** The fields every statement builder has. */
abstract class Statement implements Sqlizer {
  abstract readonly placeholder: PlaceholderFormat;
  /** The statement with `?` placeholders (what a nesting statement includes). */
  abstract toSqlRaw(): Rendered;

  toSql(): Rendered {
    const r = this.toSqlRaw();
    return { sql: replacePlaceholders(r.sql, this.placeholder), args: r.args };
  }
}

/** What SELECT, UPDATE and DELETE share: WHERE, ORDER BY, LIMIT, OFFSET and suffixes. */
interface ClauseData {
  readonly placeholder: PlaceholderFormat;
  readonly where: readonly Sqlizer[];
  readonly orderBy: readonly string[];
  readonly limit: string | null;
  readonly offset: string | null;
  readonly suffixes: readonly Sqlizer[];
}

const NO_CLAUSES: ClauseData = { placeholder: 'question', where: [], orderBy: [], limit: null, offset: null, suffixes: [] };

/** A statement with those clauses; `B` is the builder's own type, which every method returns anew. */
abstract class Clauses<D extends ClauseData, B> extends Statement {
  constructor(protected readonly d: D) {
    super();
  }

  protected abstract make(d: D): B;

  /** A copy with `changes` (a ClauseData field keeps its type in any D, so the spread is a D). */
  protected with(changes: Partial<D> | Partial<ClauseData>): B {
    return this.make({ ...this.d, ...changes } as D);
  }

  get placeholder(): PlaceholderFormat {
    return this.d.placeholder;
  }
  where(c: Condition): B {
    return this.with({ where: [...this.d.where, conditionSqlizer(c)] });
  }
  orderBy(columns: readonly string[]): B {
    return this.with({ orderBy: [...this.d.orderBy, ...columns] });
  }
  limit(n: number): B {
    return this.with({ limit: String(n) });
  }
  offset(n: number): B {
    return this.with({ offset: String(n) });
  }
  suffix(sql: string, args: readonly (SqlValue | Sqlizer)[]): B {
    return this.with({ suffixes: [...this.d.suffixes, new Expr(sql, args)] });
  }
  placeholderFormat(f: PlaceholderFormat): B {
    return this.with({ placeholder: f });
  }

  /** ` WHERE ...`, or nothing. */
  protected whereSql(args: SqlValue[]): string {
    return this.d.where.length > 0 ? ` WHERE ${appendParts(this.d.where, ' AND ', args)}` : '';
  }

  /** ` ORDER BY ... LIMIT n OFFSET n suffix`, the parts there are. */
  protected endSql(args: SqlValue[]): string {
    const d = this.d;
    let sql = '';
    if (d.orderBy.length > 0) sql += ` ORDER BY ${d.orderBy.join(', ')}`;
    if (d.limit !== null) sql += ` LIMIT ${d.limit}`;
    if (d.offset !== null) sql += ` OFFSET ${d.offset}`;
    if (d.suffixes.length > 0) sql += ` ${appendParts(d.suffixes, ' ', args)}`;
    return sql;
  }
}

interface SelectData extends ClauseData {
  readonly options: readonly string[];
  readonly columns: readonly string[];
  readonly from: Sqlizer | null;
  readonly joins: readonly Sqlizer[];
  readonly groupBy: readonly string[];
  readonly having: readonly Sqlizer[];
}

export class SelectBuilder extends Clauses<SelectData, SelectBuilder> {
  static create(columns: readonly string[]): SelectBuilder {
    return new SelectBuilder({ ...NO_CLAUSES, options: [], columns, from: null, joins: [], groupBy: [], having: [] });
  }

  protected make(d: SelectData): SelectBuilder {
    return new SelectBuilder(d);
  }

  from(table: string): SelectBuilder {
    return this.with({ from: new Expr(table, []) });
  }
  join(kind: '' | 'LEFT ' | 'RIGHT ' | 'INNER ', join: string, args: readonly (SqlValue | Sqlizer)[]): SelectBuilder {
    return this.with({ joins: [...this.d.joins, new Expr(`${kind}JOIN ${join}`, args)] });
  }
  /** A condition; empty SQL text adds nothing (squirrel's Where(""), on SELECT only). */
  override where(c: Condition): SelectBuilder {
    return !isSqlizer(c) && c.sql === '' ? this : super.where(c);
  }
  having(c: Condition): SelectBuilder {
    return this.with({ having: [...this.d.having, conditionSqlizer(c)] });
  }
  groupBy(columns: readonly string[]): SelectBuilder {
    return this.with({ groupBy: [...this.d.groupBy, ...columns] });
  }
  columns(columns: readonly string[]): SelectBuilder {
    return this.with({ columns: [...this.d.columns, ...columns] });
  }
  distinct(): SelectBuilder {
    return this.with({ options: [...this.d.options, 'DISTINCT'] });
  }

  toSqlRaw(): Rendered {
    const d = this.d;
    if (d.columns.length === 0) throw new BuilderError('select statements must have at least one result column');
    const args: SqlValue[] = [];
    let sql = 'SELECT ';
    if (d.options.length > 0) sql += `${d.options.join(' ')} `;
    sql += d.columns.filter((c) => c !== '').join(', ');
    if (d.from !== null) sql += ` FROM ${appendParts([d.from], '', args)}`;
    if (d.joins.length > 0) sql += ` ${appendParts(d.joins, ' ', args)}`;
    sql += this.whereSql(args);
    if (d.groupBy.length > 0) sql += ` GROUP BY ${d.groupBy.join(', ')}`;
    if (d.having.length > 0) sql += ` HAVING ${appendParts(d.having, ' AND ', args)}`;
    return { sql: sql + this.endSql(args), args };
  }
}

interface InsertData {
  readonly placeholder: PlaceholderFormat;
  readonly prefixes: readonly Sqlizer[];
  readonly options: readonly string[];
  readonly into: string;
  readonly columns: readonly string[];
  readonly values: readonly (readonly (SqlValue | Sqlizer)[])[];
  readonly suffixes: readonly Sqlizer[];
  readonly select: SelectBuilder | null;
}

export class InsertBuilder extends Statement {
  constructor(private readonly d: InsertData) {
    super();
  }

  static create(table: string): InsertBuilder {
    return new InsertBuilder({ placeholder: 'question', prefixes: [], options: [], into: table, columns: [], values: [], suffixes: [], select: null });
  }

  get placeholder(): PlaceholderFormat {
    return this.d.placeholder;
  }

  private with(changes: Partial<InsertData>): InsertBuilder {
    return new InsertBuilder({ ...this.d, ...changes });
  }

  into(table: string): InsertBuilder {
    return this.with({ into: table });
  }
  columns(columns: readonly string[]): InsertBuilder {
    return this.with({ columns: [...this.d.columns, ...columns] });
  }
  values(row: readonly (SqlValue | Sqlizer)[]): InsertBuilder {
    return this.with({ values: [...this.d.values, row] });
  }
  /** Columns and one row from a map, columns sorted (replacing both). */
  setMap(map: ReadonlyMap<string, SqlValue | Sqlizer>): InsertBuilder {
    const cols = [...map.keys()].sort();
    return this.with({ columns: cols, values: [cols.map((c) => map.get(c) as SqlValue | Sqlizer)] });
  }
  select(s: SelectBuilder): InsertBuilder {
    return this.with({ select: s });
  }
  prefix(sql: string, args: readonly (SqlValue | Sqlizer)[]): InsertBuilder {
    return this.with({ prefixes: [...this.d.prefixes, new Expr(sql, args)] });
  }
  suffix(sql: string, args: readonly (SqlValue | Sqlizer)[]): InsertBuilder {
    return this.with({ suffixes: [...this.d.suffixes, new Expr(sql, args)] });
  }
  options(options: readonly string[]): InsertBuilder {
    return this.with({ options: [...this.d.options, ...options] });
  }
  placeholderFormat(f: PlaceholderFormat): InsertBuilder {
    return this.with({ placeholder: f });
  }

  toSqlRaw(): Rendered {
    const d = this.d;
    if (d.into === '') throw new BuilderError('insert statements must specify a table');
    if (d.values.length === 0 && d.select === null) throw new BuilderError('insert statements must have at least one set of values or select clause');
    const args: SqlValue[] = [];
    let sql = '';
    if (d.prefixes.length > 0) sql += `${appendParts(d.prefixes, ' ', args)} `;
    sql += 'INSERT ';
    if (d.options.length > 0) sql += `${d.options.join(' ')} `;
    sql += `INTO ${d.into} `;
    if (d.columns.length > 0) sql += `(${d.columns.join(',')}) `;
    if (d.select !== null) {
      const s = d.select.toSql();
      sql += s.sql;
      args.push(...s.args);
    } else {
      const rows = d.values.map((row) => {
        const cells = row.map((v) => {
          if (!isSqlizer(v)) {
            args.push(v);
            return '?';
          }
          const r = v.toSql();
          args.push(...r.args);
          return r.sql;
        });
        return `(${cells.join(',')})`;
      });
      sql += `VALUES ${rows.join(',')}`;
    }
    if (d.suffixes.length > 0) sql += ` ${appendParts(d.suffixes, ' ', args)}`;
    return { sql, args };
  }
}

interface UpdateData extends ClauseData {
  readonly table: string;
  readonly set: readonly { readonly column: string; readonly value: SqlValue | Sqlizer }[];
  readonly from: Sqlizer | null;
}

/** A subquery with an alias: `(SELECT ...) AS alias`. */
class Aliased implements Sqlizer {
  constructor(
    readonly inner: SelectBuilder,
    readonly alias: string,
  ) {}
  toSql(): Rendered {
    const r = this.inner.toSql();
    return { sql: `(${r.sql}) AS ${this.alias}`, args: r.args };
  }
}

export class UpdateBuilder extends Clauses<UpdateData, UpdateBuilder> {
  static create(table: string): UpdateBuilder {
    return new UpdateBuilder({ ...NO_CLAUSES, table, set: [], from: null });
  }

  protected make(d: UpdateData): UpdateBuilder {
    return new UpdateBuilder(d);
  }

  table(table: string): UpdateBuilder {
    return this.with({ table });
  }
  set(column: string, value: SqlValue | Sqlizer): UpdateBuilder {
    return this.with({ set: [...this.d.set, { column, value }] });
  }
  /** One SET per key, keys sorted. */
  setMap(map: ReadonlyMap<string, SqlValue | Sqlizer>): UpdateBuilder {
    const added = [...map.keys()].sort().map((column) => ({ column, value: map.get(column) as SqlValue | Sqlizer }));
    return this.with({ set: [...this.d.set, ...added] });
  }
  from(table: string): UpdateBuilder {
    return this.with({ from: new Expr(table, []) });
  }
  /** FROM a subquery, numbered with the statement's placeholders. */
  fromSelect(s: SelectBuilder, alias: string): UpdateBuilder {
    return this.with({ from: new Aliased(s.placeholderFormat('question'), alias) });
  }

  toSqlRaw(): Rendered {
    const d = this.d;
    if (d.table === '') throw new BuilderError('update statements must specify a table');
    if (d.set.length === 0) throw new BuilderError('update statements must have at least one Set clause');
    const args: SqlValue[] = [];
    const sets = d.set.map(({ column, value }) => {
      if (!isSqlizer(value)) {
        args.push(value);
        return `${column} = ?`;
      }
      const r = value.toSql();
      args.push(...r.args);
      return `${column} = ${value instanceof SelectBuilder ? `(${r.sql})` : r.sql}`;
    });
    let sql = `UPDATE ${d.table} SET ${sets.join(', ')}`;
    if (d.from !== null) sql += ` FROM ${appendParts([d.from], '', args)}`;
    sql += this.whereSql(args);
    return { sql: sql + this.endSql(args), args };
  }
}

interface DeleteData extends ClauseData {
  readonly from: string;
}

export class DeleteBuilder extends Clauses<DeleteData, DeleteBuilder> {
  static create(table: string): DeleteBuilder {
    return new DeleteBuilder({ ...NO_CLAUSES, from: table });
  }

  protected make(d: DeleteData): DeleteBuilder {
    return new DeleteBuilder(d);
  }

  from(table: string): DeleteBuilder {
    return this.with({ from: table });
  }

  toSqlRaw(): Rendered {
    if (this.d.from === '') throw new BuilderError('delete statements must specify a From table');
    const args: SqlValue[] = [];
    const sql = `DELETE FROM ${this.d.from}${this.whereSql(args)}`;
    return { sql: sql + this.endSql(args), args };
  }
}

export type StatementBuilder = SelectBuilder | InsertBuilder | UpdateBuilder | DeleteBuilder;
