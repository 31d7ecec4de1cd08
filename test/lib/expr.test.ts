/**
 * The expr library against expr-lang's documented behaviour (language definition, builtin docs) and its
 * messages. Values are compared through their Go `%v` form and Go type name, which keeps int and float apart.
 */
import { compile, envOf, evaluate, ExprError, Float, formatValue, goType, type Value } from '../../src/lib/expr';

const ENV = envOf({
  x: 10,
  y: 20,
  f: 2.5,
  name: 'Alice',
  roles: ['user', 'admin'],
  nums: [3, 1, 2],
  floats: [1.5, 2.5, 3.5],
  words: ['foo', 'bar', 'baz'],
  empty: [],
  user: new Map<string, Value>([
    ['Name', 'Bob'],
    ['Age', 30],
    ['Tags', ['a', 'b']],
    ['Address', null],
  ]),
  tweets: [
    new Map<string, Value>([['Content', 'short'], ['Size', 5]]),
    new Map<string, Value>([['Content', 'a much longer tweet'], ['Size', 19]]),
  ],
  nested: [[1, 2], [3, 4]],
  nothing: null,
  flag: true,
});

/** `%v (type)` of the result, or `!message` (first line) of the error. */
function run(source: string, env: Value = ENV): string {
  try {
    const v = evaluate(source, env);
    return `${formatValue(v)} (${goType(v)})`;
  } catch (e) {
    if (e instanceof ExprError) return '!' + e.message.split('\n')[0];
    throw e;
  }
}

describe('literals', () => {
  test.each([
    ['42', '42 (int)'],
    ['0x2A', '42 (int)'],
    ['0o52', '42 (int)'],
    ['0b101010', '42 (int)'],
    ['1_000_000', '1000000 (int)'],
    ['0.5', '0.5 (float64)'],
    ['.5', '0.5 (float64)'],
    ['1.0', '1 (float64)'],
    ['1e3', '1000 (float64)'],
    ['1e6', '1e+06 (float64)'],
    ['1e-5', '1e-05 (float64)'],
    ['true', 'true (bool)'],
    ['nil', '<nil> (<nil>)'],
    ['"foo"', 'foo (string)'],
    ["'bar'", 'bar (string)'],
    ['"a\\tb\\u00e9\\x41"', 'a\tbéA (string)'],
    ['"\\u{1F600}"', '😀 (string)'],
    ['`raw\\n`', 'raw\\n (string)'],
    ['`a``b`', 'a`b (string)'],
    ['[1, 2, 3]', '[1 2 3] ([]interface {})'],
    ['[1, "a", true,]', '[1 a true] ([]interface {})'],
    ['{a: 1, "b c": 2, 3: 4}', 'map[3:4 a:1 b c:2] (map[string]interface {})'],
    ['{("k" + "1"): 1}', 'map[k1:1] (map[string]interface {})'],
    ['b"hi"', '[104 105] ([]uint8)'],
    ['/* c */ 1 // tail', '1 (int)'],
  ])('%s', (src, want) => expect(run(src)).toBe(want));
});

describe('operators', () => {
  test.each([
    ['1 + 2 * 3', '7 (int)'],
    ['(1 + 2) * 3', '9 (int)'],
    ['10 / 4', '2.5 (float64)'],
    ['10 / 5', '2 (float64)'],
    ['7 % 3', '1 (int)'],
    ['-7 % 3', '-1 (int)'],
    ['2 ** 10', '1024 (float64)'],
    ['2 ^ 3 ^ 2', '512 (float64)'],
    ['-2 ** 2', '-4 (float64)'],
    ['1 + 2.5', '3.5 (float64)'],
    ['x + f', '12.5 (float64)'],
    ['"a" + "b"', 'ab (string)'],
    ['x == 10', 'true (bool)'],
    ['x == 10.0', 'true (bool)'],
    ['x != y', 'true (bool)'],
    ['1 < 2 < 3', 'true (bool)'],
    ['3 > 2 > 2', 'false (bool)'],
    ['"abc" < "abd"', 'true (bool)'],
    ['not true', 'false (bool)'],
    ['!flag', 'false (bool)'],
    ['true and false or true', 'true (bool)'],
    ['flag && x > 5', 'true (bool)'],
    ['false && nothing.crash', 'false (bool)'],
    ['true || nothing.crash', 'true (bool)'],
    ['x > 5 ? "big" : "small"', 'big (string)'],
    ['flag ?: 3', 'true (bool)'],
    ['x ?: 3', '!interface conversion: interface {} is int, not bool (1:1)'],
    ['nothing ?? "default"', 'default (string)'],
    ['name ?? "default"', 'Alice (string)'],
    ['"admin" in roles', 'true (bool)'],
    ['"root" not in roles', 'true (bool)'],
    ['"Name" in user', 'true (bool)'],
    ['"x" in $env', 'true (bool)'],
    ['1 in [1.0]', 'true (bool)'],
    ['name matches "^A.*e$"', 'true (bool)'],
    ['name not matches "^B"', 'true (bool)'],
    ['name contains "lic"', 'true (bool)'],
    ['name startsWith "Al"', 'true (bool)'],
    ['name endsWith "ce"', 'true (bool)'],
    ['nothing contains "x"', 'false (bool)'],
    ['1..3', '[1 2 3] ([]interface {})'],
    ['3..1', '[] ([]interface {})'],
    ['if x > 5 { "big" } else { "small" }', 'big (string)'],
    ['if x > 50 { 1 } else if x > 5 { 2 } else { 3 }', '2 (int)'],
    ['let a = 2; let b = a * 3; a + b', '8 (int)'],
    ['1; 2; 3', '3 (int)'],
  ])('%s', (src, want) => expect(run(src)).toBe(want));
});

describe('member access, indexing, slicing, optional chaining', () => {
  test.each([
    ['user.Name', 'Bob (string)'],
    ['user["Age"]', '30 (int)'],
    ['user.Missing', '<nil> (<nil>)'],
    ['user.Address?.City', '<nil> (<nil>)'],
    ['user?.Name', 'Bob (string)'],
    ['nothing?.a.b.c', '<nil> (<nil>)'],
    ['nothing?.[0]', '<nil> (<nil>)'],
    ['user.Address?.City ?? "none"', 'none (string)'],
    ['roles[0]', 'user (string)'],
    ['roles[-1]', 'admin (string)'],
    ['nested[1][0]', '3 (int)'],
    ['words[1:]', '[bar baz] ([]interface {})'],
    ['words[:2]', '[foo bar] ([]interface {})'],
    ['words[1:-1]', '[bar] ([]interface {})'],
    ['words[:]', '[foo bar baz] ([]interface {})'],
    ['words[5:9]', '[] ([]interface {})'],
    ['name[1:3]', 'li (string)'],
    ['name[0]', '65 (int)'],
    ['$env["name"]', 'Alice (string)'],
    ['$env.x', '10 (int)'],
  ])('%s', (src, want) => expect(run(src)).toBe(want));

  test('indexing errors name the index and length', () => {
    expect(run('roles[5]')).toBe('!index out of range: 5 (array length is 2) (1:6)');
    expect(run('nothing.a')).toBe('!cannot fetch a from <nil> (1:9)');
    expect(run('x.a')).toBe('!cannot fetch a from int (1:3)');
    expect(run('user[1]')).toBe('!reflect.Value.MapIndex: value of type int is not assignable to type string (1:5)');
  });
});

describe('predicates and closures', () => {
  test.each([
    ['all(nums, # > 0)', 'true (bool)'],
    ['all(empty, # > 0)', 'true (bool)'],
    ['any(nums, # > 2)', 'true (bool)'],
    ['none(nums, # > 5)', 'true (bool)'],
    ['one(nums, # == 1)', 'true (bool)'],
    ['filter(1..9, # % 2 == 0)', '[2 4 6 8] ([]interface {})'],
    ['map(nums, # * 2)', '[6 2 4] ([]interface {})'],
    ['map(nums, #index)', '[0 1 2] ([]interface {})'],
    ['count(nums, # > 1)', '2 (int)'],
    ['count([true, false, true])', '2 (int)'],
    ['sum(nums)', '6 (int)'],
    ['sum(floats)', '7.5 (float64)'],
    ['sum(tweets, .Size)', '24 (int)'],
    ['find(nums, # < 3)', '1 (int)'],
    ['findIndex(nums, # < 3)', '1 (int)'],
    ['findLast(nums, # < 3)', '2 (int)'],
    ['findLastIndex(nums, # > 5)', '<nil> (<nil>)'],
    ['filter(tweets, len(.Content) > 10)[0].Size', '19 (int)'],
    ['map(filter(tweets, {.Size > 10}), .Content)', '[a much longer tweet] ([]interface {})'],
    ['groupBy(1..5, # % 2 == 0)[true]', '[2 4] ([]interface {})'],
    ['sortBy(tweets, .Size, "desc")[0].Size', '19 (int)'],
    ['reduce(1..4, #acc * #)', '24 (int)'],
    ['reduce(1..4, #acc + #, 10)', '20 (int)'],
    ['reduce(nums, #acc + #index, 0)', '3 (int)'],
    ['map(nested, sum(#))', '[3 7] ([]interface {})'],
    ['filter(nested, { let n = #; any(n, # == 4) })', '[[3 4]] ([]interface {})'],
    ['nums | map(# + 1) | filter(# > 2)', '[4 3] ([]interface {})'],
    ['name | lower() | split("l")', '[a ice] ([]interface {})'],
  ])('%s', (src, want) => expect(run(src)).toBe(want));

  test('predicate errors', () => {
    expect(run('reduce(empty, # + #acc)')).toBe('!reduce of empty array with no initial value (1:1)');
    expect(run('all(nums, #)')).toBe('!interface conversion: interface {} is int, not bool (1:1)');
    expect(run('filter(x, true)')).toBe('!reflect: call of reflect.Value.Len on int Value (1:1)');
    expect(run('map(1..3, #acc)')).toBe('!unknown pointer #acc (1:11)');
  });
});

describe('builtins', () => {
  test.each([
    ['len(nums)', '3 (int)'],
    ['len("héllo")', '5 (int)'],
    ['len(user)', '4 (int)'],
    ['abs(-3)', '3 (int)'],
    ['abs(-2.5)', '2.5 (float64)'],
    ['ceil(1.2)', '2 (float64)'],
    ['floor(-1.2)', '-2 (float64)'],
    ['round(2.5)', '3 (float64)'],
    ['round(-2.5)', '-3 (float64)'],
    ['int("42")', '42 (int)'],
    ['int(3.9)', '3 (int)'],
    ['float("1.25")', '1.25 (float64)'],
    ['string(42)', '42 (string)'],
    ['string([1, "a"])', '[1 a] (string)'],
    ['type(1)', 'int (string)'],
    ['type(1.5)', 'float (string)'],
    ['type(nums)', 'array (string)'],
    ['type(user)', 'map (string)'],
    ['type(nil)', 'nil (string)'],
    ['trim("  a  ")', 'a (string)'],
    ['trim("xxaxx", "x")', 'a (string)'],
    ['trimPrefix("HelloWorld", "Hello")', 'World (string)'],
    ['trimSuffix("HelloWorld", "World")', 'Hello (string)'],
    ['upper("straße")', 'STRAßE (string)'],
    ['lower("ÀB")', 'àb (string)'],
    ['split("a,b,c", ",", 2)', '[a b,c] ([]interface {})'],
    ['splitAfter("a,b,c", ",")', '[a, b, c] ([]interface {})'],
    ['replace("aaa", "a", "b")', 'bbb (string)'],
    ['replace("aaa", "a", "b", 2)', 'bba (string)'],
    ['repeat("ab", 3)', 'ababab (string)'],
    ['join(words, ",")', 'foo,bar,baz (string)'],
    ['join(words)', 'foobarbaz (string)'],
    ['indexOf("apple pie", "pie")', '6 (int)'],
    ['indexOf("héllo", "l")', '3 (int)'],
    ['lastIndexOf("apple pie apple", "apple")', '10 (int)'],
    ['hasPrefix("HelloWorld", "Hello")', 'true (bool)'],
    ['hasSuffix("HelloWorld", "World")', 'true (bool)'],
    ['max(1, 5, 3)', '5 (int)'],
    ['max(1, 5.5)', '5.5 (float64)'],
    ['min(nums)', '1 (int)'],
    ['max([])', '<nil> (<nil>)'],
    ['mean([1, 2, 3])', '2 (float64)'],
    ['median([1, 2, 3, 4])', '2.5 (float64)'],
    ['first(words)', 'foo (string)'],
    ['last(words)', 'baz (string)'],
    ['first(empty)', '<nil> (<nil>)'],
    ['get(words, 1)', 'bar (string)'],
    ['get(words, 9)', '<nil> (<nil>)'],
    ['get(user, "Name")', 'Bob (string)'],
    ['take(words, 2)', '[foo bar] ([]interface {})'],
    ['sort(nums)', '[1 2 3] ([]interface {})'],
    ['sort(nums, "desc")', '[3 2 1] ([]interface {})'],
    ['sort(words)', '[bar baz foo] ([]interface {})'],
    ['reverse(nums)', '[2 1 3] ([]interface {})'],
    ['uniq([1, 2, 1, "a", "a"])', '[1 2 a] ([]interface {})'],
    ['concat([1], [2, 3], [])', '[1 2 3] ([]interface {})'],
    ['flatten([1, [2, [3, [4]]]])', '[1 2 3 4] ([]interface {})'],
    ['keys({a: 1})', '[a] ([]interface {})'],
    ['values({a: 1})', '[1] ([]interface {})'],
    ['toPairs({a: 1})', '[[a 1]] ([]interface {})'],
    ['fromPairs([["a", 1]]).a', '1 (int)'],
    ['toJSON({b: [1, 2.5], a: nil, c: "<&>"})', '{\n  "a": null,\n  "b": [\n    1,\n    2.5\n  ],\n  "c": "\\u003c\\u0026\\u003e"\n} (string)'],
    ['toJSON([])', '[] (string)'],
    ['fromJSON(\'{"a": [1, true, null]}\').a', '[1 true <nil>] ([]interface {})'],
    ['type(fromJSON("1"))', 'float (string)'],
    ['toBase64("Hello World")', 'SGVsbG8gV29ybGQ= (string)'],
    ['fromBase64("SGVsbG8gV29ybGQ=")', 'Hello World (string)'],
    ['bitand(0b1010, 0b1100)', '8 (int)'],
    ['bitor(0b1010, 0b1100)', '14 (int)'],
    ['bitxor(0b1010, 0b1100)', '6 (int)'],
    ['bitnand(0b1010, 0b1100)', '2 (int)'],
    ['bitnot(0b1010)', '-11 (int)'],
    ['bitshl(0b101101, 2)', '180 (int)'],
    ['bitshr(0b101101, 2)', '11 (int)'],
    ['bitushr(-0b101, 2) == 4611686018427387902', 'true (bool)'],
  ])('%s', (src, want) => expect(run(src)).toBe(want));

  test('time functions', () => {
    expect(run('duration("1h30m")')).toBe('1h30m0s (time.Duration)');
    expect(run('duration("1h").Seconds()')).toBe('3600 (float64)');
    expect(run('duration("90m") > duration("1h")')).toBe('true (bool)');
    expect(run('duration("1h") * 2')).toBe('2h0m0s (time.Duration)');
    expect(run('date("2023-08-14").Year()')).toBe('2023 (int)');
    expect(run('date("2023-08-14").Month()')).toBe('8 (int)');
    expect(run('date("2023-08-14 10:20:30").Hour()')).toBe('10 (int)');
    expect(run('date("2023-08-14") + duration("24h")')).toBe('2023-08-15 00:00:00 +0000 UTC (time.Time)');
    expect(run('date("2023-08-15") - date("2023-08-14")')).toBe('24h0m0s (time.Duration)');
    expect(run('date("2023-08-14T00:00:00Z").Format("02 Jan 2006")')).toBe('14 Aug 2023 (string)');
    expect(run('date("14.08.2023", "02.01.2006").Day()')).toBe('14 (int)');
    expect(run('date("2023-08-14 00:00:00", "2006-01-02 15:04:05", "Europe/Zurich").UTC().Hour()')).toBe('22 (int)');
    expect(run('timezone("UTC").String()')).toBe('UTC (string)');
    expect(run('now() > date("2020-01-01")')).toBe('true (bool)');
    expect(run('now().Year() >= 2024')).toBe('true (bool)');
    expect(run('duration("x")')).toBe('!time: invalid duration "x" (1:1)');
    expect(run('date("nope")')).toBe('!invalid date nope (1:1)');
    expect(run('timezone("Mars/Base")')).toBe('!unknown time zone Mars/Base (1:1)');
  });
});

describe('compile errors (syntax and types)', () => {
  test.each([
    ['', '!unexpected token EOF'],
    ['(((', '!unexpected token EOF (1:3)'],
    ['invalid syntax !!!', '!unexpected token Identifier("syntax") (1:9)'],
    ['1 +', '!unexpected token EOF (1:3)'],
    ['a.', '!unexpected end of expression (1:2)'],
    ['"abc', '!literal not terminated (1:5)'],
    ['"\\q"', '!invalid char escape (1:3)'],
    ['1 @ 2', "!unrecognized character: U+0040 '@' (1:3)"],
    ['12abc', '!bad number syntax: "12a" (1:3)'],
    ['/* open', '!unclosed comment (1:8)'],
    ['[1, 2', '!unexpected token EOF (1:5)'],
    ['{a 1}', '!unexpected token Number("1") (1:4)'],
    ['{[1]: 2}', '!a map key must be a quoted string, a number, a identifier, or an expression enclosed in parentheses (unexpected token Bracket("[")) (1:2)'],
    ['x.(y)', '!expected name (1:4)'],
    ['nil ?? 1 + 2', '!Operator (+) and coalesce expressions (??) cannot be mixed. Wrap either by parentheses. (1:10)'],
    ['filter([1])', '!expected at least 2 arguments (1:11)'],
    ['filter([1], #; true)', '!wrap predicate with brackets { and } (1:14)'],
    ['99999999999999999999', '!invalid integer literal: strconv.ParseInt: parsing "99999999999999999999": value out of range (1:20)'],
    ['1 + "a"', '!invalid operation: + (mismatched types int and string) (1:3)'],
    ['"a" - "b"', '!invalid operation: - (mismatched types string and string) (1:5)'],
    ['1.5 % 2', '!invalid operation: % (mismatched types float64 and int) (1:5)'],
    ['!5', '!invalid operation: ! (mismatched type int) (1:1)'],
    ['-"a"', '!invalid operation: - (mismatched type string) (1:1)'],
    ['1 ? 2 : 3', '!non-bool expression (type int) used as condition (1:1)'],
    ['1 % 0', '!integer divide by zero (1:3)'],
    ['"a" matches "("', '!error parsing regexp: missing closing ): `(` (1:5)'],
    ['len(1)', '!invalid argument for len (type int) (1:1)'],
    ['upper(1)', '!cannot use int as argument (type string) to call upper  (1:7)'],
    ['upper()', '!not enough arguments to call upper (1:1)'],
    ['upper("a", "b")', '!too many arguments to call upper (1:1)'],
    ['all(1, true)', '!builtin all takes only array (got int) (1:5)'],
    ['filter([1], 5)', '!predicate should return boolean (got int) (1:13)'],
    ['let len = 1; len', '!cannot redeclare builtin len (1:5)'],
    ['let a = 1; let a = 2; a', '!cannot redeclare variable a (1:16)'],
    ['nil.a', '!unexpected token Operator(".") (1:4)'],
    ['(nil).a', '!type nil has no field a (1:7)'],
    ['[1][1.5]', '!array elements can only be selected using an integer (got float64) (1:5)'],
    ['{a: 1}[1]', '!cannot use int to get an element from map[string]interface {} (1:8)'],
    ['(1)[0:1]', '!cannot slice int (1:4)'],
    ['duration("1h").Nope()', '!type time.Duration has no method Nope (1:16)'],
  ])('%j', (src, want) => expect(run(src)).toBe(want));

  test('messages carry a snippet pointing at the column', () => {
    expect(() => compile('1 +\n  2 + "x"')).toThrow('invalid operation: + (mismatched types int and string) (2:5)\n |   2 + "x"\n | ....^');
  });
});

describe('run-time errors', () => {
  test.each([
    ['x + nothing', '!invalid operation: int + <nil> (1:3)'],
    ['x / name', '!invalid operation: int / string (1:3)'],
    ['x % 0', '!runtime error: integer divide by zero (1:3)'],
    ['name > 1', '!invalid operation: string > int (1:6)'],
    ['-name', '!invalid operation: - string (1:1)'],
    ['!x', '!interface conversion: interface {} is int, not bool (1:1)'],
    ['x ? 1 : 2', '!interface conversion: interface {} is int, not bool (1:1)'],
    ['upper(x)', '!interface conversion: interface {} is int, not string (1:1)'],
    ['1 in x', '!operator "in" not defined on int (1:3)'],
    ['x()', '!invalid operation: cannot call non-function of type int (1:1)'],
    ['nothing()', '!invalid operation: cannot call nil (1:1)'],
    ['int(name)', '!invalid operation: int(Alice) (1:1)'],
    ['fromJSON("{")', '!unexpected end of JSON input (1:1)'],
    ['fromJSON("x")', "!invalid character 'x' looking for beginning of value (1:1)"],
    ['sort(nums, "up")', '!invalid order up, expected asc or desc (1:1)'],
    ['name matches nothing', 'false (bool)'],
    ['name matches "("+""', '!error parsing regexp: missing closing ): `(` (1:6)'],
  ])('%s', (src, want) => expect(run(src)).toBe(want));
});

describe('environments', () => {
  test('a compile environment makes unknown names an error and checks types', () => {
    const env = envOf({ value: 0, s: 'x' });
    expect(() => compile('value * 2', { env })).not.toThrow();
    expect(() => compile('other * 2', { env })).toThrow('unknown name other (1:1)');
    expect(() => compile('s * 2', { env })).toThrow('invalid operation: * (mismatched types string and int) (1:3)');
    expect(() => compile('$env.other', { env })).toThrow('unknown name other');
    expect(compile('$env?.other', { env }).run(env)).toBeNull();
  });

  test('a program runs with many environments; missing names are nil', () => {
    const p = compile('a * b');
    expect(p.run(envOf({ a: 5, b: 6 }))).toBe(30);
    expect(p.run(envOf({ a: 10, b: 3 }))).toBe(30);
    expect(() => p.run(envOf({ a: 1 }))).toThrow('invalid operation: int * <nil> (1:3)');
    expect(() => p.run(null)).toThrow('cannot fetch a from <nil> (1:1)');
  });

  test('names in the environment take over builtin calls', () => {
    const env = envOf({ upper: 'shadow' });
    expect(compile('upper', { env }).run(env)).toBe('shadow');
  });

  test('floats that are integral stay floats', () => {
    const v = evaluate('x * 1.0', envOf({ x: 3 }));
    expect(v).toBeInstanceOf(Float);
    expect(evaluate('x == 3', envOf({ x: new Float(3) }))).toBe(true);
  });
});

describe('bounds (hostile expressions)', () => {
  test('a loop over a large collection ends with a step-budget error', () => {
    const env = envOf({ big: Array.from({ length: 5000 }, (_, i) => i) });
    const started = Date.now();
    expect(() => evaluate('count(big, count(big, # == #) > 0)', env)).toThrow(/step budget exceeded/);
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  test('a custom step budget is honoured', () => {
    expect(() => compile('map(1..100, # * 2)').run(null, { maxSteps: 50 })).toThrow(/step budget exceeded \(more than 50 steps\)/);
  });

  test('ranges and created arrays are charged to the memory budget', () => {
    expect(() => evaluate('1..2000000')).toThrow(/memory budget exceeded/);
    expect(() => evaluate('map(1..1000, map(1..1000, #))')).toThrow(/memory budget exceeded/);
  });

  test('strings cannot grow beyond the size limit', () => {
    expect(() => evaluate('let s = repeat("x", 900000); let t = s + s + s + s + s; t + t')).toThrow(/string too long|memory budget/);
    expect(() => compile('let a = repeat("ab", 400000); a + a + a + a + a + a').run(null, { maxStringLength: 1000 })).toThrow(
      /string too long \(more than 1000 characters\)/,
    );
    expect(() => evaluate('repeat("ab", 10000000)')).toThrow(/memory budget exceeded/);
    expect(() => compile('join(map(1..100000, "abcdefghij"), "")').run(null, { maxStringLength: 100000 })).toThrow(/string too long/);
  });

  test('deep nesting is refused at compile time, not by a stack overflow', () => {
    expect(() => compile('('.repeat(5000) + '1' + ')'.repeat(5000))).toThrow(/nested too deep|maximum allowed nodes/);
    expect(() => compile('-'.repeat(3000) + '1')).toThrow(/nested too deep/);
    expect(() => compile(Array.from({ length: 6000 }, () => '1').join(' + '))).toThrow(/nested too deep|maximum allowed nodes/);
    expect(() => compile(Array.from({ length: 20000 }, () => 'a').join('+'))).toThrow(/maximum allowed nodes/);
  });

  test('a pathological regular expression runs in linear time', () => {
    const started = Date.now();
    const env = envOf({ s: 'a'.repeat(50_000) + 'b' });
    expect(evaluate('s matches "^(a+)+$"', env)).toBe(false);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  test('values nested too deep are refused, not overflowed', () => {
    let deep: Value = 1;
    for (let i = 0; i < 5000; i++) deep = [deep];
    expect(() => evaluate('toJSON(v)', envOf({ v: deep }))).toThrow(/recursion depth exceeded/);
    expect(() => evaluate('flatten(v)', envOf({ v: deep }))).toThrow(/recursion depth exceeded/);
    expect(() => evaluate('v == v', envOf({ v: deep }))).toThrow(/recursion depth exceeded/);
  });
});
