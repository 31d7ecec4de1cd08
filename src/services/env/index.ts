/**
 * The environment of one runtime, built from its `env.storage.*` and `env.variable` entries (Wippy's env
 * registry): variables are found by their variable name, then by entry id (bare names in the caller's
 * namespace); each reads and writes its storage.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'fs';
import { dirname } from 'path';
import { ErrorValue } from '../../kernel/value';
import type { Registry } from '../../registry';

export interface Storage {
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

class StaticStorage implements Storage {
  constructor(private readonly values: Record<string, string>) {}
  get(name: string): string | undefined {
    return Object.prototype.hasOwnProperty.call(this.values, name) ? this.values[name] : undefined;
  }
  set(): ErrorValue {
    return readOnlyStorage();
  }
  list(): Map<string, string> {
    return new Map(Object.entries(this.values));
  }
}

/** KEY=VALUE; blank lines and `#` comments skipped, an inline `#` ends the value, both sides trimmed. */
function parseLine(text: string): [string, string] | null {
  let line = text.trim();
  if (line === '' || line.startsWith('#')) return null;
  const hash = line.indexOf('#');
  if (hash >= 0) line = line.slice(0, hash).trim();
  const eq = line.indexOf('=');
  if (eq < 0) return null;
  return [line.slice(0, eq).trim(), line.slice(eq + 1).trim()];
}

/**
 * Why `text` cannot be written as a name or value of a `.env` line and read back the same (a newline would
 * start a line of its own, a `#` a comment, and the reader trims), or null when it can.
 */
function unstorable(what: 'name' | 'value', text: string, bad: RegExp): string | null {
  const m = bad.exec(text);
  if (m === null) return what === 'name' && text === '' ? 'a .env file cannot hold an empty name' : null;
  const c = m[0] === '' ? text[m.index] : m[0];
  const shown = c === '\n' ? 'a newline' : c === '\r' ? 'a carriage return' : c === '#' ? "'#'" : c === '=' ? "'='" : 'whitespace';
  const where = what === 'value' && (m.index === 0 || m.index === text.length - 1) && /\s/.test(c) ? ' at its start or end' : '';
  return `a .env file cannot hold this ${what}: it has ${shown}${where} (it would not read back the same)`;
}

/** A `.env` file, read on every access (edits from outside are seen), rewritten line by line on set. */
class FileStorage implements Storage {
  constructor(
    private readonly path: string,
    private readonly autoCreate: boolean,
    private readonly fileMode: number,
    private readonly dirMode: number,
  ) {}
  private lines(): string[] | null {
    try {
      return readFileSync(this.path, 'utf8').split(/\r?\n/);
    } catch {
      return null;
    }
  }
  get(name: string): string | undefined {
    for (const line of this.lines() ?? []) {
      const kv = parseLine(line);
      if (kv !== null && kv[0] === name) return kv[1];
    }
    return undefined;
  }
  set(name: string, value: string): ErrorValue | null {
    const problem = unstorable('name', name, /[=#\s]/) ?? unstorable('value', value, /[#\r\n]|^\s|\s$/);
    if (problem !== null) return new ErrorValue(problem, 'Invalid', false);
    try {
      if (this.autoCreate && !existsSync(this.path)) {
        mkdirSync(dirname(this.path), { recursive: true, mode: this.dirMode });
        writeFileSync(this.path, '', { mode: this.fileMode });
      }
      const lines = this.lines();
      if (lines === null) return new ErrorValue(`open ${this.path}: no such file or directory`, 'Internal', false);
      if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
      let updated = false;
      const out = lines.map((line) => {
        const kv = parseLine(line);
        if (kv === null || kv[0] !== name) return line;
        updated = true;
        const hash = line.indexOf('#');
        return hash >= 0 ? `${name}=${value} ${line.slice(hash)}` : `${name}=${value}`;
      });
      if (!updated) out.push(`${name}=${value}`);
      writeFileSync(this.path, out.map((l) => `${l}\n`).join(''), { mode: this.fileMode });
      return null;
    } catch (e) {
      return new ErrorValue(e instanceof Error ? e.message : String(e), 'Internal', false);
    }
  }
  list(): Map<string, string> {
    const out = new Map<string, string>();
    for (const line of this.lines() ?? []) {
      const kv = parseLine(line);
      if (kv !== null) out.set(kv[0], kv[1]);
    }
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

  /** `memory`: what an `env.storage.memory` is when not this runtime's own (shared by threads: src/cluster/shared.ts). */
  constructor(registry: Registry, memory?: (id: string) => Storage) {
    const build = (id: string, path: Set<string>): Storage | undefined => {
      const known = this.storages.get(id);
      if (known !== undefined) return known;
      const entry = registry.get(id);
      let s: Storage | undefined;
      if (entry?.kind === 'env.storage.memory') s = memory?.(id) ?? new MemoryStorage();
      else if (entry?.kind === 'env.storage.os') s = new OsStorage();
      else if (entry?.kind === 'env.storage.static') s = new StaticStorage(entry.values);
      else if (entry?.kind === 'env.storage.file') s = new FileStorage(entry.filePath, entry.autoCreate, entry.fileMode, entry.dirMode);
      else if (entry?.kind === 'env.storage.router' && !path.has(id)) {
        path.add(id);
        const parts = entry.storages.map((p) => build(p, path)).filter((p): p is Storage => p !== undefined);
        if (parts.length > 0) s = new RouterStorage(parts);
      }
      if (s !== undefined) this.storages.set(id, s);
      return s;
    };
    for (const e of registry.entries()) {
      if (e.kind.startsWith('env.storage.')) build(e.id, new Set());
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
