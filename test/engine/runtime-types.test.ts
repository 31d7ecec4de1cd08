import { runFixture } from '../helpers/lua';

describe('runtime type values: T:is(v) and T(v) validate as in Wippy', () => {
  let r: Record<string, unknown>;
  beforeAll(async () => {
    r = (await runFixture('engine/runtime_types.lua')) as typeof r;
  });

  test('records: required fields, field types, non-tables; extra fields are fine', () => {
    expect(r.record).toEqual([
      true, "missing required field 'y'", 'x: expected number, got string',
      'expected {x: number, y: number}, got number', true,
    ]);
    expect(r.optional).toEqual([true, true, 'age: expected number, got string']);
  });

  test('arrays and maps check every element, key and value', () => {
    expect(r.array).toEqual([true, '[2]: expected integer, got number', true, 'expected {integer}, got string']);
    expect(r.map).toEqual([
      true, '["a"]: value -1 is less than minimum 0', '["a"]: value 101 is greater than maximum 100',
      '[1] (key): expected string, got number',
    ]);
  });

  test('literal, union and intersection types', () => {
    expect(r.literals).toEqual([
      true, 'expected "fast" | "safe", got "slow"', true, true, 'expected 3, got 4', true, 'expected true, got false',
    ]);
    expect(r.union).toEqual([true, true, 'expected number | string, got true']);
    expect(r.intersection).toEqual([true, "missing required field 'b'"]);
  });

  test('generics instantiate; a bare generic checks with any for its parameters', () => {
    expect(r.generics).toEqual([true, 'value: expected string, got number', true, true, true]);
  });

  test('function types accept functions only', () => {
    expect(r.functions).toEqual([true, 'expected function, got table', true]);
  });

  test('validators: min/max, min_len/max_len (strings and arrays), pattern', () => {
    expect(r.validators).toEqual([
      true, 'length 1 is less than minimum length 2', 'length 5 is greater than maximum length 4', true,
      'value "nope" does not match pattern "^[^@]+@[^@]+\\\\.[a-z]+$"', true, 'length 0 is less than minimum length 1',
      'length 3 is greater than maximum length 2',
    ]);
  });

  test('references to types declared later, and recursive types, resolve', () => {
    expect(r.references).toEqual([true, 'next.n: expected integer, got string']);
    expect(r.recursive).toEqual([true, 'kids[1].v: expected number, got string']);
  });

  test('readonly, T[], interface {...} and typeof (of an annotated local, or inferred)', () => {
    expect(r.forms).toEqual([
      true, '[1]: expected number, got string', true, '[1]: expected string, got number', true,
      "missing required field 'id'",
    ]);
    expect(r.typeof).toEqual([true, 'n: expected integer, got number', true, 'a: expected integer, got string']);
  });

  test('calling a type returns the value or raises an Invalid error; primitive names cast the same way', () => {
    expect(r.call).toEqual([2, false, "missing required field 'y'", 'Invalid']);
    expect(r.casts).toEqual([
      's', 'expected string, got number', 7, 'expected integer, got number', 1.5, false, 'expected boolean, got string',
    ]);
    expect(r.string_lib_intact).toEqual(['A', 'B']);
  });

  test('type values: type(T) is "type", with kind and name', () => {
    expect(r.reflect).toEqual(['type', 'record', 'Point', 'array', 'union', 'type Point', 'table']);
  });
});
