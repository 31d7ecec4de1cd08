/**
 * Go reference-time layouts ("Mon Jan 2 15:04:05 MST 2006"): the predefined
 * constants and the chunk scanner shared by formatting and parsing. A port of
 * nextStdChunk in Go's src/time/format.go, including its quirks (e.g. "Jan"
 * only counts when not followed by a lower-case letter, "_2006" is "_" + year).
 */
import { BoundedMap } from '../util/bounded-map';

export const LAYOUTS = Object.freeze({
  Layout: "01/02 03:04:05PM '06 -0700",
  ANSIC: 'Mon Jan _2 15:04:05 2006',
  UnixDate: 'Mon Jan _2 15:04:05 MST 2006',
  RubyDate: 'Mon Jan 02 15:04:05 -0700 2006',
  RFC822: '02 Jan 06 15:04 MST',
  RFC822Z: '02 Jan 06 15:04 -0700',
  RFC850: 'Monday, 02-Jan-06 15:04:05 MST',
  RFC1123: 'Mon, 02 Jan 2006 15:04:05 MST',
  RFC1123Z: 'Mon, 02 Jan 2006 15:04:05 -0700',
  RFC3339: '2006-01-02T15:04:05Z07:00',
  RFC3339Nano: '2006-01-02T15:04:05.999999999Z07:00',
  Kitchen: '3:04PM',
  Stamp: 'Jan _2 15:04:05',
  StampMilli: 'Jan _2 15:04:05.000',
  StampMicro: 'Jan _2 15:04:05.000000',
  StampNano: 'Jan _2 15:04:05.000000000',
  DateTime: '2006-01-02 15:04:05',
  DateOnly: '2006-01-02',
  TimeOnly: '15:04:05',
} as const);

export type LayoutName = keyof typeof LAYOUTS;

export type StdKind =
  | 'LongMonth' // January
  | 'Month' // Jan
  | 'NumMonth' // 1
  | 'ZeroMonth' // 01
  | 'LongWeekDay' // Monday
  | 'WeekDay' // Mon
  | 'Day' // 2
  | 'UnderDay' // _2
  | 'ZeroDay' // 02
  | 'UnderYearDay' // __2
  | 'ZeroYearDay' // 002
  | 'Hour' // 15
  | 'Hour12' // 3
  | 'ZeroHour12' // 03
  | 'Minute' // 4
  | 'ZeroMinute' // 04
  | 'Second' // 5
  | 'ZeroSecond' // 05
  | 'LongYear' // 2006
  | 'Year' // 06
  | 'PM' // PM
  | 'pm' // pm
  | 'TZ' // MST
  | 'ISO8601TZ' // Z0700
  | 'ISO8601SecondsTZ' // Z070000
  | 'ISO8601ShortTZ' // Z07
  | 'ISO8601ColonTZ' // Z07:00
  | 'ISO8601ColonSecondsTZ' // Z07:00:00
  | 'NumTZ' // -0700
  | 'NumSecondsTZ' // -070000
  | 'NumShortTZ' // -07
  | 'NumColonTZ' // -07:00
  | 'NumColonSecondsTZ' // -07:00:00
  | 'FracSecond0' // .000 / ,000: fixed digits
  | 'FracSecond9'; // .999 / ,999: trailing zeros dropped

export interface Std {
  kind: StdKind;
  /** Number of fractional digits (FracSecond* only). */
  digits: number;
  /** '.' or ',' (FracSecond* only). */
  sep: string;
}

export interface Chunk {
  /** Literal text before the element. */
  prefix: string;
  /** null when the rest of the layout is literal. */
  std: Std | null;
  suffix: string;
}

export const LONG_DAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
export const SHORT_DAY_NAMES = LONG_DAY_NAMES.map((d) => d.slice(0, 3));
export const LONG_MONTH_NAMES = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
export const SHORT_MONTH_NAMES = LONG_MONTH_NAMES.map((m) => m.slice(0, 3));

const ZERO_X: StdKind[] = ['ZeroMonth', 'ZeroDay', 'ZeroHour12', 'ZeroMinute', 'ZeroSecond', 'Year'];

export const isDigitAt = (s: string, i: number): boolean => i < s.length && s[i] >= '0' && s[i] <= '9';

const startsWithLowerCase = (s: string): boolean => s.length > 0 && s[0] >= 'a' && s[0] <= 'z';

// In Go's order: each form is tried before its own prefixes ("-0700" before "-07").
const DASH_TZ: [string, StdKind][] = [
  ['-070000', 'NumSecondsTZ'],
  ['-07:00:00', 'NumColonSecondsTZ'],
  ['-0700', 'NumTZ'],
  ['-07:00', 'NumColonTZ'],
  ['-07', 'NumShortTZ'],
];
const Z_TZ: [string, StdKind][] = [
  ['Z070000', 'ISO8601SecondsTZ'],
  ['Z07:00:00', 'ISO8601ColonSecondsTZ'],
  ['Z0700', 'ISO8601TZ'],
  ['Z07:00', 'ISO8601ColonTZ'],
  ['Z07', 'ISO8601ShortTZ'],
];

/** Finds the first layout element: Go's nextStdChunk. */
export function nextStdChunk(layout: string): Chunk {
  const found = (i: number, len: number, kind: StdKind, digits = 0, sep = '.'): Chunk => ({
    prefix: layout.slice(0, i),
    std: { kind, digits, sep },
    suffix: layout.slice(i + len),
  });
  const at = (i: number, s: string): boolean => layout.startsWith(s, i);

  for (let i = 0; i < layout.length; i++) {
    switch (layout[i]) {
      case 'J':
        if (at(i, 'Jan')) {
          if (at(i, 'January')) return found(i, 7, 'LongMonth');
          if (!startsWithLowerCase(layout.slice(i + 3))) return found(i, 3, 'Month');
        }
        break;
      case 'M':
        if (at(i, 'Mon')) {
          if (at(i, 'Monday')) return found(i, 6, 'LongWeekDay');
          if (!startsWithLowerCase(layout.slice(i + 3))) return found(i, 3, 'WeekDay');
        }
        if (at(i, 'MST')) return found(i, 3, 'TZ');
        break;
      case '0':
        if (i + 1 < layout.length && layout[i + 1] >= '1' && layout[i + 1] <= '6') {
          return found(i, 2, ZERO_X[layout.charCodeAt(i + 1) - 49]);
        }
        if (at(i, '002')) return found(i, 3, 'ZeroYearDay');
        break;
      case '1':
        if (layout[i + 1] === '5') return found(i, 2, 'Hour');
        return found(i, 1, 'NumMonth');
      case '2':
        if (at(i, '2006')) return found(i, 4, 'LongYear');
        return found(i, 1, 'Day');
      case '_':
        if (layout[i + 1] === '2') {
          // "_2006" is a literal underscore followed by the long year.
          if (at(i + 1, '2006')) {
            const std: Std = { kind: 'LongYear', digits: 0, sep: '.' };
            return { prefix: layout.slice(0, i + 1), std, suffix: layout.slice(i + 5) };
          }
          return found(i, 2, 'UnderDay');
        }
        if (at(i, '__2')) return found(i, 3, 'UnderYearDay');
        break;
      case '3':
        return found(i, 1, 'Hour12');
      case '4':
        return found(i, 1, 'Minute');
      case '5':
        return found(i, 1, 'Second');
      case 'P':
        if (layout[i + 1] === 'M') return found(i, 2, 'PM');
        break;
      case 'p':
        if (layout[i + 1] === 'm') return found(i, 2, 'pm');
        break;
      case '-':
        for (const [text, kind] of DASH_TZ) if (at(i, text)) return found(i, text.length, kind);
        break;
      case 'Z':
        for (const [text, kind] of Z_TZ) if (at(i, text)) return found(i, text.length, kind);
        break;
      case '.':
      case ',': {
        const ch = layout[i + 1];
        if (ch === '0' || ch === '9') {
          let j = i + 1;
          while (j < layout.length && layout[j] === ch) j++;
          // Only a run of digits that ends here is a fractional second.
          if (!isDigitAt(layout, j)) {
            return found(i, j - i, ch === '9' ? 'FracSecond9' : 'FracSecond0', j - (i + 1), layout[i]);
          }
        }
        break;
      }
    }
  }
  return { prefix: layout, std: null, suffix: '' };
}

export interface LayoutElem {
  /** Literal text before the element. */
  prefix: string;
  /** null for the final element, which carries only trailing literal text. */
  std: Std | null;
  /** The element as written in the layout, e.g. "Jan" or ".000". */
  text: string;
}

const MAX_COMPILED = 512;
const compiled = new BoundedMap<string, readonly LayoutElem[]>(MAX_COMPILED);

/** The layout split into elements (always ending with a std-less one); cached, as layouts repeat. */
export function compileLayout(layout: string): readonly LayoutElem[] {
  let elems = compiled.get(layout);
  if (elems !== undefined) return elems;
  const out: LayoutElem[] = [];
  let rest = layout;
  for (;;) {
    const { prefix, std, suffix } = nextStdChunk(rest);
    out.push({ prefix, std, text: rest.slice(prefix.length, rest.length - suffix.length) });
    if (std === null) break;
    rest = suffix;
  }
  elems = Object.freeze(out);
  compiled.set(layout, elems);
  return elems;
}
