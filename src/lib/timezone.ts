/**
 * Go-style time zone locations (UTC, Local, FixedZone, LoadLocation) backed by
 * Intl instead of a tzdata reader, so they work wherever Node has ICU.
 *
 * Offsets are exact (ICU carries the IANA rules, down to LMT seconds).
 * Abbreviations are the weak spot: ICU only knows the names some English
 * locale commonly uses, so we ask a few locales and otherwise fall back to the
 * numeric names tzdata itself uses ("+09", "+0530"). Compared with Go over all
 * IANA zones that gives Go's name for ~90% of present-day dates (~70% before
 * 1970); the rest differ, e.g. Asia/Tokyo reads "+09" where Go prints "JST".
 */
import { BoundedMap } from '../util/bounded-map';

export interface ZoneInfo {
  /** Abbreviation as Go's "MST" layout chunk prints it; "" for an unnamed fixed zone. */
  abbr: string;
  /** Seconds east of UTC. */
  offsetSec: number;
}

export interface Location {
  name: string;
  /** Zone in effect at the given unix second. */
  offsetAt(sec: number): ZoneInfo;
}

/** Thrown by {@link loadLocation}; messages match Go's LoadLocation errors. */
export class LocationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LocationError';
  }
}

const UTC_ZONE: ZoneInfo = Object.freeze({ abbr: 'UTC', offsetSec: 0 });

export const UTC: Location = Object.freeze({ name: 'UTC', offsetAt: (): ZoneInfo => UTC_ZONE });

/** Go's `time.FixedZone`: `name` is both the location name and the abbreviation. */
export function fixedZone(name: string, offsetSec: number): Location {
  const zone: ZoneInfo = Object.freeze({ abbr: name, offsetSec: Math.trunc(offsetSec) + 0 });
  return Object.freeze({ name, offsetAt: (): ZoneInfo => zone });
}

/** Intl accepts dates within ±8.64e15 ms; outside that we reuse the zone at the edge. */
const MAX_SEC = 8.64e12;
const toMs = (sec: number): number => Math.min(MAX_SEC, Math.max(-MAX_SEC, Math.floor(sec))) * 1000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string, locale: string, timeZoneName: 'short' | 'longOffset'): Intl.DateTimeFormat {
  const key = `${timeZone}\0${locale}\0${timeZoneName}`;
  let f = formatters.get(key);
  if (f === undefined) {
    f = new Intl.DateTimeFormat(locale, { timeZone, timeZoneName });
    formatters.set(key, f);
  }
  return f;
}

function zoneNamePart(f: Intl.DateTimeFormat, ms: number): string {
  for (const part of f.formatToParts(ms)) if (part.type === 'timeZoneName') return part.value;
  return '';
}

/** Parses ICU's "GMT", "GMT+05:30", "GMT-04:56:02" into seconds east of UTC. */
function parseGmtOffset(s: string): number {
  const m = /^GMT([+\-\u2212])(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?$/.exec(s);
  if (m === null) return 0;
  const abs = Number(m[2]) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0);
  return m[1] === '+' ? abs : -abs;
}

/** tzdata's own spelling for zones without a letter abbreviation ("%z" in zic). */
function numericAbbr(offsetSec: number): string {
  const sign = offsetSec < 0 ? '-' : '+';
  const abs = Math.abs(offsetSec);
  const two = (n: number): string => String(n).padStart(2, '0');
  const h = Math.floor(abs / 3600);
  const m = Math.floor(abs / 60) % 60;
  const s = abs % 60;
  return sign + two(h) + (m !== 0 || s !== 0 ? two(m) : '') + (s !== 0 ? two(s) : '');
}

// Chosen by comparing with Go's tzdata names for every IANA zone: en-US knows
// the North American names, en-150 the European, en-ZA the African, en-AU the
// Australian; en-GB and en-IE add BST and Irish IST (at the price of Gulf
// zones reading "GST" where tzdata says "+04").
const ABBR_LOCALES = ['en-US', 'en-150', 'en-ZA', 'en-AU', 'en-GB', 'en-IE'];
const GMT_FORM = /^(GMT|UTC)[+\-\u2212]/;

// ICU attaches names to most zones only from about 1970 on; for earlier dates
// we borrow the name the zone uses for the same offset in a modern year.
const REFERENCE_MS = [Date.UTC(2001, 0, 15), Date.UTC(2001, 6, 15)];

function icuName(timeZone: string, ms: number): string | undefined {
  for (const locale of ABBR_LOCALES) {
    const name = zoneNamePart(formatter(timeZone, locale, 'short'), ms);
    if (name !== '' && !GMT_FORM.test(name)) return name;
  }
  return undefined;
}

const offsetOf = (timeZone: string, ms: number): number =>
  parseGmtOffset(zoneNamePart(formatter(timeZone, 'en-US', 'longOffset'), ms));

function computeAbbreviation(timeZone: string, ms: number, offsetSec: number): string {
  const name = icuName(timeZone, ms);
  if (name !== undefined) return name;
  for (const ref of REFERENCE_MS) {
    if (offsetOf(timeZone, ref) !== offsetSec) continue;
    const borrowed = icuName(timeZone, ref);
    if (borrowed !== undefined) return borrowed;
  }
  // Offsets with a seconds part only occur for pre-standard-time local mean time.
  if (offsetSec % 60 !== 0) return 'LMT';
  return numericAbbr(offsetSec);
}

// Finding a name can take a dozen Intl calls; a zone keeps its name for a
// given offset for years at a time, so cache per zone, offset and year.
const abbrCache = new BoundedMap<string, string>(10_000);
const MS_PER_YEAR = 31_556_952_000;

function abbreviation(timeZone: string, ms: number, offsetSec: number): string {
  const key = `${timeZone}\0${offsetSec}\0${Math.floor(ms / MS_PER_YEAR)}`;
  let abbr = abbrCache.get(key);
  if (abbr === undefined) {
    abbr = computeAbbreviation(timeZone, ms, offsetSec);
    abbrCache.set(key, abbr);
  }
  return abbr;
}

// Every tzdata transition since 1973 falls on a whole minute, so from then on a
// lookup holds for its whole minute; before that only the same second is reused.
const MINUTE_SAFE_FROM = 1e8;
const MAX_CACHED_MINUTES = 4096;

/** Memoises zone lookups, since each miss costs several Intl calls. */
class ZoneCache {
  private lastSec = NaN;
  private lastZone: ZoneInfo = UTC_ZONE;
  private readonly byMinute = new BoundedMap<number, ZoneInfo>(MAX_CACHED_MINUTES);

  lookup(sec: number, compute: (sec: number) => ZoneInfo): ZoneInfo {
    if (sec === this.lastSec) return this.lastZone;
    const minute = sec >= MINUTE_SAFE_FROM ? Math.floor(sec / 60) : NaN;
    let zone = this.byMinute.get(minute);
    if (zone === undefined) {
      zone = compute(sec);
      if (!Number.isNaN(minute)) {
        this.byMinute.set(minute, zone);
      }
    }
    this.lastSec = sec;
    this.lastZone = zone;
    return zone;
  }

  clear(): void {
    this.lastSec = NaN;
    this.byMinute.clear();
  }
}

class IanaLocation implements Location {
  private readonly cache = new ZoneCache();

  constructor(readonly name: string) {}

  offsetAt(sec: number): ZoneInfo {
    return this.cache.lookup(sec, (s) => {
      const ms = toMs(s);
      const offsetSec = offsetOf(this.name, ms);
      return { abbr: abbreviation(this.name, ms, offsetSec), offsetSec };
    });
  }
}

function isZoneName(name: string): boolean {
  try {
    formatter(name, 'en-US', 'longOffset');
    return true;
  } catch {
    return false;
  }
}

let systemZoneKey: string | undefined | null = null;
let systemZone = 'UTC';
const localCache = new ZoneCache();

/** Re-resolves the process zone when process.env.TZ changes (Node honours such changes). */
function syncSystemZone(): void {
  const key = process.env.TZ;
  if (key !== systemZoneKey) {
    systemZoneKey = key;
    systemZone = new Intl.DateTimeFormat().resolvedOptions().timeZone;
    localCache.clear();
  }
}

function localZone(sec: number): ZoneInfo {
  const ms = toMs(sec);
  // getTimezoneOffset is minutes west of UTC and cheap; Intl is only needed for the name.
  const offsetSec = Math.round(-new Date(ms).getTimezoneOffset() * 60) + 0;
  if (systemZone === 'Etc/Unknown') return offsetSec === 0 ? UTC_ZONE : { abbr: numericAbbr(offsetSec), offsetSec };
  return { abbr: abbreviation(systemZone, ms, offsetSec), offsetSec };
}

/** Go's `time.Local`: the process time zone (TZ, else the system default). */
export const Local: Location = Object.freeze({
  /** As Go names it: "Local" for the system default, else the TZ value, "UTC" if unusable. */
  get name(): string {
    const env = process.env.TZ;
    if (env === undefined) return 'Local';
    const tz = env.startsWith(':') ? env.slice(1) : env;
    if (tz.startsWith('/')) return tz === '/etc/localtime' ? 'Local' : tz;
    return tz !== '' && isZoneName(tz) ? tz : 'UTC';
  },
  offsetAt(sec: number): ZoneInfo {
    syncSystemZone();
    return localCache.lookup(sec, localZone);
  },
});

const loaded = new Map<string, Location>();

/**
 * Go's `time.LoadLocation`: "" and "UTC" give UTC, "Local" gives Local, any
 * other name must be an IANA zone known to ICU. Throws {@link LocationError}.
 */
export function loadLocation(name: string): Location {
  if (name === '' || name === 'UTC') return UTC;
  if (name === 'Local') return Local;
  if (name.includes('..') || name[0] === '/' || name[0] === '\\') {
    throw new LocationError('time: invalid location name');
  }
  let loc = loaded.get(name);
  if (loc !== undefined) return loc;
  // Newer ICU also accepts raw offsets such as "+05:00" as zone ids; Go does not.
  if (name[0] === '+' || name[0] === '-' || !isZoneName(name)) throw new LocationError(`unknown time zone ${name}`);
  loc = new IanaLocation(name);
  loaded.set(name, loc);
  return loc;
}

const AVERAGE_MONTH_SEC = 2_629_746;

/**
 * Go's `Location.lookupName`: the offset of a zone called `abbr` in `loc`,
 * preferring one actually in effect around `sec`. Go scans the zone's full
 * transition table; we can only probe, so we look at the year around `sec`.
 */
export function lookupZoneName(loc: Location, abbr: string, sec: number): number | undefined {
  const candidates: number[] = [];
  for (let k = -6; k <= 6; k++) {
    const zone = loc.offsetAt(sec + k * AVERAGE_MONTH_SEC);
    if (zone.abbr === abbr && !candidates.includes(zone.offsetSec)) candidates.push(zone.offsetSec);
  }
  for (const offset of candidates) {
    const zone = loc.offsetAt(sec - offset);
    if (zone.abbr === abbr) return zone.offsetSec;
  }
  return candidates[0];
}
