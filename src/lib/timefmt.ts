/**
 * Pure-TS mirror of Go's `time` package for the Lua `time` module: layouts,
 * Time.Format, time.Parse, locations and calendar helpers. This is the entry
 * point the bindings import; the pieces live in calendar / timezone / layout /
 * timeparse to keep each file readable.
 */
import { civil, Instant } from './calendar';
import { compileLayout, LONG_DAY_NAMES, LONG_MONTH_NAMES, Std } from './layout';

export {
  addDuration,
  civil,
  dateOf,
  daysIn,
  fromUnix,
  inLocation,
  isLeap,
  now,
  subInstants,
  unixNano,
} from './calendar';
export type { Civil, Instant } from './calendar';
export { LAYOUTS } from './layout';
export type { LayoutName } from './layout';
export { parseTime, TimeParseError } from './timeparse';
export { fixedZone, Local, loadLocation, LocationError, UTC } from './timezone';
export type { Location, ZoneInfo } from './timezone';

/** Go's appendInt: decimal x, zero-padded to `width` digits after any minus sign. */
function pad(x: number, width: number): string {
  const digits = String(Math.abs(x)).padStart(width, '0');
  return x < 0 ? '-' + digits : digits;
}

/** Go's appendNano: fractional second with separator; FracSecond9 trims zeros. */
function fraction(nsec: number, std: Std): string {
  const trim = std.kind === 'FracSecond9';
  if (trim && (std.digits === 0 || nsec === 0)) return '';
  let digits = pad(nsec, 9);
  if (std.digits < 9) digits = digits.slice(0, std.digits);
  if (trim) {
    digits = digits.replace(/0+$/, '');
    if (digits === '') return '';
  }
  return std.sep + digits;
}

/** Numeric zone offset for the -0700 / Z07:00 family of layout elements. */
function zoneOffset(offset: number, std: Std): string {
  const kind = std.kind;
  // Only the Z-variants print "Z" for UTC (ISO 8601).
  if (offset === 0 && kind.startsWith('ISO8601')) return 'Z';
  let zone = Math.trunc(offset / 60); // minutes
  // Like Go, the seconds keep their sign when |offset| < 1 minute ("+0000-30").
  const secs = zone < 0 ? -offset : offset;
  let out = '+';
  if (zone < 0) {
    out = '-';
    zone = -zone;
  }
  out += pad(Math.floor(zone / 60), 2);
  const colon = kind.includes('Colon');
  if (colon) out += ':';
  if (!kind.includes('Short')) out += pad(zone % 60, 2);
  if (kind.includes('Seconds')) out += (colon ? ':' : '') + pad(secs % 60, 2);
  return out;
}

/**
 * Go's `Time.Format(layout)`: every reference-time element of the layout is
 * replaced by the corresponding field of t in t's location; other text is
 * copied verbatim.
 */
export function formatTime(t: Instant, layout: string): string {
  const c = civil(t);
  const hour12 = c.hour % 12 === 0 ? 12 : c.hour % 12; // noon is 12PM, midnight 12AM
  let out = '';
  for (const { prefix, std } of compileLayout(layout)) {
    out += prefix;
    if (std === null) break;
    switch (std.kind) {
      case 'Year':
        out += pad(Math.abs(c.year) % 100, 2);
        break;
      case 'LongYear':
        out += pad(c.year, 4);
        break;
      case 'Month':
        out += LONG_MONTH_NAMES[c.month - 1].slice(0, 3);
        break;
      case 'LongMonth':
        out += LONG_MONTH_NAMES[c.month - 1];
        break;
      case 'NumMonth':
        out += c.month;
        break;
      case 'ZeroMonth':
        out += pad(c.month, 2);
        break;
      case 'WeekDay':
        out += LONG_DAY_NAMES[c.weekday].slice(0, 3);
        break;
      case 'LongWeekDay':
        out += LONG_DAY_NAMES[c.weekday];
        break;
      case 'Day':
        out += c.day;
        break;
      case 'UnderDay':
        out += (c.day < 10 ? ' ' : '') + c.day;
        break;
      case 'ZeroDay':
        out += pad(c.day, 2);
        break;
      case 'UnderYearDay':
        out += String(c.yearDay).padStart(3, ' ');
        break;
      case 'ZeroYearDay':
        out += pad(c.yearDay, 3);
        break;
      case 'Hour':
        out += pad(c.hour, 2);
        break;
      case 'Hour12':
        out += hour12;
        break;
      case 'ZeroHour12':
        out += pad(hour12, 2);
        break;
      case 'Minute':
        out += c.minute;
        break;
      case 'ZeroMinute':
        out += pad(c.minute, 2);
        break;
      case 'Second':
        out += c.second;
        break;
      case 'ZeroSecond':
        out += pad(c.second, 2);
        break;
      case 'PM':
        out += c.hour >= 12 ? 'PM' : 'AM';
        break;
      case 'pm':
        out += c.hour >= 12 ? 'pm' : 'am';
        break;
      case 'TZ':
        // A zone without a name (e.g. FixedZone("", ...)) prints as -0700.
        out += c.abbr !== '' ? c.abbr : zoneOffset(c.offsetSec, { kind: 'NumTZ', digits: 0, sep: '.' });
        break;
      case 'FracSecond0':
      case 'FracSecond9':
        out += fraction(c.nsec, std);
        break;
      default:
        out += zoneOffset(c.offsetSec, std);
    }
  }
  return out;
}
