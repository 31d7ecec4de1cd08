/**
 * Go's `time.Parse` / `time.ParseInLocation`, ported from src/time/format.go
 * with the same leniencies (any run of spaces matches a space, case-insensitive
 * month and day names, an unrequested fractional second after the seconds)
 * and the same error texts.
 */
import { dateOf, daysBefore, daysIn, Instant, isLeap } from './calendar';
import { goQuote } from './goquote';
import {
  compileLayout,
  isDigitAt,
  LONG_DAY_NAMES,
  LONG_MONTH_NAMES,
  SHORT_DAY_NAMES,
  SHORT_MONTH_NAMES,
  StdKind,
} from './layout';
import { atoi, commaOrPeriod, getnum, getnum3, lookup, parseNanoseconds, parseTimeZone, skip } from './timelex';
import { fixedZone, Local, Location, lookupZoneName, UTC } from './timezone';

/** Go's `time.ParseError`; `message` is exactly Go's `Error()` text. */
export class TimeParseError extends Error {
  constructor(
    readonly layout: string,
    readonly value: string,
    readonly layoutElem: string,
    readonly valueElem: string,
    /** Go's ParseError.Message: "" or e.g. ": day out of range". */
    readonly detail: string,
  ) {
    super(
      detail === ''
        ? `parsing time ${goQuote(value)} as ${goQuote(layout)}: ` +
            `cannot parse ${goQuote(valueElem)} as ${goQuote(layoutElem)}`
        : `parsing time ${goQuote(value)}${detail}`,
    );
    this.name = 'TimeParseError';
  }
}

const ISO_TZ: ReadonlySet<StdKind> = new Set([
  'ISO8601TZ',
  'ISO8601SecondsTZ',
  'ISO8601ShortTZ',
  'ISO8601ColonTZ',
  'ISO8601ColonSecondsTZ',
]);

/** Splits a numeric zone offset per layout kind; null when the shape is wrong. */
function splitOffset(kind: StdKind, v: string): { parts: [string, string, string, string]; rest: string } | null {
  switch (kind) {
    case 'ISO8601ColonTZ':
    case 'NumColonTZ':
      if (v.length < 6 || v[3] !== ':') return null;
      return { parts: [v[0], v.slice(1, 3), v.slice(4, 6), '00'], rest: v.slice(6) };
    case 'ISO8601ShortTZ':
    case 'NumShortTZ':
      if (v.length < 3) return null;
      return { parts: [v[0], v.slice(1, 3), '00', '00'], rest: v.slice(3) };
    case 'ISO8601ColonSecondsTZ':
    case 'NumColonSecondsTZ':
      if (v.length < 9 || v[3] !== ':' || v[6] !== ':') return null;
      return { parts: [v[0], v.slice(1, 3), v.slice(4, 6), v.slice(7, 9)], rest: v.slice(9) };
    case 'ISO8601SecondsTZ':
    case 'NumSecondsTZ':
      if (v.length < 7) return null;
      return { parts: [v[0], v.slice(1, 3), v.slice(3, 5), v.slice(5, 7)], rest: v.slice(7) };
    default:
      if (v.length < 5) return null;
      return { parts: [v[0], v.slice(1, 3), v.slice(3, 5), '00'], rest: v.slice(5) };
  }
}

/**
 * Go's `time.Parse(layout, value)` when `loc` is omitted (no zone in the value
 * means UTC; offsets and abbreviations are matched against Local), else
 * `time.ParseInLocation(layout, value, loc)`. Throws {@link TimeParseError}.
 */
export function parseTime(layout: string, value: string, loc?: Location): Instant {
  return parse(layout, value, loc ?? UTC, loc ?? Local);
}

function parse(alayout: string, avalue: string, defaultLocation: Location, local: Location): Instant {
  let value = avalue;
  let rangeErr = '';
  let amSet = false;
  let pmSet = false;
  let year = 0;
  let month = -1;
  let day = -1;
  let yday = -1;
  let hour = 0;
  let min = 0;
  let sec = 0;
  let nsec = 0;
  let z: Location | null = null;
  let zoneOffset = -1;
  let zoneName = '';
  const fail = (layoutElem: string, valueElem: string, detail = ''): TimeParseError =>
    new TimeParseError(alayout, avalue, layoutElem, valueElem, detail);

  const elems = compileLayout(alayout);
  for (let e = 0; e < elems.length; e++) {
    const { prefix, std, text: stdstr } = elems[e];
    const skipped = skip(value, prefix);
    value = skipped.rest;
    if (!skipped.ok) throw fail(prefix, value);
    if (std === null) {
      if (value.length !== 0) throw fail('', value, `: extra text: ${goQuote(value)}`);
      break;
    }
    const hold = value;
    let ok = true;
    let n: number;

    switch (std.kind) {
      case 'Year':
        if (value.length < 2) {
          ok = false;
          break;
        }
        n = atoi(value.slice(0, 2));
        value = value.slice(2);
        if (Number.isNaN(n)) ok = false;
        else year = n >= 69 ? n + 1900 : n + 2000; // Unix time starts Dec 31 1969 in some zones
        break;
      case 'LongYear':
        if (value.length < 4 || !isDigitAt(value, 0)) {
          ok = false;
          break;
        }
        n = atoi(value.slice(0, 4));
        value = value.slice(4);
        if (Number.isNaN(n)) ok = false;
        else year = n;
        break;
      case 'Month':
      case 'LongMonth':
        [n, value] = lookup(std.kind === 'Month' ? SHORT_MONTH_NAMES : LONG_MONTH_NAMES, value);
        month = n + 1;
        ok = n >= 0;
        break;
      case 'NumMonth':
      case 'ZeroMonth':
        [month, value] = getnum(value, std.kind === 'ZeroMonth');
        ok = !Number.isNaN(month);
        if (ok && (month <= 0 || month > 12)) rangeErr = 'month';
        break;
      case 'WeekDay':
      case 'LongWeekDay':
        // The weekday is checked for syntax only.
        [n, value] = lookup(std.kind === 'WeekDay' ? SHORT_DAY_NAMES : LONG_DAY_NAMES, value);
        ok = n >= 0;
        break;
      case 'Day':
      case 'UnderDay':
      case 'ZeroDay':
        if (std.kind === 'UnderDay' && value[0] === ' ') value = value.slice(1);
        // Any 1-2 digit day is accepted here; it is validated against the month at the end.
        [day, value] = getnum(value, std.kind === 'ZeroDay');
        ok = !Number.isNaN(day);
        break;
      case 'UnderYearDay':
      case 'ZeroYearDay':
        for (let i = 0; i < 2; i++) if (std.kind === 'UnderYearDay' && value[0] === ' ') value = value.slice(1);
        [yday, value] = getnum3(value, std.kind === 'ZeroYearDay');
        ok = !Number.isNaN(yday);
        break;
      case 'Hour':
        [hour, value] = getnum(value, false);
        ok = !Number.isNaN(hour);
        if (hour < 0 || hour >= 24) rangeErr = 'hour';
        break;
      case 'Hour12':
      case 'ZeroHour12':
        [hour, value] = getnum(value, std.kind === 'ZeroHour12');
        ok = !Number.isNaN(hour);
        if (hour < 0 || hour > 12) rangeErr = 'hour';
        break;
      case 'Minute':
      case 'ZeroMinute':
        [min, value] = getnum(value, std.kind === 'ZeroMinute');
        ok = !Number.isNaN(min);
        if (min < 0 || min >= 60) rangeErr = 'minute';
        break;
      case 'Second':
      case 'ZeroSecond': {
        [sec, value] = getnum(value, std.kind === 'ZeroSecond');
        ok = !Number.isNaN(sec);
        if (!ok) break;
        if (sec < 0 || sec >= 60) {
          rangeErr = 'second';
          break;
        }
        // A fractional second in the value is accepted even if the layout has none.
        if (value.length >= 2 && commaOrPeriod(value[0]) && isDigitAt(value, 1)) {
          const next = elems[e + 1].std;
          if (next !== null && (next.kind === 'FracSecond0' || next.kind === 'FracSecond9')) break;
          let end = 2;
          while (isDigitAt(value, end)) end++;
          const r = parseNanoseconds(value, end);
          [nsec, rangeErr, ok] = [r.ns, r.rangeErr, r.ok];
          value = value.slice(end);
        }
        break;
      }
      case 'PM':
      case 'pm': {
        if (value.length < 2) {
          ok = false;
          break;
        }
        const p = value.slice(0, 2);
        value = value.slice(2);
        const [pm, am] = std.kind === 'PM' ? ['PM', 'AM'] : ['pm', 'am'];
        if (p === pm) pmSet = true;
        else if (p === am) amSet = true;
        else ok = false;
        break;
      }
      case 'TZ': {
        if (value.startsWith('UTC')) {
          z = UTC;
          value = value.slice(3);
          break;
        }
        const len = parseTimeZone(value);
        if (len === 0) {
          ok = false;
          break;
        }
        zoneName = value.slice(0, len);
        value = value.slice(len);
        break;
      }
      case 'FracSecond0': {
        // Exactly as many digits as the layout asks for.
        const ndigit = 1 + std.digits;
        if (value.length < ndigit) {
          ok = false;
          break;
        }
        const r = parseNanoseconds(value, ndigit);
        [nsec, rangeErr, ok] = [r.ns, r.rangeErr, r.ok];
        value = value.slice(ndigit);
        break;
      }
      case 'FracSecond9': {
        if (value.length < 2 || !commaOrPeriod(value[0]) || !isDigitAt(value, 1)) break; // omitted
        // Any number of digits, even more than the layout shows, like the Second case.
        let i = 0;
        while (isDigitAt(value, i + 1)) i++;
        const r = parseNanoseconds(value, 1 + i);
        [nsec, rangeErr, ok] = [r.ns, r.rangeErr, r.ok];
        value = value.slice(1 + i);
        break;
      }
      default: {
        // Numeric zone offsets; the Z-variants also accept a literal "Z" for UTC.
        if (ISO_TZ.has(std.kind) && value[0] === 'Z') {
          value = value.slice(1);
          z = UTC;
          break;
        }
        const split = splitOffset(std.kind, value);
        if (split === null) {
          ok = false;
          break;
        }
        const [sign, hh, mm, ss] = split.parts;
        value = split.rest;
        // Go stops at the first bad field and reads it as 0; NaN compares false the same way.
        const hr = getnum(hh, true)[0];
        const mi = Number.isNaN(hr) ? NaN : getnum(mm, true)[0];
        const se = Number.isNaN(mi) ? NaN : getnum(ss, true)[0];
        ok = !Number.isNaN(se) && (sign === '+' || sign === '-');
        // Go uses > rather than >= here: offsets of 24h, 60m or 60s do get written.
        if (hr > 24) rangeErr = 'time zone offset hour';
        if (mi > 60) rangeErr = 'time zone offset minute';
        if (se > 60) rangeErr = 'time zone offset second';
        zoneOffset = ((hr * 60 + mi) * 60 + se) * (sign === '-' ? -1 : 1);
      }
    }
    if (rangeErr !== '') throw fail(stdstr, value, `: ${rangeErr} out of range`);
    if (!ok) throw fail(stdstr, hold);
  }

  if (pmSet && hour < 12) hour += 12;
  else if (amSet && hour === 12) hour = 0;

  if (yday >= 0) {
    let d = 0;
    let m = 0;
    if (isLeap(year)) {
      if (yday === 31 + 29) {
        m = 2;
        d = 29;
      } else if (yday > 31 + 29) {
        yday--;
      }
    }
    if (yday < 1 || yday > 365) throw fail('', value, ': day-of-year out of range');
    if (m === 0) {
      m = Math.floor((yday - 1) / 31) + 1;
      if (daysBefore(m + 1) < yday) m++;
      d = yday - daysBefore(m);
    }
    if (month >= 0 && month !== m) throw fail('', value, ': day-of-year does not match month');
    month = m;
    if (day >= 0 && day !== d) throw fail('', value, ': day-of-year does not match day');
    day = d;
  } else {
    if (month < 0) month = 1;
    if (day < 0) day = 1;
  }

  if (day < 1 || day > daysIn(month, year)) throw fail('', value, ': day out of range');

  if (z !== null) return dateOf(year, month, day, hour, min, sec, nsec, z);

  if (zoneOffset !== -1) {
    const utc = dateOf(year, month, day, hour, min, sec, nsec, UTC);
    const t = { sec: utc.sec - zoneOffset, nsec: utc.nsec };
    // Prefer the local location when it has this offset at that instant.
    const zone = local.offsetAt(t.sec);
    if (zone.offsetSec === zoneOffset && (zoneName === '' || zone.abbr === zoneName)) return { ...t, loc: local };
    return { ...t, loc: fixedZone(zoneName, zoneOffset) };
  }

  if (zoneName !== '') {
    const t = dateOf(year, month, day, hour, min, sec, nsec, UTC);
    const offset = lookupZoneName(local, zoneName, t.sec);
    if (offset !== undefined) return { sec: t.sec - offset, nsec: t.nsec, loc: local };
    // Unknown abbreviation: Go keeps the wall time and invents a zone with that name.
    // Only "GMT+h" carries an offset, and even then the instant is not shifted.
    let guessed = 0;
    if (zoneName.length > 3 && zoneName.startsWith('GMT')) guessed = atoi(zoneName.slice(3)) * 3600;
    return { sec: t.sec, nsec: t.nsec, loc: fixedZone(zoneName, guessed) };
  }

  return dateOf(year, month, day, hour, min, sec, nsec, defaultLocation);
}
