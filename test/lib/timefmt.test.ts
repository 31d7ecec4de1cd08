import {
  addDuration,
  civil,
  dateOf,
  fixedZone,
  formatTime,
  fromUnix,
  inLocation,
  Instant,
  LAYOUTS,
  Local,
  loadLocation,
  Location,
  LocationError,
  now,
  parseTime,
  subInstants,
  TimeParseError,
  unixNano,
  UTC,
} from '../../src/lib/timefmt';
import { DATE_CASES, FORMAT_CASES, FORMAT_LAYOUTS, LocSpec, PARSE_CASES, ZONE_CASES } from './go-time-cases';

const locOf = (spec: LocSpec): Location => (typeof spec === 'string' ? loadLocation(spec) : fixedZone(spec[0], spec[1]));
const describeLoc = (spec: LocSpec): string => (typeof spec === 'string' ? spec : `fixed(${spec[0]},${spec[1]})`);

describe('layout constants', () => {
  test('match Go', () => {
    expect(Object.keys(LAYOUTS)).toEqual([
      'Layout', 'ANSIC', 'UnixDate', 'RubyDate', 'RFC822', 'RFC822Z', 'RFC850', 'RFC1123', 'RFC1123Z', 'RFC3339',
      'RFC3339Nano', 'Kitchen', 'Stamp', 'StampMilli', 'StampMicro', 'StampNano', 'DateTime', 'DateOnly', 'TimeOnly',
    ]);
    expect(Object.values(LAYOUTS)).toEqual(FORMAT_LAYOUTS.slice(0, 19));
  });
});

describe('formatTime matches Time.Format', () => {
  const rows = FORMAT_CASES.flatMap(({ sec, nsec, loc, out }) =>
    FORMAT_LAYOUTS.map((layout, i): [string, number, number, string, string, LocSpec] => [
      describeLoc(loc), sec, nsec, layout, out[i], loc,
    ]),
  );
  test.each(rows)('%s %d.%d %j', (_name, sec, nsec, layout, want, loc) => {
    expect(formatTime(fromUnix(sec, nsec, locOf(loc)), layout)).toBe(want);
  });

  test('Go example instant (Thu Feb 4 21:00:57.0123456 PST 2009)', () => {
    const t = fromUnix(0, 1233810057012345600, loadLocation('America/Los_Angeles'));
    expect(formatTime(t, LAYOUTS.RFC3339Nano)).toBe('2009-02-04T21:00:57.0123456-08:00');
    expect(formatTime(t, LAYOUTS.UnixDate)).toBe('Wed Feb  4 21:00:57 PST 2009');
  });
});

describe('parseTime matches time.ParseInLocation', () => {
  test.each(PARSE_CASES.map(([layout, value, loc, want]) => [describeLoc(loc), layout, value, loc, want] as const))(
    '%s %j %j',
    (_name, layout, value, loc, want) => {
      if (typeof want === 'string') {
        expect(() => parseTime(layout, value, locOf(loc))).toThrow(want);
        return;
      }
      const t = parseTime(layout, value, locOf(loc));
      const c = civil(t);
      expect({ sec: t.sec, nsec: t.nsec, offset: c.offsetSec, abbr: c.abbr, locName: t.loc.name }).toEqual(want);
    },
  );

  test('errors are TimeParseError with Go fields', () => {
    let err: unknown;
    try {
      parseTime(LAYOUTS.ANSIC, 'Thu Feb  4 21:00:57 @2010');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TimeParseError);
    const pe = err as TimeParseError;
    expect([pe.layout, pe.value, pe.layoutElem, pe.valueElem, pe.detail]).toEqual([
      LAYOUTS.ANSIC, 'Thu Feb  4 21:00:57 @2010', '2006', '@2010', '',
    ]);
    expect(pe.message).toBe(
      'parsing time "Thu Feb  4 21:00:57 @2010" as "Mon Jan _2 15:04:05 2006": cannot parse "@2010" as "2006"',
    );
  });
});

describe('parseTime without a location (time.Parse)', () => {
  // Local is whatever zone this process runs in, so only Local-independent facts are checked.
  test('no zone in the value means UTC', () => {
    const t = parseTime(LAYOUTS.DateTime, '2010-02-04 21:00:57');
    expect(t.loc).toBe(UTC);
    expect(t.sec).toBe(1265317257);
  });

  test('"Z" means UTC', () => {
    const t = parseTime(LAYOUTS.RFC3339Nano, '2010-02-04T21:00:57.5Z');
    expect([t.sec, t.nsec, t.loc]).toEqual([1265317257, 500000000, UTC]);
  });

  test('numeric offsets give the same instant whichever zone is local', () => {
    const t = parseTime(LAYOUTS.RFC3339, '2010-02-04T21:00:57-08:00');
    expect(t.sec).toBe(1265346057);
    expect(civil(t).offsetSec).toBe(-28800);
    expect(t.loc === Local || t.loc.name === '').toBe(true);
  });
});

describe('dateOf matches time.Date normalisation', () => {
  test.each(DATE_CASES.map((c) => [c.args.join(','), describeLoc(c.loc), c] as const))('Date(%s) in %s', (_a, _l, c) => {
    const [y, mo, d, h, mi, s, ns] = c.args;
    const t = dateOf(y, mo, d, h, mi, s, ns, locOf(c.loc));
    expect([t.sec, t.nsec]).toEqual([c.sec, c.nsec]);
    expect(formatTime(t, '2006-01-02 15:04:05.999999999 -0700 MST Mon 002')).toBe(c.text);
  });
});

describe('locations', () => {
  // Offsets always match Go. Abbreviations come from ICU, which lacks some of
  // tzdata's names; these are the known differences (see src/lib/timezone.ts).
  const ABBR_GAPS: Record<string, string> = {
    'America/Anchorage@0': '-10', // Go: AHST
    'Africa/Johannesburg@-3786825600': '+0152', // Go: LMT
    'Asia/Dubai@1705276800': 'GST', // Go: +04
    'Asia/Dubai@1721001600': 'GST', // Go: +04
    'Asia/Dubai@1710054000': 'GST', // Go: +04
    'Asia/Dubai@0': 'GST', // Go: +04
    'Asia/Tokyo@1705276800': '+09', // Go: JST
    'Asia/Tokyo@1721001600': '+09', // Go: JST
    'Asia/Tokyo@1710054000': '+09', // Go: JST
    'Asia/Tokyo@0': '+09', // Go: JST
    'Asia/Kolkata@1705276800': '+0530', // Go: IST
    'Asia/Kolkata@1721001600': '+0530', // Go: IST
    'Asia/Kolkata@1710054000': '+0530', // Go: IST
    'Asia/Kolkata@0': '+0530', // Go: IST
    'Asia/Shanghai@1705276800': '+08', // Go: CST
    'Asia/Shanghai@1721001600': '+08', // Go: CST
    'Asia/Shanghai@1710054000': '+08', // Go: CST
    'Asia/Shanghai@0': '+08', // Go: CST
    'Europe/Moscow@1705276800': '+03', // Go: MSK
    'Europe/Moscow@1721001600': '+03', // Go: MSK
    'Europe/Moscow@1710054000': '+03', // Go: MSK
    'Europe/Moscow@0': '+03', // Go: MSK
    'America/St_Johns@1705276800': '-0330', // Go: NST
    'America/St_Johns@1721001600': '-0230', // Go: NDT
    'America/St_Johns@1710054000': '-0230', // Go: NDT
    'America/St_Johns@0': '-0330', // Go: NST
  };
  test.each(ZONE_CASES)('%s at %d is %s (%d)', (zone, sec, abbr, offset) => {
    expect(loadLocation(zone).offsetAt(sec)).toEqual({ abbr: ABBR_GAPS[`${zone}@${sec}`] ?? abbr, offsetSec: offset });
  });

  test('special names', () => {
    expect(loadLocation('')).toBe(UTC);
    expect(loadLocation('UTC')).toBe(UTC);
    expect(loadLocation('Local')).toBe(Local);
    expect(loadLocation('Europe/Paris')).toBe(loadLocation('Europe/Paris'));
    expect(loadLocation('Europe/Paris').name).toBe('Europe/Paris');
    expect(UTC.offsetAt(0)).toEqual({ abbr: 'UTC', offsetSec: 0 });
    const tz = process.env.TZ;
    if (tz === undefined) expect(Local.name).toBe('Local');
    else if (tz === '' || tz === 'UTC') expect(Local.name).toBe('UTC');
  });

  test('bad names throw Go messages', () => {
    expect(() => loadLocation('Mars/Olympus_Mons')).toThrow(new LocationError('unknown time zone Mars/Olympus_Mons'));
    expect(() => loadLocation('+05:00')).toThrow('unknown time zone +05:00');
    expect(() => loadLocation('../etc/passwd')).toThrow('time: invalid location name');
    expect(() => loadLocation('/etc/localtime')).toThrow('time: invalid location name');
  });

  test('fixed zones', () => {
    const z = fixedZone('XYZ', -12345);
    expect(z.name).toBe('XYZ');
    expect(z.offsetAt(1e9)).toEqual({ abbr: 'XYZ', offsetSec: -12345 });
  });

  test('Local follows the process zone', () => {
    const zone = new Intl.DateTimeFormat().resolvedOptions().timeZone;
    for (const sec of [0, 1e9, 1705276800, 1721001600]) {
      const got = Local.offsetAt(sec);
      expect(got.offsetSec).toBe(-new Date(sec * 1000).getTimezoneOffset() * 60 + 0);
      if (zone !== 'Etc/Unknown') expect(got).toEqual(loadLocation(zone).offsetAt(sec));
    }
  });
});

describe('calendar helpers', () => {
  const ny = loadLocation('America/New_York');

  test('civil fields', () => {
    const t = dateOf(2024, 3, 10, 3, 4, 5, 6, ny);
    expect(civil(t)).toEqual({
      year: 2024, month: 3, day: 10, hour: 3, minute: 4, second: 5, nsec: 6,
      weekday: 0, yearDay: 70, offsetSec: -4 * 3600, abbr: 'EDT',
    });
    expect(civil(fromUnix(-1, 0, UTC))).toMatchObject({ year: 1969, month: 12, day: 31, hour: 23, weekday: 3, yearDay: 365 });
  });

  test('addDuration crosses the DST change on the absolute timeline', () => {
    const before = dateOf(2024, 3, 10, 1, 59, 59, 999999999, ny);
    const after = addDuration(before, 1);
    expect(formatTime(after, '15:04:05.000000000 MST')).toBe('03:00:00.000000000 EDT');
    expect(subInstants(after, before)).toBe(1);
    const back = addDuration(after, -1.5e9);
    expect(formatTime(back, '15:04:05.000 MST')).toBe('01:59:58.500 EST');
    expect(subInstants(back, after)).toBe(-1.5e9);
  });

  test('fromUnix normalises nanoseconds and defaults to Local', () => {
    expect(fromUnix(10, -1)).toEqual({ sec: 9, nsec: 999999999, loc: Local });
    expect(fromUnix(10, 2.5e9, UTC)).toEqual({ sec: 12, nsec: 500000000, loc: UTC });
  });

  test('unixNano and inLocation', () => {
    const t = fromUnix(1, 5, UTC);
    expect(unixNano(t)).toBe(1_000_000_005);
    const moved: Instant = inLocation(t, ny);
    expect([moved.sec, moved.nsec, moved.loc]).toEqual([1, 5, ny]);
    expect(formatTime(moved, LAYOUTS.RFC3339Nano)).toBe('1969-12-31T19:00:01.000000005-05:00');
  });

  test('now is close to Date.now, nanosecond-precise and non-decreasing', () => {
    const a = now();
    const b = now();
    expect(a.loc).toBe(Local);
    expect(Math.abs(unixNano(a) / 1e6 - Date.now())).toBeLessThan(1000);
    expect(subInstants(b, a)).toBeGreaterThanOrEqual(0);
    expect(Number.isInteger(a.nsec) && a.nsec >= 0 && a.nsec < 1e9).toBe(true);
  });
});
