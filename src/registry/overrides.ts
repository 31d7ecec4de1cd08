/**
 * Wippy's entry overrides (`wippy run -o ns:entry:field=value`, the `override` section of `.wippy.yaml`):
 * a value set on an entry as written, before it is validated, so an override is checked like the YAML it
 * replaces. `field` is a dotted path into the entry's fields (`data.` optional), `meta.<path>`, or `kind`.
 */
import { RegistryError, isMapping } from './errors';
import type { RawEntry } from './files';

export interface Override {
  /** `ns:entry` */
  readonly id: string;
  readonly path: string;
  readonly value: unknown;
}

const FORM = 'namespace:entry:field=value';

/** `app:gateway:addr=:8080` → an override; one-line errors name the flag's text. */
export function parseOverride(text: string): Override {
  const eq = text.indexOf('=');
  const key = eq < 0 ? text : text.slice(0, eq);
  const [namespace, entry, ...rest] = key.split(':');
  const path = rest.join(':').trim();
  if (eq < 0 || rest.length === 0 || namespace.trim() === '' || entry.trim() === '' || path === '') {
    throw new RegistryError(`invalid override "${text}": expected ${FORM}`);
  }
  return { id: `${namespace.trim()}:${entry.trim()}`, path, value: overrideValue(text.slice(eq + 1)) };
}

/** As Wippy reads the text after `=`: true/false, integers, decimals; anything else stays a string. */
export function overrideValue(raw: string): unknown {
  const t = raw.trim();
  if (t === '') return raw;
  if (/^(true|false)$/i.test(t)) return t.toLowerCase() === 'true';
  if (/^[+-]?\d+$/.test(t) && String(Number(t)) === t.replace(/^\+/, '')) return Number(t);
  if (/[.eE]/.test(t) && /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
  return raw;
}

/** Applies the overrides that name `raw`; `used` collects the ids that matched. */
export function applyOverrides(raw: RawEntry, overrides: readonly Override[], used: Set<string>): void {
  const id = `${raw.namespace}:${raw.name}`;
  for (const o of overrides) {
    if (o.id !== id) continue;
    used.add(o.id);
    const path = o.path.replace(/^\./, '');
    if (path === 'kind') {
      if (typeof o.value !== 'string' || o.value.trim() === '') throw new RegistryError(`override ${id}:kind: must be a non-empty string`);
      raw.kind = o.value.trim();
    } else if (path.startsWith('meta.')) {
      raw.meta = { ...raw.meta };
      setPath(raw.meta, path.slice('meta.'.length), o.value, `${id}:${o.path}`);
    } else {
      setPath(raw.data, path.replace(/^data\./, ''), o.value, `${id}:${o.path}`);
    }
  }
}

/** The override ids no entry matched, as the one-line error Wippy gives. */
export function checkAllUsed(overrides: readonly Override[], used: ReadonlySet<string>): void {
  const missing = overrides.find((o) => !used.has(o.id));
  if (missing !== undefined) throw new RegistryError(`override ${missing.id}:${missing.path}: entry ${missing.id} not found`);
}

function setPath(target: Record<string, unknown>, path: string, value: unknown, named: string): void {
  const keys = path.split('.');
  let at = target;
  for (const key of keys.slice(0, -1)) {
    const next = at[key];
    if (next === undefined || next === null) at = at[key] = {};
    // A copy: YAML aliases may share this mapping with other entries.
    else if (isMapping(next)) at = at[key] = { ...next };
    else throw new RegistryError(`override ${named}: "${key}" is not a mapping`);
  }
  at[keys[keys.length - 1]] = value;
}
