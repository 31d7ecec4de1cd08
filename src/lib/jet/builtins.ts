/** Jet's default variables (default.go): Go string functions, escapers, map/slice, len, isset, exec, ints, dump. */
import { marshalJSON } from '../expr/json';
import { Bytes, type StrMap, type Value as DataValue } from '../expr/values';
import { strconvQuote } from '../goquote';
import { mapCase, replace, splitN, trimSpace } from '../gostrings';
import type { Template } from './parser';
import { ArgumentError, type Arguments, type Runtime } from './runtime';
import {
  escapeString,
  formatV,
  GoFunc,
  htmlEscape,
  IntsRanger,
  isIntValue,
  isNumeric,
  jsEscape,
  JetError,
  NativeFunc,
  numeric,
  queryEscape,
  Renderer,
  SafeWriter,
  typeString,
  unwrap,
  type Value,
} from './values';

/** How `exec` and `includeIfExists` find templates (absolute from the set's root). */
export type TemplateLookup = (path: string) => Template;

const str = (v: Value): string => v as string;

function toData(v: Value, depth = 0): DataValue {
  if (depth > 1000) throw new JetError('value nested too deep');
  const x = unwrap(v);
  if (Array.isArray(x)) return x.map((e) => toData(e, depth + 1));
  if (x instanceof Map) {
    const m: StrMap = new Map();
    for (const [k, e] of x) m.set(k, toData(e, depth + 1));
    return m;
  }
  if (x instanceof GoFunc || x instanceof NativeFunc || x instanceof SafeWriter || x instanceof IntsRanger || x instanceof Renderer) {
    throw new JetError(`json: unsupported type: ${typeString(x)}`);
  }
  return x as DataValue;
}

/** The default variables of a set whose output may grow to `maxOutput`, finding templates with `lookup`. */
export function defaultVariables(lookup: TemplateLookup, maxOutput: number): Map<string, Value> {
  const json = (v: Value): string => marshalJSON(toData(v), { indent: null, maxLength: maxOutput });
  const tooLong = (length: number): void => {
    if (length > maxOutput) throw new ArgumentError(`string too long (more than ${maxOutput} characters)`);
  };
  const fn = (name: string, params: string[], results: string, call: (args: Value[]) => Value): GoFunc => new GoFunc(name, params, results, call);
  const defaults = new Map<string, Value>([
    ['lower', fn('lower', ['string'], 'string', ([s]) => mapCase(str(s), false))],
    ['upper', fn('upper', ['string'], 'string', ([s]) => mapCase(str(s), true))],
    ['hasPrefix', fn('hasPrefix', ['string', 'string'], 'bool', ([s, p]) => str(s).startsWith(str(p)))],
    ['hasSuffix', fn('hasSuffix', ['string', 'string'], 'bool', ([s, p]) => str(s).endsWith(str(p)))],
    [
      'repeat',
      fn('repeat', ['string', 'int'], 'string', ([s, n]) => {
        const count = n as number;
        if (count < 0) throw new ArgumentError('strings: negative Repeat count');
        if (str(s).length * count > maxOutput) throw new ArgumentError(`string too long (more than ${maxOutput} characters)`);
        return str(s).repeat(count);
      }),
    ],
    ['replace', fn('replace', ['string', 'string', 'string', 'int'], 'string', ([s, o, r, n]) => replace(str(s), str(o), str(r), n as number, tooLong))],
    ['split', fn('split', ['string', 'string'], '[]string', ([s, sep]) => splitN(str(s), str(sep), -1))],
    ['trimSpace', fn('trimSpace', ['string'], 'string', ([s]) => trimSpace(str(s)))],
    ['html', fn('html', ['string'], 'string', ([s]) => escapeString(str(s)))],
    ['url', fn('url', ['string'], 'string', ([s]) => queryEscape(str(s)))],
    ['safeHtml', new SafeWriter('safeHtml', htmlEscape)],
    ['safeJs', new SafeWriter('safeJs', jsEscape)],
    ['raw', new SafeWriter('raw', (s) => s)],
    ['unsafe', new SafeWriter('unsafe', (s) => s)],
    [
      'writeJson',
      fn('writeJson', ['interface {}'], 'jet.RendererFunc', ([v]) => {
        const text = json(v);
        return new Renderer((write) => write(text + '\n'));
      }),
    ],
    ['json', fn('json', ['interface {}'], '([]uint8, error)', ([v]) => new Bytes(Buffer.from(json(v), 'utf8')))],
    [
      'map',
      new NativeFunc('map', (a) => {
        if (a.count % 2 > 0) throw new JetError('map(): incomplete key-value pair (even number of arguments required)');
        const m: Map<string, Value> = new Map();
        for (let i = 0; i < a.count; i += 2) {
          const key = unwrap(a.get(i));
          if (key === null) throw new JetError(`map(): key argument at position ${i} is not a valid value!`);
          if (typeof key !== 'string') throw new JetError(`map(): can't use ${formatV(key)} as string key: ${typeString(key)} is not convertible to string`);
          const value = a.get(i + 1);
          if (value === null) m.delete(key);
          else m.set(key, unwrap(value));
        }
        return m as unknown as Value;
      }),
    ],
    ['isset', new NativeFunc('isset', (a) => {
      a.require('isset', 1, -1);
      for (let i = 0; i < a.count; i++) if (!a.isSet(i)) return false;
      return true;
    })],
    ['len', new NativeFunc('len', (a) => {
      a.require('len', 1, 1);
      const v = unwrap(a.get(0));
      if (v === null) throw new JetError('len(): argument is not a valid value');
      if (Array.isArray(v)) return v.length;
      if (v instanceof Map) return v.size;
      if (typeof v === 'string') return Buffer.byteLength(v, 'utf8');
      if (v instanceof Bytes) return v.data.length;
      throw new JetError(`len(): invalid value type ${typeString(v)}`);
    })],
    ['includeIfExists', new NativeFunc('includeIfExists', (a) => {
      a.require('includeIfExists', 1, 2);
      let t: Template;
      try {
        t = lookup(String(unwrap(a.get(0))));
      } catch (e) {
        if (e instanceof JetError && /could not be found/.test(e.message)) return hidden;
        throw new JetError(`including ${String(unwrap(a.get(0)))}: ${(e as Error).message}`);
      }
      const rt = a.runtime;
      rt.nested({ path: t.name, line: 1 }, 'include', () => rt.runTemplate(t, a.count > 1 ? () => a.get(1) : undefined, true));
      return hidden;
    })],
    ['exec', new NativeFunc('exec', (a) => {
      a.require('exec', 1, 2);
      const name = String(unwrap(a.get(0)));
      let t: Template;
      try {
        t = lookup(name);
      } catch (e) {
        throw new JetError(`exec(${name}, ${formatV(a.get(1))}): ${(e as Error).message}`);
      }
      const rt: Runtime = a.runtime;
      return rt.nested({ path: t.name, line: 1 }, 'exec', () =>
        rt.discarding(() => rt.runTemplate(t, a.count > 1 ? () => a.get(1) : undefined, true)),
      );
    })],
    ['ints', new NativeFunc('ints', (a) => {
      const parsed: number[] = [];
      for (let i = 0; i < a.count; i++) {
        const v = unwrap(a.get(i));
        if (v === null) throw new JetError(`argument at position ${i} is not a valid value`);
        if (!isNumeric(v)) throw new JetError(`could not parse ${formatV(v)} (${typeString(v)}) into ${i} (*int64)`);
        parsed.push(isIntValue(v) ? v : Math.trunc(numeric(v)));
      }
      if (parsed.length > 2) throw new JetError(`have ${parsed.length} arguments, but only 2 pointers to parse into`);
      const [from = 0, to = 0] = parsed;
      if (to <= from) throw new JetError("invalid range for ints ranger: 'from' must be smaller than 'to'");
      return new IntsRanger(from, to);
    })],
    ['dump', new NativeFunc('dump', (a) => dump(a))],
  ]);
  const slice = new NativeFunc('slice', (a) => {
    const out: Value[] = [];
    for (let i = 0; i < a.count; i++) out.push(unwrap(a.get(i)));
    return out as unknown as Value;
  });
  defaults.set('slice', slice);
  defaults.set('array', slice);
  return defaults;
}

const hidden = new Renderer(() => undefined);

/** Jet's dump(names...): each named variable as `name:=value // type`. */
function dump(a: Arguments): Value {
  if (a.count === 0 || (a.count === 1 && typeof unwrap(a.get(0)) !== 'string')) {
    throw new JetError('dump() of the whole scope is not supported; name the variables: dump("a", "b")');
  }
  const lines: string[] = [];
  for (let i = 0; i < a.count; i++) {
    const name = unwrap(a.get(i));
    if (typeof name !== 'string') throw new JetError(`dump: expected argument ${i} to be a string, but got a ${typeString(name)}`);
    const v = a.runtime.resolve(name);
    if (v instanceof JetError) continue;
    lines.push(`\t${name}:=${typeof v === 'string' ? strconvQuote(v) : formatV(v)} // ${typeString(v)}\n`);
  }
  return lines.join('');
}
