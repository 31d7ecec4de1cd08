/**
 * The `time` module (spec.md beside this file). Durations are nanoseconds given as Go duration strings, numbers or Duration
 * objects. Fengari integers are 32 bits, so any duration or time value that does not fit is handed to Lua as
 * a float, and the unit constants from MICROSECOND up are floats so that `3000 * time.MILLISECOND` cannot wrap.
 */
import { lua, lauxlib, checkJsString, pushNumber, pushString, raise, toJsString, type LuaState } from '../../engine/lua';
import { objectAt, objectSlot, pushObject, pushSlot, type LuaTable, type Slot } from '../../engine/slots';
import { LuaFloat } from '../../kernel/value';
import { typeName } from '../../engine/vm';
import { fail, type FailOptions } from '../errors';
import type { ChannelApi } from '../channel';
import type { Channel } from '../../engine/channel';
import type { LuaVM } from '../../engine/vm';
import type { LuaProcess, Resource } from '../../engine/process';
import type { JSFunction } from 'fengari';
import { after, type Timer } from '../../util/timer';
import { formatDuration, durationFrom, durationHours, durationMinutes, durationSeconds, HOUR, MINUTE, SECOND,
  MILLISECOND, MICROSECOND, NANOSECOND } from '../../lib/duration';
import { addDuration, civil, dateOf, fixedZone, formatTime, fromUnix, inLocation, LAYOUTS, Local, loadLocation,
  now, parseTime, subInstants, unixNano, UTC, type Instant, type Location } from '../../lib/timefmt';
import { luaModule } from '../module';
import { channelModule } from '../channel';
import { functionTable, metatable, setField } from '../../engine/binding';

class TimeValue {
  constructor(readonly t: Instant) {}
}
class DurationValue {
  constructor(readonly ns: number) {}
}
class LocationValue {
  constructor(readonly loc: Location) {}
}

const MONTHS = ['JANUARY', 'FEBRUARY', 'MARCH', 'APRIL', 'MAY', 'JUNE', 'JULY', 'AUGUST', 'SEPTEMBER', 'OCTOBER',
  'NOVEMBER', 'DECEMBER'];
const WEEKDAYS = ['SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY'];

const GO_STRING_LAYOUT = '2006-01-02 15:04:05.999999999 -0700 MST';
const ZERO_TIME_SEC = -62135596800;

/** The nanoseconds of a duration argument; throws a DurationError (Go's message) for a bad string. */
export function durationAt(T: LuaState, idx: number): number {
  switch (lua.lua_type(T, idx)) {
    case lua.LUA_TNUMBER:
      return durationFrom(lua.lua_tonumber(T, idx));
    case lua.LUA_TSTRING:
      return durationFrom(toJsString(T, idx));
    case lua.LUA_TUSERDATA: {
      const d = objectAt(T, idx);
      if (d instanceof DurationValue) return d.ns;
    }
  }
  throw new TypeError(`invalid duration: expected a string, a number of nanoseconds or a Duration, got ${
    typeName(lua.lua_type(T, idx))}`);
}

/** (t - zero time) mod d, in [0, d): what Go's Truncate takes off and Round measures. */
function sinceZeroModulo(t: Instant, d: number): number {
  // Split in seconds and nanoseconds so that the sum never loses precision past 2^53.
  const sec = t.sec - ZERO_TIME_SEC;
  if (d % 1e9 === 0) {
    const ds = d / 1e9;
    return (((sec % ds) + ds) % ds) * 1e9 + t.nsec;
  }
  const D = BigInt(Math.trunc(d));
  const r = (BigInt(sec) * 1000000000n + BigInt(t.nsec)) % D;
  return Number(r < 0n ? r + D : r);
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function installTime(vm: LuaVM, channels: ChannelApi): void {
  const sched = vm.sched;
  let timeMeta: LuaTable;
  let durationMeta: LuaTable;
  let locationMeta: LuaTable;

  const pushTime = (T: LuaState, t: Instant): number => (pushObject(T, new TimeValue(t), timeMeta), 1);
  const pushDuration = (T: LuaState, ns: number): number => (pushObject(T, new DurationValue(ns), durationMeta), 1);
  const timeAt = (T: LuaState, idx: number): Instant => {
    const v = objectAt(T, idx);
    return v instanceof TimeValue ? v.t : lauxlib.luaL_argerror(T, idx, 'Time expected');
  };
  const durationArg = (T: LuaState, idx: number): number => {
    try {
      return durationAt(T, idx);
    } catch (e) {
      return raise(T, message(e));
    }
  };
  const locationAt = (T: LuaState, idx: number): Location => {
    const v = objectAt(T, idx);
    return v instanceof LocationValue ? v.loc : lauxlib.luaL_argerror(T, idx, 'Location expected');
  };


  /**
   * A one-shot or repeating clock feeding a channel; released when its process ends. A ticker keeps its period
   * against absolute deadlines (a late tick does not push the next one back) and drops ticks a slow reader
   * missed, as Go's tickers do.
   */
  class Clock implements Resource {
    readonly channel: Channel = channels.create(1);
    private timer: Timer | null = null;
    constructor(
      private readonly proc: LuaProcess,
      private readonly repeat: boolean,
    ) {}
    start(ns: number): void {
      const periodMs = ns / 1e6;
      let due = performance.now() + periodMs;
      const fire = (): void => {
        this.channel.offer(objectSlot(vm.L, new TimeValue(now()), timeMeta));
        if (!this.repeat) {
          this.stop();
          return;
        }
        const t = performance.now();
        due += Math.max(1, Math.ceil((t - due) / periodMs)) * periodMs;
        this.timer = after(due - t, fire);
      };
      this.timer = after(periodMs, fire);
      this.proc.own(this);
    }
    stop(): boolean {
      if (this.timer === null) return false;
      this.timer.cancel();
      this.timer = null;
      this.proc.disown(this);
      return true;
    }
    dispose(): void {
      this.stop();
    }
  }

  /** Wippy's time errors: Invalid (or NotFound), never retryable, the operation kept as the context. */
  const invalid = (T: LuaState, text: string, context?: string, kind = 'Invalid'): number => {
    const options: FailOptions = { retryable: false, context };
    return fail(T, vm, text, kind, options);
  };

  /** Parses a positive duration for after/timer/ticker, or pushes `nil, err` and returns null. */
  const positive = (T: LuaState, idx: number, name: string): number | null => {
    let ns: number;
    try {
      ns = durationAt(T, idx);
    } catch (e) {
      invalid(T, message(e), `time.${name}`);
      return null;
    }
    if (ns > 0) return ns;
    invalid(T, `time.${name}: duration must be > 0`);
    return null;
  };

  const startClock = (T: LuaState, name: string, repeat: boolean, push: (c: Clock) => number): number => {
    const ns = positive(T, 1, name);
    if (ns === null) return 2;
    const clock = new Clock(vm.currentProcess(T), repeat);
    clock.start(ns);
    return push(clock);
  };

  const clockMethods = (): Record<string, JSFunction> => {
    const clockAt = (T: LuaState): Clock => {
      const c = objectAt(T, 1);
      return c instanceof Clock ? c : lauxlib.luaL_argerror(T, 1, 'timer expected');
    };
    const channel: JSFunction = (T) => (pushSlot(T, clockAt(T).channel.identity as Slot), 1);
    return {
      channel,
      response: channel,
      stop: (T) => (lua.lua_pushboolean(T, clockAt(T).stop()), 1),
      reset: (T) => {
        const clock = clockAt(T);
        const ns = durationArg(T, 2);
        const wasActive = clock.stop();
        clock.start(ns);
        lua.lua_pushboolean(T, wasActive);
        return 1;
      },
    };
  };
  const clockMeta = metatable(vm, 'time.Timer', clockMethods());

  const compare = (op: (a: number, b: number) => boolean): JSFunction => (T) => {
    const a = timeAt(T, 1);
    const b = timeAt(T, 2);
    lua.lua_pushboolean(T, op(subInstants(a, b), 0));
    return 1;
  };

  const field = (get: (c: ReturnType<typeof civil>) => number): JSFunction => (T) => (pushNumber(T, get(civil(timeAt(T, 1)))), 1);

  timeMeta = metatable(vm,
    'time.Time',
    {
      unix: (T) => (pushNumber(T, timeAt(T, 1).sec), 1),
      unix_nano: (T) => (pushNumber(T, unixNano(timeAt(T, 1))), 1),
      unix_milli: (T) => {
        const t = timeAt(T, 1);
        return pushNumber(T, t.sec * 1000 + Math.floor(t.nsec / 1e6)), 1;
      },
      format: (T) => (pushString(T, formatTime(timeAt(T, 1), toJsString(T, 2))), 1),
      format_rfc3339: (T) => (pushString(T, formatTime(timeAt(T, 1), LAYOUTS.RFC3339)), 1),
      string: (T) => (pushString(T, formatTime(timeAt(T, 1), GO_STRING_LAYOUT)), 1),
      add: (T) => pushTime(T, addDuration(timeAt(T, 1), durationArg(T, 2))),
      sub: (T) => pushDuration(T, subInstants(timeAt(T, 1), timeAt(T, 2))),
      add_date: (T) => {
        const t = timeAt(T, 1);
        const c = civil(t);
        const [y, m, d] = [2, 3, 4].map((i) => lauxlib.luaL_optinteger(T, i, 0));
        return pushTime(T, dateOf(c.year + y, c.month + m, c.day + d, c.hour, c.minute, c.second, c.nsec, t.loc));
      },
      before: compare((d) => d < 0),
      after: compare((d) => d > 0),
      equal: compare((d) => d === 0),
      is_zero: (T) => {
        const t = timeAt(T, 1);
        return lua.lua_pushboolean(T, t.sec === ZERO_TIME_SEC && t.nsec === 0), 1;
      },
      year: field((c) => c.year),
      month: field((c) => c.month),
      day: field((c) => c.day),
      hour: field((c) => c.hour),
      minute: field((c) => c.minute),
      second: field((c) => c.second),
      nanosecond: field((c) => c.nsec),
      weekday: field((c) => c.weekday),
      year_day: field((c) => c.yearDay),
      date: (T) => {
        const c = civil(timeAt(T, 1));
        [c.year, c.month, c.day].forEach((n) => pushNumber(T, n));
        return 3;
      },
      clock: (T) => {
        const c = civil(timeAt(T, 1));
        [c.hour, c.minute, c.second].forEach((n) => pushNumber(T, n));
        return 3;
      },
      utc: (T) => pushTime(T, inLocation(timeAt(T, 1), UTC)),
      local: (T) => pushTime(T, inLocation(timeAt(T, 1), Local)),
      in_local: (T) => pushTime(T, inLocation(timeAt(T, 1), Local)),
      in_location: (T) => pushTime(T, inLocation(timeAt(T, 1), locationAt(T, 2))),
      location: (T) => (pushObject(T, new LocationValue(timeAt(T, 1).loc), locationMeta), 1),
      truncate: (T) => {
        const t = timeAt(T, 1);
        const d = durationArg(T, 2);
        if (d <= 0) return pushTime(T, t);
        return pushTime(T, addDuration(t, -sinceZeroModulo(t, d)));
      },
      // Go's Time.Round: to the nearest multiple of d since the zero time, halfway values rounding up.
      round: (T) => {
        const t = timeAt(T, 1);
        const d = durationArg(T, 2);
        if (d <= 0) return pushTime(T, t);
        const r = sinceZeroModulo(t, d);
        return pushTime(T, addDuration(t, r + r < d ? -r : d - r));
      },
    },
    {
      __tostring: (T) => (pushString(T, formatTime(timeAt(T, 1), GO_STRING_LAYOUT)), 1),
      __eq: compare((d) => d === 0),
      __lt: compare((d) => d < 0),
      __le: compare((d) => d <= 0),
    },
  );

  const durationValueAt = (T: LuaState, idx: number): number => durationArg(T, idx);
  const durationOp = (op: (a: number, b: number) => number): JSFunction => (T) =>
    pushDuration(T, op(durationValueAt(T, 1), durationValueAt(T, 2)));
  const durationCmp = (op: (a: number, b: number) => boolean): JSFunction => (T) =>
    (lua.lua_pushboolean(T, op(durationValueAt(T, 1), durationValueAt(T, 2))), 1);
  const unit = (per: number): JSFunction => (T) => (pushNumber(T, Math.trunc(durationValueAt(T, 1) / per) + 0), 1);

  durationMeta = metatable(vm,
    'time.Duration',
    {
      hours: (T) => (lua.lua_pushnumber(T, durationHours(durationValueAt(T, 1))), 1),
      minutes: (T) => (lua.lua_pushnumber(T, durationMinutes(durationValueAt(T, 1))), 1),
      seconds: (T) => (lua.lua_pushnumber(T, durationSeconds(durationValueAt(T, 1))), 1),
      milliseconds: unit(MILLISECOND),
      microseconds: unit(MICROSECOND),
      nanoseconds: unit(NANOSECOND),
      string: (T) => (pushString(T, formatDuration(durationValueAt(T, 1))), 1),
      abs: (T) => pushDuration(T, Math.abs(durationValueAt(T, 1))),
      truncate: durationOp((a, m) => (m <= 0 ? a : a - (a % m))),
      round: durationOp((a, m) => (m <= 0 ? a : Math.sign(a) * Math.round(Math.abs(a) / m) * m)),
    },
    {
      __tostring: (T) => (pushString(T, formatDuration(durationValueAt(T, 1))), 1),
      __add: durationOp((a, b) => a + b),
      __sub: durationOp((a, b) => a - b),
      __unm: (T) => pushDuration(T, -durationValueAt(T, 1)),
      __eq: durationCmp((a, b) => a === b),
      __lt: durationCmp((a, b) => a < b),
      __le: durationCmp((a, b) => a <= b),
    },
  );

  locationMeta = metatable(vm,
    'time.Location',
    { string: (T) => (pushString(T, locationAt(T, 1).name), 1) },
    { __tostring: (T) => (pushString(T, locationAt(T, 1).name), 1) },
  );

  const api: Record<string, JSFunction> = {
    now: (T) => pushTime(T, now()),
    sleep: (T) => {
      const ns = durationArg(T, 1);
      if (ns <= 0) return sched.reschedule(T);
      const task = sched.current ?? raise(T, 'time.sleep outside a process');
      const proc = vm.currentProcess(T);
      const wait = after(ns / 1e6, () => {
        proc.disown(timer);
        sched.wake(task);
      });
      const timer: Resource = { dispose: () => wait.cancel() };
      proc.own(timer);
      return sched.block(T);
    },
    after: (T) => startClock(T, 'after', false, (c) => (pushSlot(T, c.channel.identity as Slot), 1)),
    timer: (T) => startClock(T, 'timer', false, (c) => (pushObject(T, c, clockMeta), 1)),
    ticker: (T) => startClock(T, 'ticker', true, (c) => (pushObject(T, c, clockMeta), 1)),
    parse_duration: (T) => {
      try {
        return pushDuration(T, durationAt(T, 1));
      } catch (e) {
        return invalid(T, message(e), 'time.parse_duration');
      }
    },
    parse: (T) => {
      const layout = checkJsString(T, 1);
      const value = checkJsString(T, 2);
      // Without a location, Wippy parses in the local zone (Go's ParseInLocation with time.Local).
      const loc = lua.lua_isnoneornil(T, 3) ? Local : locationAt(T, 3);
      try {
        return pushTime(T, parseTime(layout, value, loc));
      } catch (e) {
        return invalid(T, message(e), 'time.parse');
      }
    },
    unix: (T) => pushTime(T, fromUnix(lauxlib.luaL_checknumber(T, 1), lauxlib.luaL_optnumber(T, 2, 0))),
    date: (T) => {
      const n = [1, 2, 3, 4, 5, 6, 7].map((i) => lauxlib.luaL_optnumber(T, i, i <= 3 ? 1 : 0));
      const loc = lua.lua_isnoneornil(T, 8) ? Local : locationAt(T, 8);
      return pushTime(T, dateOf(n[0], n[1], n[2], n[3], n[4], n[5], n[6], loc));
    },
    load_location: (T) => {
      const name = checkJsString(T, 1);
      if (name === '') return invalid(T, 'empty location name');
      try {
        return pushObject(T, new LocationValue(loadLocation(name)), locationMeta), 1;
      } catch (e) {
        return invalid(T, message(e), 'time.load_location', 'NotFound');
      }
    },
    fixed_zone: (T) => {
      const loc = fixedZone(toJsString(T, 1), lauxlib.luaL_checkinteger(T, 2));
      return pushObject(T, new LocationValue(loc), locationMeta), 1;
    },
  };
  const constants: Record<string, string | number | LuaFloat> = {
    RFC3339: LAYOUTS.RFC3339,
    RFC3339NANO: LAYOUTS.RFC3339Nano,
    RFC822: LAYOUTS.RFC822,
    RFC822Z: LAYOUTS.RFC822Z,
    RFC850: LAYOUTS.RFC850,
    RFC1123: LAYOUTS.RFC1123,
    RFC1123Z: LAYOUTS.RFC1123Z,
    KITCHEN: LAYOUTS.Kitchen,
    STAMP: LAYOUTS.Stamp,
    STAMP_MILLI: LAYOUTS.StampMilli,
    STAMP_MICRO: LAYOUTS.StampMicro,
    STAMP_NANO: LAYOUTS.StampNano,
    DATE_TIME: LAYOUTS.DateTime,
    DATE_ONLY: LAYOUTS.DateOnly,
    TIME_ONLY: LAYOUTS.TimeOnly,
    ...Object.fromEntries(MONTHS.map((m, i) => [m, i + 1])),
    ...Object.fromEntries(WEEKDAYS.map((d, i) => [d, i])),
    NANOSECOND,
    MICROSECOND: new LuaFloat(MICROSECOND),
    MILLISECOND: new LuaFloat(MILLISECOND),
    SECOND: new LuaFloat(SECOND),
    MINUTE: new LuaFloat(MINUTE),
    HOUR: new LuaFloat(HOUR),
  };
  const mod = functionTable(vm, api, constants);
  pushSlot(vm.L, mod);
  setField(vm, vm.L, -1, 'utc', () => pushObject(vm.L, new LocationValue(UTC), locationMeta));
  setField(vm, vm.L, -1, 'localtz', () => pushObject(vm.L, new LocationValue(Local), locationMeta));
  lua.lua_settop(vm.L, -2);
  vm.defineModule('time', mod);
}

export const timeModule = luaModule({
  name: 'time',
  description: 'Time, durations, timers and tickers',
  classes: ['process', 'nondeterministic'],
  needs: [channelModule],
  install: (vm, ctx) => installTime(vm, ctx.api(channelModule)),
});
