/**
 * The environment of one runtime, built from its `env.storage.*` and `env.variable` entries (Wippy's env
 * registry): variables are found by their variable name, then by entry id (bare names in the caller's
 * namespace); each reads and writes its storage.
 */
import { ErrorValue } from '../../kernel/value';
import type { Registry } from '../../registry';

interface Storage {
  get(name: string): string | undefined;
  /** Null when written, else the error. */
  set(name: string, value: string): ErrorValue | null;
  list(): Map<string, string>;
}

const readOnlyStorage = (): ErrorValue => new ErrorValue('storage is read-only', 'PermissionDenied', false);
export const notFound = (): ErrorValue => new ErrorValue('environment variable not found', 'NotFound', false);

class MemoryStorage implements Storage {
  private readonly values = new Map<string, string>();
  get(name: string): string | undefined {
    return this.values.get(name);
  }
  set(name: string, value: string): null {
    this.values.set(name, value);
    return null;
  }
  list(): Map<string, string> {
    return new Map(this.values);
  }
}

class OsStorage implements Storage {
  get(name: string): string | undefined {
    return process.env[name];
  }
  set(): ErrorValue {
    return readOnlyStorage();
  }
  list(): Map<string, string> {
    const out = new Map<string, string>();
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined) out.set(k, v);
    return out;
  }
}

class RouterStorage implements Storage {
  constructor(private readonly storages: Storage[]) {}
  get(name: string): string | undefined {
    for (const s of this.storages) {
      const v = s.get(name);
      if (v !== undefined) return v;
    }
    return undefined;
  }
  set(name: string, value: string): ErrorValue | null {
    return this.storages[0].set(name, value);
  }
  list(): Map<string, string> {
    const out = new Map<string, string>();
    for (const s of this.storages) for (const [k, v] of s.list()) if (!out.has(k)) out.set(k, v);
    return out;
  }
}

interface Variable {
  id: string;
  name: string;
  storage: Storage;
  fallback: string;
  readonly: boolean;
}

export class Environment {
  private readonly storages = new Map<string, Storage>();
  private readonly byName = new Map<string, Variable>();
  private readonly byId = new Map<string, Variable>();

  constructor(registry: Registry) {
    const build = (id: string, path: Set<string>): Storage | undefined => {
      const known = this.storages.get(id);
      if (known !== undefined) return known;
      const entry = registry.get(id);
      let s: Storage | undefined;
      if (entry?.kind === 'env.storage.memory') s = new MemoryStorage();
      else if (entry?.kind === 'env.storage.os') s = new OsStorage();
      else if (entry?.kind === 'env.storage.router' && !path.has(id)) {
        path.add(id);
        const parts = entry.storages.map((p) => build(p, path)).filter((p): p is Storage => p !== undefined);
        if (parts.length > 0) s = new RouterStorage(parts);
      }
      if (s !== undefined) this.storages.set(id, s);
      return s;
    };
    for (const e of registry.entries()) {
      if (e.kind === 'env.storage.memory' || e.kind === 'env.storage.os' || e.kind === 'env.storage.router') build(e.id, new Set());
    }
    for (const v of registry.byKind('env.variable')) {
      const storage = this.storages.get(v.storage);
      if (storage === undefined) continue;
      const name = v.variable !== '' ? v.variable : v.id;
      if (this.byName.has(name)) continue; // Wippy rejects a second variable with the same name
      const variable = { id: v.id, name, storage, fallback: v.default, readonly: v.readonly };
      this.byName.set(name, variable);
      this.byId.set(v.id, variable);
    }
  }

  private find(key: string, namespace: string): Variable | undefined {
    return this.byName.get(key) ?? (key.includes(':') ? this.byId.get(key) : this.byId.get(`${namespace}:${key}`));
  }

  get(key: string, namespace: string): string | ErrorValue {
    const v = this.find(key, namespace);
    if (v === undefined) return notFound();
    const value = v.storage.get(v.name);
    if (value !== undefined && value !== '') return value;
    return v.fallback !== '' ? v.fallback : notFound();
  }

  set(key: string, value: string, namespace: string): ErrorValue | null {
    const v = this.find(key, namespace);
    if (v === undefined) return notFound();
    if (v.readonly) return new ErrorValue('environment variable is read-only', 'PermissionDenied', false);
    return v.storage.set(v.name, value);
  }

  /** Everything every storage holds (Wippy's All), later storages over earlier ones. */
  all(): Map<string, string> {
    const out = new Map<string, string>();
    for (const s of this.storages.values()) for (const [k, v] of s.list()) out.set(k, v);
    return out;
  }
}
