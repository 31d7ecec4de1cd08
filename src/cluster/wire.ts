/**
 * Portable values on the bus (spec.md "Payloads"): msgpack, with a value graph flattened so that cycles and
 * shared parts survive, integers and floats stay apart, bytes stay bytes and error objects keep every field.
 * Tables and errors become numbered records; a reference to one is a msgpack extension. Encoding and decoding
 * are loops over those records, never recursion, so any nesting depth is safe.
 */
import { Packr, Unpackr } from 'msgpackr';
import { ErrorValue, LuaFloat, Table, type StackFrame, type Value } from '../kernel/value';

/**
 * A portable value never is a JS array, so a two-element array marks what msgpack has no type for: a float
 * with an integral value, or a reference to a table or error record. (No msgpack extensions: they cost a
 * callback per object and halved the throughput.)
 */
const FLOAT = 0;
const TABLE = 1;
const ERROR = 2;
type Tagged = readonly [typeof FLOAT | typeof TABLE | typeof ERROR, number];

type Flat = null | boolean | number | string | Uint8Array | Tagged;
/** message, kind, retryable, details, stack, context, cause, frames ([level, source, line, name, what] each). */
type FlatError = [string, string, boolean | null, Flat, string | null, string | null, Flat, (readonly [number, string, number, string, string])[] | null];

/** A group of values as one msgpack-able structure: [values, tables (k1, v1, k2, v2, ...), errors]. */
export type WireValues = [Flat[], Flat[][], FlatError[]];

export function flatten(values: readonly Value[]): WireValues {
  // Most messages hold a table or two: a small Map each is cheaper than anything cleverer.
  const tableIndex = new Map<Table, number>();
  const errorIndex = new Map<ErrorValue, number>();
  const tables: Table[] = [];
  const errors: ErrorValue[] = [];
  const flat = (v: Value): Flat => {
    if (v instanceof Table) {
      let i = tableIndex.get(v);
      if (i === undefined) tableIndex.set(v, (i = tables.push(v) - 1));
      return [TABLE, i];
    }
    if (v instanceof ErrorValue) {
      let i = errorIndex.get(v);
      if (i === undefined) errorIndex.set(v, (i = errors.push(v) - 1));
      return [ERROR, i];
    }
    if (v instanceof LuaFloat) return [FLOAT, v.value];
    return v;
  };
  const top = values.map(flat);
  const flatTables: Flat[][] = [];
  const flatErrors: FlatError[] = [];
  // Each pass may find new tables or errors; the loop ends when every one found has been written.
  for (let t = 0, e = 0; t < tables.length || e < errors.length; ) {
    for (; t < tables.length; t++) {
      const row: Flat[] = [];
      for (const [k, v] of tables[t].map) row.push(flat(k), flat(v));
      flatTables.push(row);
    }
    for (; e < errors.length; e++) {
      const x = errors[e];
      const frames = x.origin.frames?.map((f) => [f.level, f.source, f.line, f.name, f.what] as const) ?? null;
      const cause = x.origin.cause === undefined ? null : flat(x.origin.cause);
      flatErrors.push([x.message, x.kind, x.retryable, flat(x.details), x.stack, x.origin.context ?? null, cause, frames]);
    }
  }
  return [top, flatTables, flatErrors];
}

/** Thrown for anything that is not a value group made by `flatten` (a bad or hostile bus message). */
export class WireError extends Error {}

export function unflatten(wire: unknown): Value[] {
  if (!Array.isArray(wire) || wire.length !== 3 || !wire.every(Array.isArray)) throw new WireError('not a value group');
  const [top, flatTables, flatErrors] = wire as [unknown[], unknown[], unknown[]];
  const tables = flatTables.map(() => new Table());
  const errors = new Array<ErrorValue | undefined>(flatErrors.length);
  const errorAt = (i: number): ErrorValue => {
    // Causes and error details form chains (never cycles: an error exists before anything that holds it), so
    // an explicit stack builds the deepest first.
    const pending = [i];
    while (pending.length > 0) {
      const j = pending[pending.length - 1];
      if (errors[j] !== undefined) {
        pending.pop();
        continue;
      }
      const row = flatErrors[j];
      if (!Array.isArray(row) || row.length !== 8) throw new WireError('bad error record');
      const deps = [row[3], row[6]].filter(isErrorRef).map((d) => checkIndex(d[1], errors.length));
      const missing = deps.filter((d) => errors[d] === undefined);
      if (missing.length > 0) {
        if (pending.length > errors.length) throw new WireError('error records form a cycle');
        pending.push(...missing);
        continue;
      }
      pending.pop();
      const [message, kind, retryable, details, stack, context, cause, frames] = row as unknown[];
      if (typeof message !== 'string' || typeof kind !== 'string') throw new WireError('bad error record');
      const origin: { context?: string; cause?: ErrorValue; frames?: StackFrame[] } = {};
      if (typeof context === 'string') origin.context = context;
      if (cause !== null) {
        const c = value(cause);
        if (!(c instanceof ErrorValue)) throw new WireError('bad error cause');
        origin.cause = c;
      }
      if (Array.isArray(frames)) origin.frames = frames.map(frame);
      errors[j] = new ErrorValue(message, kind, typeof retryable === 'boolean' ? retryable : null, value(details),
        typeof stack === 'string' ? stack : null, origin);
    }
    return errors[i] as ErrorValue;
  };
  const value = (f: unknown): Value => {
    if (f === null || typeof f === 'boolean' || typeof f === 'number' || typeof f === 'string') return f;
    if (f instanceof Uint8Array) return new Uint8Array(f); // a copy: not a view into the whole bus message
    if (!Array.isArray(f) || f.length !== 2 || typeof f[1] !== 'number') throw new WireError('not a portable value');
    if (f[0] === FLOAT) return new LuaFloat(f[1]);
    if (f[0] === TABLE) return tables[checkIndex(f[1], tables.length)];
    if (f[0] === ERROR) return errorAt(checkIndex(f[1], errors.length));
    throw new WireError('not a portable value');
  };
  flatTables.forEach((row, t) => {
    if (!Array.isArray(row) || row.length % 2 !== 0) throw new WireError('bad table record');
    const map = tables[t].map;
    for (let i = 0; i < row.length; i += 2) {
      const k = value(row[i]);
      if (k === null || (typeof k === 'number' && Number.isNaN(k))) throw new WireError('bad table key');
      map.set(k, value(row[i + 1]));
    }
  });
  for (let i = 0; i < errors.length; i++) errorAt(i); // every record is checked, referenced or not
  return top.map(value);
}

const isErrorRef = (f: unknown): f is Tagged => Array.isArray(f) && f.length === 2 && f[0] === ERROR;

function checkIndex(i: number, length: number): number {
  if (!Number.isInteger(i) || i < 0 || i >= length) throw new WireError('reference out of range');
  return i;
}

function frame(f: unknown): StackFrame {
  if (!Array.isArray(f) || f.length !== 5) throw new WireError('bad stack frame');
  const [level, source, line, name, what] = f as unknown[];
  if (typeof level !== 'number' || typeof source !== 'string' || typeof line !== 'number' || typeof name !== 'string' || typeof what !== 'string') {
    throw new WireError('bad stack frame');
  }
  return { level, source, line, name, what };
}

// Plain msgpack: no records or extensions of msgpackr's own, so any msgpack reader can follow the format.
const packr = new Packr({ useRecords: false, encodeUndefinedAsNil: true });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });
export const encode = (x: unknown): Uint8Array => packr.pack(x);
/** Decodes bus bytes; throws (a WireError or msgpackr's own) on anything malformed. */
export const decode = (b: Uint8Array): unknown => unpackr.unpack(b);
