import { runFixture } from '../helpers/lua';

describe("the time module's Wippy surface: constants, locations, round, errors", () => {
  let r: Record<string, unknown>;
  beforeAll(async () => {
    r = (await runFixture('engine/time_wippy.lua')) as typeof r;
  });

  test("layout, month and weekday constants carry Wippy's names (not Go's)", () => {
    expect(r.layouts).toEqual([
      '2006-01-02 15:04:05', '2006-01-02', '15:04:05', '2006-01-02T15:04:05.999999999Z07:00', '3:04PM',
      'Jan _2 15:04:05.000',
    ]);
    expect(r.go_names_absent).toEqual([true, true, true]);
    expect(r.months).toEqual([1, 6, 12]);
    expect(r.weekdays).toEqual([0, 3, 6]);
  });

  test('time.utc and time.localtz are Locations; time.date and in_local use them', () => {
    expect(r.locations).toEqual(['UTC', 'Local', true]);
    expect(r.dated).toBe('UTC');
    expect(r.in_local).toBe(true);
    expect(r.parse_local).toBe(true);
  });

  test('Time:round rounds to the nearest multiple since the zero time (halfway up); truncate agrees', () => {
    expect(r.round).toEqual([
      '2024-01-01T12:34:57.000Z', '2024-01-01T12:35:00.000Z', '2024-01-01T12:34:57.000Z',
      '2024-01-01T12:34:56.000Z', '2024-01-01T12:34:56.789Z', '2024-01-01T12:00:00.000Z',
    ]);
    expect(r.truncate).toEqual(['2024-01-01T12:34:00.000Z', '2024-01-01T12:00:00.000Z']);
  });

  test('parse, duration and location errors are never retryable; an empty location name is Invalid', () => {
    expect(r.errors).toEqual({
      parse: [true, 'Invalid', false, 'parsing time "invalid-date" as "2006-01-02": cannot parse "invalid-date" as "2006"'],
      duration: [true, 'Invalid', false, 'time: invalid duration "invalid"'],
      location: [true, 'NotFound', false, 'unknown time zone Invalid/Location'],
      empty_location: [true, 'Invalid', false, 'empty location name'],
      after: [true, 'Invalid', false, 'time.after: duration must be > 0'],
      ticker: [true, 'Invalid', false, 'time: invalid duration "bogus"'],
    });
    expect(r.parse_context_in_stack).toBe(true);
  });
});
