/** `registry.find` filters (spec.md "Filters"): root fields with globs, meta fields with operators. */
import type { EntryRecord } from '../../registry';
import { splitId } from '../../registry';
import { cachedRegex, Regex } from '../../lib/regex';

type Op = 'eq' | 'regex' | 'contains' | 'prefix' | 'suffix';

interface MetaTest {
  readonly field: string;
  readonly op: Op;
  readonly value: unknown;
}

export interface Filter {
  readonly root: ReadonlyMap<'kind' | 'ns' | 'name' | 'id', string>;
  readonly meta: readonly MetaTest[];
}

const OPS: Record<string, Op> = { '~': 'regex', '*': 'contains', '^': 'prefix', $: 'suffix' };
const ROOT = new Set(['kind', 'ns', 'name', 'id']);

export function parseFilter(plain: Record<string, unknown>): Filter {
  const root = new Map<'kind' | 'ns' | 'name' | 'id', string>();
  const meta: MetaTest[] = [];
  for (const [key, value] of Object.entries(plain)) {
    if (key === 'meta' && typeof value === 'object' && value !== null && !Array.isArray(value)) {
      for (const [field, v] of Object.entries(value)) meta.push({ field, op: 'eq', value: v });
      continue;
    }
    if (key.startsWith('.') && ROOT.has(key.slice(1)) && typeof value === 'string') {
      root.set(key.slice(1) as 'kind', value);
      continue;
    }
    if (key === 'kind' && typeof value === 'string') {
      root.set('kind', value);
      continue;
    }
    const op = OPS[key[0]] ?? 'eq';
    const field = op === 'eq' ? key : key.slice(1);
    meta.push({ field: field.startsWith('meta.') ? field.slice(5) : field, op, value });
  }
  return { root, meta };
}

export function matches(r: EntryRecord, f: Filter): boolean {
  const [ns, name] = splitId(r.id);
  const subject = { kind: r.kind, ns, name, id: r.id };
  for (const [field, pattern] of f.root) if (!glob(subject[field], pattern)) return false;
  return f.meta.every((t) => test(r.meta[t.field], t));
}

function test(actual: unknown, t: MetaTest): boolean {
  if (t.op === 'eq') {
    if (actual === undefined) return false;
    if (Array.isArray(t.value)) return Array.isArray(actual) && t.value.every((x) => actual.includes(x));
    return actual === t.value;
  }
  if (typeof t.value !== 'string') return false;
  if (t.op === 'contains') {
    if (Array.isArray(actual)) return actual.some((x) => typeof x === 'string' && x.includes(t.value as string));
    return typeof actual === 'string' && actual.includes(t.value);
  }
  if (typeof actual !== 'string') return false;
  if (t.op === 'prefix') return actual.startsWith(t.value);
  if (t.op === 'suffix') return actual.endsWith(t.value);
  // RE2 syntax, as Wippy's Go regexp; a pattern that does not compile matches nothing.
  const re = cachedRegex(t.value);
  return re instanceof Regex && re.test(actual);
}

/** Wippy's glob: no `*` is equality; one `*` at either end or in the middle; more are not supported. */
function glob(value: string, pattern: string): boolean {
  const star = pattern.indexOf('*');
  if (star < 0) return value === pattern;
  const prefix = pattern.slice(0, star);
  const suffix = pattern.slice(star + 1);
  if (suffix.includes('*')) return false;
  return value.length >= prefix.length + suffix.length && value.startsWith(prefix) && value.endsWith(suffix);
}
