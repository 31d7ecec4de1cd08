/**
 * About how many bytes a portable value holds (strings by their length, tables by their entries), for the
 * limits of stores and queues: a loop over the tree, each table counted once, stopping as soon as `limit`
 * is passed so a huge value costs no more than the limit to measure.
 */
import { ErrorValue, LuaFloat, Table, type Value } from './value';

/** What one table entry or scalar costs beyond its strings' characters. */
const SLOT_BYTES = 16;

function scalarBytes(v: Exclude<Value, Table>): number {
  if (typeof v === 'string') return SLOT_BYTES + v.length;
  if (v instanceof Uint8Array) return SLOT_BYTES + v.byteLength;
  if (v instanceof ErrorValue) return SLOT_BYTES + v.message.length;
  if (v instanceof LuaFloat) return SLOT_BYTES;
  return SLOT_BYTES;
}

/** The size of `value`, or a number above `limit` as soon as it is known to be larger. */
export function valueBytes(value: Value, limit = Infinity): number {
  if (!(value instanceof Table)) return scalarBytes(value);
  let total = 0;
  const seen = new Set<Table>([value]);
  const pending: Table[] = [value];
  while (pending.length > 0) {
    const t = pending.pop() as Table;
    total += SLOT_BYTES;
    for (const [k, v] of t.map) {
      for (const x of [k, v]) {
        if (x instanceof Table) {
          if (!seen.has(x)) {
            seen.add(x);
            pending.push(x);
          }
        } else total += scalarBytes(x);
      }
      if (total > limit) return total;
    }
  }
  return total;
}
