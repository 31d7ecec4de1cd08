import {
  DurationError,
  durationFrom,
  durationHours,
  durationMicroseconds,
  durationMilliseconds,
  durationMinutes,
  durationSeconds,
  formatDuration,
  HOUR,
  MICROSECOND,
  MILLISECOND,
  MINUTE,
  NANOSECOND,
  parseDuration,
  SECOND,
} from '../../src/lib/duration';
import { DURATION_ACCESSOR_CASES, FORMAT_DURATION_CASES, PARSE_DURATION_CASES } from './go-duration-cases';

describe('parseDuration matches time.ParseDuration', () => {
  test.each(PARSE_DURATION_CASES)('%j', (input, want) => {
    if ('ns' in want) {
      // Values beyond 2^53 round exactly as Number(BigInt) does.
      expect(parseDuration(input)).toBe(Number(BigInt(want.ns)));
    } else {
      expect(() => parseDuration(input)).toThrow(new DurationError(want.err));
    }
  });

  test('errors are DurationError instances', () => {
    expect(() => parseDuration('1d')).toThrow(DurationError);
    try {
      parseDuration('3');
    } catch (e) {
      expect(e).toBeInstanceOf(Error);
      expect((e as Error).name).toBe('DurationError');
    }
  });

  test('never returns negative zero', () => {
    expect(Object.is(parseDuration('-0s'), 0)).toBe(true);
    expect(Object.is(parseDuration('-0.5ns'), 0)).toBe(true);
  });

  test('exact below 2^53 where Go mixes int and float arithmetic', () => {
    expect(parseDuration('9007199254740991ns')).toBe(2 ** 53 - 1);
    expect(parseDuration('104h')).toBe(104 * HOUR);
    expect(parseDuration('1.000000001s')).toBe(1_000_000_001);
  });
});

describe('formatDuration matches Duration.String', () => {
  test.each(FORMAT_DURATION_CASES)('%d → %s', (ns, want) => {
    expect(formatDuration(ns)).toBe(want);
  });

  test.each(FORMAT_DURATION_CASES.filter(([ns]) => Math.abs(ns) <= Number.MAX_SAFE_INTEGER))(
    'round trips %d',
    (ns) => {
      expect(parseDuration(formatDuration(ns))).toBe(ns);
    },
  );

  test('magnitudes past int64 are printed, not wrapped', () => {
    // 2^63 is what Go's MaxInt64 rounds to as a float64.
    expect(formatDuration(2 ** 63)).toBe('2562047h47m16.854775808s');
    expect(formatDuration(2 ** 64)).toBe('5124095h34m33.709551616s');
  });

  test('fractions of a nanosecond truncate; -0 is 0s', () => {
    expect(formatDuration(1.9)).toBe('1ns');
    expect(formatDuration(-1.9)).toBe('-1ns');
    expect(formatDuration(-0)).toBe('0s');
  });

  test('non-finite values are rejected', () => {
    expect(() => formatDuration(NaN)).toThrow(RangeError);
    expect(() => formatDuration(Infinity)).toThrow(RangeError);
  });
});

describe('constants and helpers', () => {
  test('unit constants', () => {
    expect([NANOSECOND, MICROSECOND, MILLISECOND, SECOND, MINUTE, HOUR]).toEqual([1, 1e3, 1e6, 1e9, 6e10, 3.6e12]);
  });

  test('durationFrom accepts strings and nanosecond numbers', () => {
    expect(durationFrom('1h30m')).toBe(90 * MINUTE);
    expect(durationFrom(500)).toBe(500);
    expect(durationFrom(1.7)).toBe(1);
    expect(Object.is(durationFrom(-0.5), 0)).toBe(true);
    expect(() => durationFrom('soon')).toThrow('time: invalid duration "soon"');
    expect(() => durationFrom(NaN)).toThrow(DurationError);
  });

  test.each(DURATION_ACCESSOR_CASES)('accessors of %d', (ns, hours, minutes, seconds, millis, micros) => {
    expect(durationHours(ns)).toBe(hours);
    expect(durationMinutes(ns)).toBe(minutes);
    expect(durationSeconds(ns)).toBe(seconds);
    expect(durationMilliseconds(ns)).toBe(millis);
    expect(durationMicroseconds(ns)).toBe(micros);
  });
});
