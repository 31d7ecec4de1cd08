import { runFixture } from '../helpers/lua';

describe('the time module (src/modules/time/spec.md)', () => {
  let r: Record<string, Record<string, unknown>>;
  beforeAll(async () => {
    r = (await runFixture('engine/time_rules.lua')) as typeof r;
  });

  test('sleep takes strings, nanosecond numbers and Durations, returns nothing, and rejects bad strings', () => {
    expect(r.sleep).toEqual({
      returns: 0, string_ms: true, number_ms: true, duration_ms: true,
      bad: [false, 'time: invalid duration "soon"'],
    });
  });

  test('after delivers one Time on a channel; non-positive or invalid durations are Invalid errors (Wippy\'s messages)', () => {
    expect(r.after.fired).toEqual([true, true, 'number']);
    expect(r.after.once).toBe(true);
    expect(r.after.after_0).toEqual([true, 'Invalid', 'time.after: duration must be > 0']);
    expect(r.after['after_-5']).toEqual([true, 'Invalid', 'time.after: duration must be > 0']);
    expect(r.after.after_0s).toEqual([true, 'Invalid', 'time.after: duration must be > 0']);
    expect(r.after.after_nonsense).toEqual([true, 'Invalid', 'time: invalid duration "nonsense"']);
  });

  test('timers fire once, stop and reset; tickers tick until stopped', () => {
    expect(r.clocks).toEqual({
      timer_created: [true, true, true],
      stop_after_fire: false,
      stop_before_fire: true,
      stopped_never_fires: true,
      reset_active: true,
      reset_fired_early: true,
      ticks: 3,
      stopped_ticker_silent: true,
      ticker_zero: [true, 'Invalid'],
    });
  });

  test('the unit constants, and no product of them wraps around 32 bits', () => {
    expect(r.constants.values).toEqual([1, 1e3, 1e6, 1e9, 6e10, 3.6e12]);
    expect(r.constants.types).toEqual(['integer', 'float', 'float']);
    expect(r.constants.no_wrap).toEqual([true, true, true]);
    expect(r.constants.ms).toBe(true);
  });

  test('Durations: parse_duration forms, unit methods, string form, arithmetic and errors', () => {
    const d = r.durations;
    expect([d.hours, d.minutes, d.seconds]).toEqual([1.5, 90, 5400]);
    expect([d.ms, d.ms_type]).toEqual([5400000, 'integer']);
    expect([d.ns, d.ns_type]).toEqual([5.4e12, 'float']);
    expect([d.str, d.half_ms, d.half_str]).toEqual(['1h30m0s', 1500, '1.5s']);
    expect(d.forms).toEqual([500, 300, 2000, -90, '1.5ms', '1h30m0s']);
    expect(d.arithmetic).toEqual(['1h30m1.5s', '0s', true, true, true]);
    expect(d.invalid).toEqual([true, 'Invalid', 'time: invalid duration "abc"']);
    expect(d.missing_unit).toEqual([true, 'time: missing unit in duration "10"']);
  });

  test('Times: unix, format, add/sub, fields, date normalisation, parse, comparisons', () => {
    expect(r.times).toEqual({
      epoch: '1970-01-01 00:00:00',
      rfc3339: '2023-11-14T22:13:20Z',
      format_rfc3339: '2023-11-14T22:13:20Z',
      unix: 1700000000,
      add_sub: 1,
      add_number: 90,
      fields: [2023, 11, 14, 22, 13, 20, 2],
      normalised: '2024-03-01',
      parsed: 1704164645,
      compare: [true, false, true, true],
      now_close: true,
      string: '1970-01-01 00:00:00 +0000 UTC',
      parse_error: [true, 'Invalid'],
      bad_location: [true, 'unknown time zone Nowhere/Zone'],
    });
  });
});
