/**
 * `wisp registry list` and `wisp registry show <id>`: the entries the project defines, as Wippy shows them:
 * every entry as written (after overrides), those of kinds wisp does not run included.
 */
import yaml from 'js-yaml';
import { splitId, type EntryRecord, type Registry } from '../registry';
import { UsageError } from './errors';
import { closest } from '../util/suggest';

export interface ListFilters {
  kind?: string;
  ns?: string;
  name?: string;
  meta?: string[];
  json?: boolean;
  yaml?: boolean;
}

/** Wippy's finder globs: `*` any run of characters, `?` one; the whole value must match. */
export function glob(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/** `field=value` exact, `field~regex`, `field*substr`, `field^prefix`, `field$suffix` (Wippy's --meta). */
function metaFilter(text: string): (meta: Readonly<Record<string, unknown>>) => boolean {
  const m = /^([^=~*^$]+)([=~*^$])(.*)$/.exec(text);
  if (m === null) throw new UsageError(`invalid --meta "${text}": expected field=value (or ~ * ^ $)`);
  const [, key, op, want] = m;
  let re: RegExp | null = null;
  if (op === '~') {
    try {
      re = new RegExp(want);
    } catch {
      throw new UsageError(`invalid --meta "${text}": bad regular expression`);
    }
  }
  return (meta) => {
    let v: unknown = meta;
    for (const k of key.split('.')) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
    if (v === undefined || v === null || typeof v === 'object') return false;
    const s = String(v);
    if (op === '=') return s === want;
    if (op === '~') return re!.test(s);
    if (op === '*') return s.includes(want);
    if (op === '^') return s.startsWith(want);
    return s.endsWith(want);
  };
}

export function listEntries(registry: Registry, f: ListFilters): string {
  const tests: ((e: EntryRecord) => boolean)[] = [];
  if (f.kind !== undefined) tests.push((e) => glob(f.kind!).test(e.kind));
  if (f.ns !== undefined) tests.push((e) => glob(f.ns!).test(splitId(e.id)[0]));
  if (f.name !== undefined) tests.push((e) => glob(f.name!).test(splitId(e.id)[1]));
  for (const m of f.meta ?? []) {
    const test = metaFilter(m);
    tests.push((e) => test(e.meta));
  }
  const found = [...registry.records()]
    .filter((e) => tests.every((t) => t(e)))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const problem = (id: string): string | undefined => registry.skipped.get(id);
  const infos = found.map((e) => {
    const invalid = problem(e.id);
    return { id: e.id, kind: e.kind, ...(Object.keys(e.meta).length > 0 ? { meta: e.meta } : {}), ...(invalid !== undefined ? { invalid } : {}) };
  });
  if (f.json) return `${JSON.stringify(infos, null, 2)}\n`;
  if (f.yaml) return dump(infos);
  if (found.length === 0) return 'No entries found\n';
  const broken = found.filter((e) => problem(e.id) !== undefined);
  const idWidth = Math.min(50, Math.max(2, ...found.map((e) => e.id.length)));
  const kindWidth = Math.min(30, Math.max(4, ...found.map((e) => e.kind.length)));
  const cut = (s: string, w: number): string => (s.length > w ? `${s.slice(0, w - 3)}...` : s);
  const row = (a: string, b: string): string => `${cut(a, idWidth).padEnd(idWidth)}  ${cut(b, kindWidth).padEnd(kindWidth)}\n`;
  let out = row('ID', 'KIND') + `${'-'.repeat(idWidth)}  ${'-'.repeat(kindWidth)}\n`;
  for (const e of found) out += problem(e.id) !== undefined ? row(e.id, e.kind).replace(/\n$/, '  ! left out\n') : row(e.id, e.kind);
  out += `\nTotal: ${found.length} entries\n`;
  if (broken.length === 0) return out;
  return `${out}\n${broken.length} left out of a run:\n${broken.map((e) => `  ${e.id}: ${problem(e.id)!}\n`).join('')}`;
}

export interface ShowOptions {
  field?: string;
  json?: boolean;
  yaml?: boolean;
  raw?: boolean;
}

/** `app:cli`, or just `cli` when only one namespace has it. */
function findEntry(registry: Registry, id: string): EntryRecord {
  const exact = registry.record(id);
  if (exact !== undefined) return exact;
  const byName = registry.records().filter((e) => splitId(e.id)[1] === id);
  if (byName.length > 1) throw new UsageError(`ambiguous entry name "${id}" (${byName.map((e) => e.id).join(', ')}), use the full id namespace:name`);
  if (byName.length === 1) return byName[0];
  const near = closest(id, registry.records().flatMap((e) => [e.id, splitId(e.id)[1]]));
  throw new UsageError(`entry not found: ${id}${near.length > 0 ? ` (did you mean ${near.slice(0, 3).join(' or ')}?)` : ''}`);
}

export function showEntry(registry: Registry, id: string, o: ShowOptions): string {
  const entry = findEntry(registry, id);
  const data = entry.data;
  if (o.field !== undefined) {
    if (!(o.field in data)) throw new UsageError(`field "${o.field}" not found in entry ${entry.id}`);
    const value = data[o.field];
    if (o.raw) return typeof value === 'string' ? value : dump(value);
    if (o.json) return `${JSON.stringify(value, null, 2)}\n`;
    if (o.yaml || typeof value !== 'string') return dump(value);
    return `${value}\n`;
  }
  const invalid = registry.skipped.get(entry.id);
  const whole = { id: entry.id, kind: entry.kind, meta: entry.meta, data, ...(invalid !== undefined ? { invalid } : {}) };
  if (o.json) return `${JSON.stringify(whole, null, 2)}\n`;
  if (o.yaml || o.raw) return dump(whole);
  let out = `ID:   ${entry.id}\nKind: ${entry.kind}\n`;
  if (invalid !== undefined) out += `Invalid: ${invalid}\n`;
  const metaKeys = Object.keys(entry.meta).sort();
  if (metaKeys.length > 0) {
    out += '\nMetadata:\n';
    for (const k of metaKeys) out += `  ${k}: ${inline(entry.meta[k])}\n`;
  }
  if (Object.keys(data).length > 0) {
    out += '\nData:\n';
    for (const line of dump(data).split('\n')) if (line !== '') out += `  ${line}\n`;
  }
  return out;
}

function inline(v: unknown): string {
  return v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function dump(v: unknown): string {
  return yaml.dump(v, { lineWidth: -1, noRefs: true });
}
