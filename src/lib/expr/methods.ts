/**
 * Methods of the Go values expressions can hold: time.Time (`date(...).Year()`), time.Duration
 * (`duration("1h").Seconds()`) and *time.Location. One table serves the checker (names, arity, result kind) and
 * the evaluator.
 */
import {
  durationHours,
  durationMicroseconds,
  durationMilliseconds,
  durationMinutes,
  durationSeconds,
  formatDuration,
} from '../duration';
import { addDuration, civil, dateOf, formatTime, inLocation, Local, subInstants, UTC } from '../timefmt';
import { formatGoTime } from './format';
import { Callable, Duration, fail, float, goType, int, Time, Zone, type Value } from './values';

/** The kind of value a method returns, for the checker. */
export type ResultKind = 'int' | 'float' | 'string' | 'bool' | 'time' | 'duration' | 'location';

interface Method<R> {
  readonly params: readonly ('int' | 'string' | 'time' | 'duration' | 'location')[];
  readonly result: ResultKind;
  readonly impl: (self: R, args: Value[]) => Value;
}

const time = (m: Method<Time>): Method<Time> => m;
const dur = (m: Method<Duration>): Method<Duration> => m;

function arg<T>(v: Value, check: (v: Value) => v is T & Value, type: string): T {
  return check(v) ? v : fail(`reflect: Call using ${goType(v)} as type ${type}`);
}
const isTime = (v: Value): v is Time => v instanceof Time;
const isDuration = (v: Value): v is Duration => v instanceof Duration;
const isZone = (v: Value): v is Zone => v instanceof Zone;
const isIntValue = (v: Value): v is number => typeof v === 'number' && Number.isInteger(v);
const isStringValue = (v: Value): v is string => typeof v === 'string';

export const TIME_METHODS: Record<string, Method<Time>> = {
  Year: time({ params: [], result: 'int', impl: (t) => civil(t.at).year }),
  Month: time({ params: [], result: 'int', impl: (t) => civil(t.at).month }),
  Day: time({ params: [], result: 'int', impl: (t) => civil(t.at).day }),
  Hour: time({ params: [], result: 'int', impl: (t) => civil(t.at).hour }),
  Minute: time({ params: [], result: 'int', impl: (t) => civil(t.at).minute }),
  Second: time({ params: [], result: 'int', impl: (t) => civil(t.at).second }),
  Nanosecond: time({ params: [], result: 'int', impl: (t) => t.at.nsec }),
  YearDay: time({ params: [], result: 'int', impl: (t) => civil(t.at).yearDay }),
  Weekday: time({ params: [], result: 'int', impl: (t) => civil(t.at).weekday }),
  Unix: time({ params: [], result: 'int', impl: (t) => t.at.sec }),
  UnixMilli: time({ params: [], result: 'int', impl: (t) => int(t.at.sec * 1000 + Math.floor(t.at.nsec / 1e6)) }),
  UnixMicro: time({ params: [], result: 'int', impl: (t) => int(t.at.sec * 1e6 + Math.floor(t.at.nsec / 1e3)) }),
  UnixNano: time({ params: [], result: 'int', impl: (t) => int(t.at.sec * 1e9 + t.at.nsec) }),
  Format: time({ params: ['string'], result: 'string', impl: (t, [layout]) => formatTime(t.at, arg(layout, isStringValue, 'string')) }),
  String: time({ params: [], result: 'string', impl: (t) => formatGoTime(t) }),
  In: time({ params: ['location'], result: 'time', impl: (t, [z]) => new Time(inLocation(t.at, arg(z, isZone, '*time.Location').loc)) }),
  UTC: time({ params: [], result: 'time', impl: (t) => new Time(inLocation(t.at, UTC)) }),
  Local: time({ params: [], result: 'time', impl: (t) => new Time(inLocation(t.at, Local)) }),
  Location: time({ params: [], result: 'location', impl: (t) => new Zone(t.at.loc) }),
  Add: time({ params: ['duration'], result: 'time', impl: (t, [d]) => new Time(addDuration(t.at, arg(d, isDuration, 'time.Duration').ns)) }),
  Sub: time({ params: ['time'], result: 'duration', impl: (t, [u]) => new Duration(int(subInstants(t.at, arg(u, isTime, 'time.Time').at))) }),
  AddDate: time({
    params: ['int', 'int', 'int'],
    result: 'time',
    impl: (t, [y, m, d]) => {
      const c = civil(t.at);
      const [dy, dm, dd] = [y, m, d].map((x) => arg(x, isIntValue, 'int'));
      return new Time(dateOf(c.year + dy, c.month + dm, c.day + dd, c.hour, c.minute, c.second, c.nsec, t.at.loc));
    },
  }),
  Before: time({ params: ['time'], result: 'bool', impl: (t, [u]) => subInstants(t.at, arg(u, isTime, 'time.Time').at) < 0 }),
  After: time({ params: ['time'], result: 'bool', impl: (t, [u]) => subInstants(t.at, arg(u, isTime, 'time.Time').at) > 0 }),
  Equal: time({ params: ['time'], result: 'bool', impl: (t, [u]) => subInstants(t.at, arg(u, isTime, 'time.Time').at) === 0 }),
  Compare: time({ params: ['time'], result: 'int', impl: (t, [u]) => Math.sign(subInstants(t.at, arg(u, isTime, 'time.Time').at)) + 0 }),
  IsZero: time({ params: [], result: 'bool', impl: (t) => t.at.sec === -62135596800 && t.at.nsec === 0 }),
};

export const DURATION_METHODS: Record<string, Method<Duration>> = {
  Hours: dur({ params: [], result: 'float', impl: (d) => float(durationHours(d.ns)) }),
  Minutes: dur({ params: [], result: 'float', impl: (d) => float(durationMinutes(d.ns)) }),
  Seconds: dur({ params: [], result: 'float', impl: (d) => float(durationSeconds(d.ns)) }),
  Milliseconds: dur({ params: [], result: 'int', impl: (d) => durationMilliseconds(d.ns) }),
  Microseconds: dur({ params: [], result: 'int', impl: (d) => durationMicroseconds(d.ns) }),
  Nanoseconds: dur({ params: [], result: 'int', impl: (d) => d.ns }),
  String: dur({ params: [], result: 'string', impl: (d) => formatDuration(d.ns) }),
  Abs: dur({ params: [], result: 'duration', impl: (d) => new Duration(Math.abs(d.ns)) }),
  Truncate: dur({
    params: ['duration'],
    result: 'duration',
    impl: (d, [m]) => {
      const unit = arg(m, isDuration, 'time.Duration').ns;
      return new Duration(unit <= 0 ? d.ns : int(d.ns - (d.ns % unit)));
    },
  }),
  Round: dur({
    params: ['duration'],
    result: 'duration',
    impl: (d, [m]) => {
      const unit = arg(m, isDuration, 'time.Duration').ns;
      return new Duration(unit <= 0 ? d.ns : int(Math.sign(d.ns) * Math.round(Math.abs(d.ns) / unit) * unit));
    },
  }),
};

export const ZONE_METHODS: Record<string, Method<Zone>> = {
  String: { params: [], result: 'string', impl: (z) => z.loc.name },
};

/** The methods of the type of `v` (null for types without methods). */
export function methodsOf(v: Value): Record<string, Method<never>> | null {
  if (v instanceof Time) return TIME_METHODS as Record<string, Method<never>>;
  if (v instanceof Duration) return DURATION_METHODS as Record<string, Method<never>>;
  if (v instanceof Zone) return ZONE_METHODS as Record<string, Method<never>>;
  return null;
}

/** `v.name` as a callable bound to v, or null when v's type has no such method. */
export function bindMethod(v: Value, name: string): Callable | null {
  const table = methodsOf(v);
  const method = table === null ? undefined : table[name];
  if (method === undefined) return null;
  return new Callable(name, (args) => {
    if (args.length !== method.params.length) {
      fail(`invalid number of arguments: expected ${method.params.length}, got ${args.length}`);
    }
    return method.impl(v as never, args);
  });
}
