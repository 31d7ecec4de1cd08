import { parseDuration } from '../lib/duration';
import { Site, describe, isMapping } from './errors';

const NS_PER_MS = 1e6;

/**
 * Typed, validating access to one mapping of entry data. `null` counts as absent, because
 * `key:` with no value is how YAML users usually leave a field empty.
 */
export class Fields {
  constructor(
    readonly site: Site,
    readonly data: Record<string, unknown>,
    private readonly prefix = '',
  ) {}

  path(key: string): string {
    return this.prefix === '' ? key : `${this.prefix}.${key}`;
  }

  has(key: string): boolean {
    return this.data[key] !== undefined && this.data[key] !== null;
  }

  keys(): string[] {
    return Object.keys(this.data);
  }

  typeError(key: string, expected: string): never {
    throw this.site.error(`field "${this.path(key)}" must be ${expected}, got ${describe(this.data[key])}`);
  }

  requiredString(key: string): string {
    const v = this.data[key];
    if (v === undefined || v === null || v === '') {
      throw this.site.error(`missing required field "${this.path(key)}"`);
    }
    if (typeof v !== 'string') this.typeError(key, 'a string');
    return v;
  }

  boolean(key: string, fallback: boolean): boolean {
    if (!this.has(key)) return fallback;
    const v = this.data[key];
    if (typeof v !== 'boolean') this.typeError(key, 'true or false');
    return v;
  }

  integer(key: string, fallback: number, min: number): number;
  integer(key: string, fallback: undefined, min: number): number | undefined;
  integer(key: string, fallback: number | undefined, min: number): number | undefined {
    if (!this.has(key)) return fallback;
    const v = this.data[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
      this.typeError(key, min === 0 ? 'a non-negative integer' : `an integer >= ${min}`);
    }
    return v;
  }

  number(key: string, fallback: number, check: (n: number) => boolean, expected: string): number {
    if (!this.has(key)) return fallback;
    const v = this.data[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || !check(v)) this.typeError(key, expected);
    return v;
  }

  oneOf<T extends string>(key: string, fallback: T, allowed: readonly T[]): T {
    if (!this.has(key)) return fallback;
    const v = this.data[key];
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
      this.typeError(key, allowed.map((a) => JSON.stringify(a)).join(' or '));
    }
    return v as T;
  }

  list(key: string): unknown[] {
    if (!this.has(key)) return [];
    const v = this.data[key];
    if (!Array.isArray(v)) this.typeError(key, 'a list');
    return v;
  }

  stringList(key: string): string[] {
    const v = this.data[key];
    if (!this.has(key)) return [];
    if (!Array.isArray(v) || !v.every((s): s is string => typeof s === 'string' && s !== '')) {
      this.typeError(key, 'a list of strings');
    }
    return [...v];
  }

  stringMap(key: string): Record<string, string> {
    if (!this.has(key)) return {};
    const v = this.data[key];
    if (!isMapping(v)) this.typeError(key, 'a mapping of strings');
    const out: Record<string, string> = {};
    for (const [k, s] of Object.entries(v)) {
      if (typeof s !== 'string' || s === '') {
        throw this.site.error(`field "${this.path(key)}.${k}" must be a string, got ${describe(s)}`);
      }
      out[k] = s;
    }
    return out;
  }

  /** A nested mapping (`host:`, `lifecycle:`, `restart:`); absent or null gives an empty one. */
  sub(key: string): Fields {
    if (!this.has(key)) return new Fields(this.site, {}, this.path(key));
    const v = this.data[key];
    if (!isMapping(v)) this.typeError(key, 'a mapping');
    return new Fields(this.site, v, this.path(key));
  }

  /**
   * A Go duration string ("10s", "1m30s") or, as Wippy's decoder does, a bare number of
   * nanoseconds. Returns milliseconds (possibly fractional).
   */
  durationMs(key: string, fallbackMs: number): number {
    if (!this.has(key)) return fallbackMs;
    const v = this.data[key];
    let ns: number;
    if (typeof v === 'number' && Number.isFinite(v)) {
      ns = v;
      if (ns > 0 && ns < NS_PER_MS) {
        this.site.warn(
          `field "${this.path(key)}": the bare number ${v} is read as nanoseconds, as Wippy does; ` +
            `write a duration such as "${v}s" if that was meant`,
        );
      }
    } else if (typeof v === 'string') {
      try {
        ns = parseDuration(v);
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        throw this.site.error(`field "${this.path(key)}": ${reason}`);
      }
    } else {
      this.typeError(key, 'a duration such as "10s"');
    }
    if (ns < 0) this.typeError(key, 'a non-negative duration');
    return ns / NS_PER_MS;
  }
}
