/** The bus encoding of portable values: what local copies keep survives the wire; hostile bytes are refused. */
import { decode, encode, flatten, unflatten, WireError } from '../../src/cluster/wire';
import { ErrorValue, LuaFloat, Table, type Value } from '../../src/kernel/value';

const roundTrip = (values: Value[]): Value[] => unflatten(decode(encode(flatten(values))));

describe('cluster wire encoding', () => {
  test('integers, floats (integral ones too), strings, bytes, booleans and nil keep their kinds', () => {
    const bytes = new Uint8Array([0xff, 0x00, 0x80]);
    const [i, f, half, nan, s, b, t, n] = roundTrip([7, new LuaFloat(2), 0.5, NaN, 'héllo', bytes, true, null]);
    expect(i).toBe(7);
    expect(f).toBeInstanceOf(LuaFloat);
    expect((f as LuaFloat).value).toBe(2);
    expect([half, Number.isNaN(nan), s, t, n]).toEqual([0.5, true, 'héllo', true, null]);
    expect(b).toBeInstanceOf(Uint8Array);
    expect([...(b as Uint8Array)]).toEqual([0xff, 0x00, 0x80]);
  });

  test('cycles and shared parts survive, across the values of one message too; table keys may be tables', () => {
    const shared = Table.from({ x: 1 });
    const t = Table.from({ a: shared, b: shared });
    t.map.set('self', t);
    t.map.set(shared, 'table key');
    const [u, s2] = roundTrip([t, shared]) as Table[];
    expect(u.get('self')).toBe(u);
    expect(u.get('a')).toBe(u.get('b'));
    expect(u.get('a')).toBe(s2);
    expect(u.map.get(s2)).toBe('table key');
  });

  test('error objects keep message, kind, retryable, details, context, cause and frames', () => {
    const cause = new ErrorValue('root', 'NotFound', false);
    const e = new ErrorValue('outer', 'Custom', true, Table.from({ code: 42 }), 'traceback', {
      context: 'while testing', cause, frames: [{ level: 1, source: 'app:x', line: 3, name: 'main', what: 'Lua' }],
    });
    const [d] = roundTrip([Table.from({ e, again: e })]) as Table[];
    const x = d.get('e') as ErrorValue;
    expect(d.get('again')).toBe(x);
    expect([x.message, x.kind, x.retryable, (x.details as Table).get('code'), x.stack, x.origin.context]).toEqual(['outer', 'Custom', true, 42, 'traceback', 'while testing']);
    expect([x.origin.cause?.message, x.origin.cause?.kind, x.origin.cause?.retryable]).toEqual(['root', 'NotFound', false]);
    expect(x.origin.frames).toEqual([{ level: 1, source: 'app:x', line: 3, name: 'main', what: 'Lua' }]);
  });

  test('deep nesting and long cause chains are loops, not recursion', () => {
    let t = Table.from({ leaf: true });
    for (let i = 0; i < 50_000; i++) t = Table.from({ next: t });
    let e = new ErrorValue('e0');
    for (let i = 1; i < 20_000; i++) e = new ErrorValue(`e${i}`, '', null, null, null, { cause: e });
    const [u, f] = roundTrip([t, e]);
    let depth = 0;
    for (let x = u as Table; x.get('next') !== null; x = x.get('next') as Table) depth++;
    expect(depth).toBe(50_000);
    let chain = 0;
    for (let x: ErrorValue | undefined = f as ErrorValue; x !== undefined; x = x.origin.cause) chain++;
    expect(chain).toBe(20_000);
  });

  test('anything that is not a value group is refused with a WireError', () => {
    const tableRef = (decode(encode(flatten([Table.from({})]))) as unknown[][])[0][0];
    const bad: unknown[] = [
      null, {}, [1, 2], [[{ a: 1 }], [], []], [[tableRef], [], []], // the last refers to a table that is not there
      [[1], [[1]], []], [[1], [[null, 1]], []], [[1], [], [['m']]],
      decode(encode([[flatten([new ErrorValue('x')])[0][0]], [], [['m', '', null, null, null, null, null, [[1, 2]]]]])),
    ];
    for (const b of bad) expect(() => unflatten(b)).toThrow(WireError);
  });
});
