import { runFixture } from '../helpers/lua';

describe('error values and the errors module behave as Wippy\'s (go-lua errors library)', () => {
  let r: Record<string, unknown>;
  beforeAll(async () => {
    r = (await runFixture('engine/errors_rules.lua')) as typeof r;
  });

  test('errors.UNKNOWN and the default kind are ""; retryable and details are nil by default', () => {
    expect(r.constants).toEqual(['', 'NotFound', 'Invalid', 'RateLimited']);
    expect(r.defaults).toEqual(['plain', '', true, true, 'plain']);
    expect(r.is_unknown).toEqual([true, false]);
  });

  test('errors.new keeps any kind string, takes retryable only as a boolean, checks its argument', () => {
    expect(r.custom).toEqual(['Custom', true]);
    expect(r.bad_new).toEqual([
      [false, "bad argument #1 to '?' (expected string or table)"],
      [false, "bad argument #1 to '?' (message field is required)"],
      [false, "bad argument #1 to '?' (message must be a string)"],
    ]);
  });

  test('details keep string keys only (recursively), integers stay integers, empty details are nil', () => {
    expect(r.details).toEqual(['x', 3, 'integer', 1.5, true, 1, true]);
    expect(r.empty_details).toBe(true);
    expect(r.only_numeric_keys).toBe(true);
  });

  test('errors.wrap: the message is the inner one, the context is kept apart and shows in the stack', () => {
    expect(r.wrap).toEqual(['inner error', 'inner error', 'Invalid', true, 42]);
    expect(r.wrap_stack_has_context).toBe(true);
    expect(r.wrap_twice).toBe('outer context: inner error');
    expect(r.wrap_string).toEqual(['string error', '']);
    expect(r.wrap_error_context).toBe(true);
    expect(r.bad_wrap).toEqual([
      [false, "bad argument #1 to '?' (expected string or error object)"],
      [false, "bad argument #2 to '?' (expected string or error object)"],
    ]);
  });

  test('e:stack() and errors.call_stack(e) give the frames where the error was made', () => {
    expect(r.stack_nonempty).toBe(true);
    expect(r.stack_names_helper).toBe(true);
    expect(r.call_stack).toEqual(['string', true, 'Lua', 9, true]);
    expect(r.call_stack_non_error).toEqual([true, true]);
  });

  test('errors.is is true only for an error object of that kind', () => {
    expect(r.is).toEqual([true, false, false]);
  });

  test('an error stands where the string library wants a string; other values are still refused', () => {
    expect(r.concat).toEqual(['a: process not found', 'process not found :b', 'process not foundx']);
    expect(r.strlib).toEqual([
      true, 9, 'PROCESS NOT FOUND', 17, 'process', 'pid not found', 'process not found!',
      'process not found|process not found',
    ]);
    expect(r.strlib_still_rejects).toEqual([
      [false, "bad argument #1 to 'string.len' (string expected, got table)"],
      [false, "bad argument #1 to 'string.upper' (string expected, got nil)"],
    ]);
    expect(r.tostring_is_message).toBe(true);
  });
});
