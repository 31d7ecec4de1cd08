/**
 * The statement builder gives squirrel's SQL text and argument lists (what Wippy's sql.builder renders), and
 * values only ever travel as arguments.
 */
import type { SqlValue } from '../../src/lib/sql-builder';
import {
  BuilderError, Compare, DeleteBuilder, Eq, Expr, InsertBuilder, Junction, Like, replacePlaceholders, SelectBuilder, UpdateBuilder,
} from '../../src/lib/sql-builder';

const eq = (o: Record<string, unknown>): Eq => new Eq(new Map(Object.entries(o)) as never);

describe('sql builder', () => {
  test('select with every clause, in squirrel order', () => {
    const q = SelectBuilder.create(['id', 'name'])
      .distinct()
      .from('users u')
      .join('LEFT ', 'orders o ON o.user_id = u.id AND o.kind = ?', ['web'])
      .where({ sql: 'u.age > ?', args: [18n] })
      .where(eq({ 'u.active': 1n, 'u.role': null }))
      .groupBy(['u.id'])
      .having({ sql: 'COUNT(o.id) > ?', args: [2n] })
      .orderBy(['name ASC', 'id'])
      .limit(10)
      .offset(20)
      .suffix('FOR UPDATE', []);
    expect(q.toSql()).toEqual({
      sql: 'SELECT DISTINCT id, name FROM users u LEFT JOIN orders o ON o.user_id = u.id AND o.kind = ? WHERE u.age > ? AND u.active = ? AND u.role IS NULL GROUP BY u.id HAVING COUNT(o.id) > ? ORDER BY name ASC, id LIMIT 10 OFFSET 20 FOR UPDATE',
      args: ['web', 18n, 1n, 2n],
    });
  });

  test('builders are immutable: each method gives a new one', () => {
    const base = SelectBuilder.create(['a']).from('t');
    base.where({ sql: 'a = ?', args: [1n] });
    expect(base.toSql().sql).toBe('SELECT a FROM t');
    expect(base.where({ sql: '', args: [] }).toSql().sql).toBe('SELECT a FROM t');
  });

  test('conditions: Eq sorts keys, makes IN for lists and IS NULL for nil; the others refuse nil and lists', () => {
    expect(eq({ b: 2n, a: [1n, 2n], c: null }).toSql()).toEqual({ sql: 'a IN (?,?) AND b = ? AND c IS NULL', args: [1n, 2n, 2n] });
    expect(new Eq(new Map(Object.entries({ a: [1n], b: 3n, c: null })) as never, true).toSql()).toEqual({ sql: 'a NOT IN (?) AND b <> ? AND c IS NOT NULL', args: [1n, 3n] });
    expect(eq({ a: [] }).toSql().sql).toBe('(1=0)');
    expect(eq({}).toSql().sql).toBe('(1=1)');
    expect(new Compare(new Map<string, SqlValue>([['x', 1n], ['a', 2.5]]), '>=').toSql()).toEqual({ sql: 'a >= ? AND x >= ?', args: [2.5, 1n] });
    expect(() => new Compare(new Map([['x', null]]), '<').toSql()).toThrow(new BuilderError('cannot use null with less than or greater than operators'));
    expect(new Like(new Map([['name', 'a%']]), true).toSql()).toEqual({ sql: 'name NOT LIKE ?', args: ['a%'] });
    expect(() => new Like(new Map([['name', null]])).toSql()).toThrow('cannot use null with like operators');
    const j = new Junction([new Junction([eq({ a: 1n }), new Compare(new Map([['b', 2n]]), '>')], false), eq({ c: 3n })], true);
    expect(j.toSql()).toEqual({ sql: '((a = ? AND b > ?) OR c = ?)', args: [1n, 2n, 3n] });
    expect(new Junction([], true).toSql().sql).toBe('(1=0)');
    expect(new Junction([], false).toSql().sql).toBe('(1=1)');
  });

  test('Expr keeps its text and expands an expression argument in place of its ?', () => {
    expect(new Expr('score BETWEEN ? AND ?', [1n, 2n]).toSql()).toEqual({ sql: 'score BETWEEN ? AND ?', args: [1n, 2n] });
    expect(new Expr('id IN (?) AND x = ?', [new Expr('SELECT id FROM t WHERE k = ?', ['k']), 5n]).toSql()).toEqual({ sql: 'id IN (SELECT id FROM t WHERE k = ?) AND x = ?', args: ['k', 5n] });
  });

  test('insert: rows, set_map (sorted), select, options, prefix and suffix', () => {
    const ins = InsertBuilder.create('t').prefix('WITH x AS (SELECT ?)', [1n]).options(['OR REPLACE']).columns(['a', 'b']).values(['x', null]).values([2n, new Expr('NOW()', [])]).suffix('RETURNING id', []);
    expect(ins.toSql()).toEqual({ sql: 'WITH x AS (SELECT ?) INSERT OR REPLACE INTO t (a,b) VALUES (?,?),(?,NOW()) RETURNING id', args: [1n, 'x', null, 2n] });
    expect(InsertBuilder.create('t').setMap(new Map<string, SqlValue>([['z', 1n], ['a', 'v']])).toSql()).toEqual({ sql: 'INSERT INTO t (a,z) VALUES (?,?)', args: ['v', 1n] });
    expect(InsertBuilder.create('t').columns(['a']).select(SelectBuilder.create(['b']).from('u').where(eq({ c: 1n }))).toSql()).toEqual({ sql: 'INSERT INTO t (a) SELECT b FROM u WHERE c = ?', args: [1n] });
    expect(() => InsertBuilder.create('').values([1n]).toSql()).toThrow('insert statements must specify a table');
    expect(() => InsertBuilder.create('t').toSql()).toThrow('insert statements must have at least one set of values or select clause');
  });

  test('update: set values and expressions, set_map, from a subquery, order, limit', () => {
    const up = UpdateBuilder.create('t').set('a', 1n).set('b', new Expr('b + ?', [2n])).setMap(new Map<string, SqlValue>([['d', 'x'], ['c', null]])).fromSelect(SelectBuilder.create(['id']).from('u').where(eq({ k: 'v' })).placeholderFormat('dollar'), 's').where(eq({ id: 9n })).orderBy(['id']).limit(1);
    expect(up.toSql()).toEqual({ sql: 'UPDATE t SET a = ?, b = b + ?, c = ?, d = ? FROM (SELECT id FROM u WHERE k = ?) AS s WHERE id = ? ORDER BY id LIMIT 1', args: [1n, 2n, null, 'x', 'v', 9n] });
    expect(() => UpdateBuilder.create('t').toSql()).toThrow('update statements must have at least one Set clause');
  });

  test('delete, and the placeholder formats numbering across nested parts', () => {
    const del = DeleteBuilder.create('t').where(eq({ a: 1n })).where({ sql: 'b = ? OR c = ?', args: [2n, 3n] }).placeholderFormat('dollar');
    expect(del.toSql()).toEqual({ sql: 'DELETE FROM t WHERE a = $1 AND b = $2 OR c = $3', args: [1n, 2n, 3n] });
    expect(del.placeholderFormat('at').toSql().sql).toBe('DELETE FROM t WHERE a = @p1 AND b = @p2 OR c = @p3');
    expect(del.placeholderFormat('colon').toSql().sql).toBe('DELETE FROM t WHERE a = :1 AND b = :2 OR c = :3');
    expect(replacePlaceholders('a ?? b ? c ?', 'dollar')).toBe('a ? b $1 c $2');
    expect(() => DeleteBuilder.create('').toSql()).toThrow('delete statements must specify a From table');
  });

  test('hostile values stay arguments: the SQL text never contains them', () => {
    const evil = "x'; DROP TABLE users; --";
    const statements = [
      SelectBuilder.create(['*']).from('users').where(eq({ name: evil })).where(new Like(new Map([['name', evil]]))),
      InsertBuilder.create('users').columns(['name']).values([evil]),
      UpdateBuilder.create('users').set('name', evil).where({ sql: 'name = ?', args: [evil] }),
      DeleteBuilder.create('users').where(eq({ name: [evil, evil] })),
    ];
    for (const s of statements) {
      const r = s.placeholderFormat('dollar').toSql();
      expect(r.sql).not.toContain('DROP');
      expect(r.args.every((a) => a === evil)).toBe(true);
    }
  });
});
