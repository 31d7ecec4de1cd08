/**
 * Instants and Go's proleptic-Gregorian calendar arithmetic (time.Date,
 * Time.Add, Time.Sub, field accessors) on `{ sec, nsec, loc }` values.
 */
import { Local, Location } from './timezone';

export interface Instant {
  /** Unix seconds, integer-valued. */
  sec: number;
  /** 0 ≤ nsec < 1e9. */
  nsec: number;
  loc: Location;
}

/** Wall-clock fields of an instant in its location, as Go's accessors report them. */
export interface Civil {
  year: number;
  /** 1 = January. */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  nsec: number;
  /** 0 = Sunday, like Go's time.Weekday. */
  weekday: number;
  /** 1..366. */
  yearDay: number;
  offsetSec: number;
  abbr: string;
}

const SECONDS_PER_DAY = 86400;

export const isLeap = (year: number): boolean => year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);

const DAYS_BEFORE = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365];

/** Days in `month` (1..12) of `year`. */
export function daysIn(month: number, year: number): number {
  if (month === 2 && isLeap(year)) return 29;
  return DAYS_BEFORE[month] - DAYS_BEFORE[month - 1];
}

/** Days before the first of `month` (1..13) in a non-leap year, as Go's daysBefore. */
export const daysBefore = (month: number): number => DAYS_BEFORE[month - 1];

// Day-count conversions from Howard Hinnant's "chrono-compatible low-level date
// algorithms": exact for negative years and far beyond 0000..9999.
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/** Go's norm: move whole multiples of `base` from lo into hi so that 0 ≤ lo < base. */
function norm(hi: number, lo: number, base: number): [number, number] {
  const carry = Math.floor(lo / base);
  return [hi + carry, lo - carry * base];
}

function instant(sec: number, nsec: number, loc: Location): Instant {
  const [s, n] = norm(sec, nsec, 1e9);
  return { sec: s + 0, nsec: n + 0, loc };
}

/** Go's `time.Unix(sec, nsec)`, in Local unless another location is given. */
export function fromUnix(sec: number, nsec = 0, loc: Location = Local): Instant {
  return instant(Math.trunc(sec), Math.trunc(nsec), loc);
}

/**
 * Go's `time.Date`: out-of-range fields carry over (month 13 is January of the
 * next year, second -1 is the last second of the previous minute, ...). A wall
 * time skipped or repeated by a zone transition resolves exactly as in Go.
 */
export function dateOf(
  year: number,
  month: number,
  day: number,
  hour: number,
  min: number,
  sec: number,
  nsec: number,
  loc: Location,
): Instant {
  let [y, m] = norm(Math.trunc(year), Math.trunc(month) - 1, 12);
  let [s, ns] = norm(Math.trunc(sec), Math.trunc(nsec), 1e9);
  let mi: number;
  let h: number;
  let d: number;
  [mi, s] = norm(Math.trunc(min), s, 60);
  [h, mi] = norm(Math.trunc(hour), mi, 60);
  [d, h] = norm(Math.trunc(day), h, 24);
  m += 1;

  let unix = (daysFromCivil(y, m, 1) + d - 1) * SECONDS_PER_DAY + h * 3600 + mi * 60 + s;

  // Go looks up the zone treating the wall time as UTC first, then corrects once
  // if the resulting instant falls in a different zone period.
  const guess = loc.offsetAt(unix).offsetSec;
  if (guess !== 0) unix -= loc.offsetAt(unix - guess).offsetSec;
  return instant(unix, ns, loc);
}

/** Go's `Time.Add`; `ns` is truncated to whole nanoseconds. */
export function addDuration(t: Instant, ns: number): Instant {
  const whole = Math.trunc(ns);
  const secs = Math.trunc(whole / 1e9);
  return instant(t.sec + secs, t.nsec + (whole - secs * 1e9), t.loc);
}

/** Go's `Time.Sub` in nanoseconds (not clamped to int64; large spans lose precision). */
export function subInstants(a: Instant, b: Instant): number {
  return (a.sec - b.sec) * 1e9 + (a.nsec - b.nsec);
}

/** Nanoseconds since the epoch; loses precision beyond 2^53 ns (~104 days), as allowed. */
export function unixNano(t: Instant): number {
  return t.sec * 1e9 + t.nsec;
}

/** Go's `Time.In`: same instant, shown in another location. */
export function inLocation(t: Instant, loc: Location): Instant {
  return { sec: t.sec, nsec: t.nsec, loc };
}

export function civil(t: Instant): Civil {
  const { abbr, offsetSec } = t.loc.offsetAt(t.sec);
  const local = t.sec + offsetSec;
  const days = Math.floor(local / SECONDS_PER_DAY);
  const secOfDay = local - days * SECONDS_PER_DAY;
  const { year, month, day } = civilFromDays(days);
  return {
    year,
    month,
    day,
    hour: Math.floor(secOfDay / 3600),
    minute: Math.floor(secOfDay / 60) % 60,
    second: secOfDay % 60,
    nsec: t.nsec,
    weekday: (((days + 4) % 7) + 7) % 7, // 1970-01-01 was a Thursday
    yearDay: days - daysFromCivil(year, 1, 1) + 1,
    offsetSec,
    abbr,
  };
}

// The wall clock is read once and advanced with the monotonic high-resolution
// clock, which gives nanosecond digits Date.now() lacks and never steps back.
// hrtime stops while the machine sleeps, so re-anchor if we drift from the wall clock.
let anchorWallNs = BigInt(Date.now()) * 1_000_000n;
let anchorHr = process.hrtime.bigint();
const MAX_DRIFT_NS = 1_000_000_000n;

/** Go's `time.Now()`, in Local. */
export function now(): Instant {
  let ns = anchorWallNs + (process.hrtime.bigint() - anchorHr);
  const wallNs = BigInt(Date.now()) * 1_000_000n;
  const drift = ns - wallNs;
  if (drift > MAX_DRIFT_NS || drift < -MAX_DRIFT_NS) {
    anchorWallNs = wallNs;
    anchorHr = process.hrtime.bigint();
    ns = wallNs;
  }
  return instant(Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n), Local);
}
