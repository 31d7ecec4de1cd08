/**
 * The registry as it changes at run time: a history of versions, one of them current. A change set is
 * validated as a whole against the current version (the same checks as loading: fields, references, and
 * whatever `check` adds, such as compiling Lua) and either becomes a new version or is refused with one
 * line saying why. Restoring a version makes it current again without adding one (Wippy's rollback).
 */
import * as path from 'path';
import { buildEntry } from './entries';
import { RegistryError, Site } from './errors';
import { nameProblem, namespaceProblem } from './names';
import { ProjectFiles } from './project-files';
import { checkReferences } from './references';
import { Registry } from './registry';
import type { Entry, EntryKind, EntryRecord, ServiceKind } from './types';

export type ChangeKind = 'entry.create' | 'entry.update' | 'entry.delete';

export interface ChangeOp {
  readonly kind: ChangeKind;
  /** For a delete only `id` matters. */
  readonly record: EntryRecord;
}

export interface Version {
  /** 0 is the registry as loaded (Wippy's v0); each applied change set adds the next number. */
  readonly id: number;
  readonly registry: Registry;
  /** Milliseconds since the epoch. */
  readonly createdAt: number;
}

/** Extra validation of a built entry (compiling its Lua); a message refuses the whole change set. */
export type EntryCheck = (entry: Entry) => string | null;

export type ChangeListener = (current: Version, previous: Version) => void;

/** A change to pass on to the other threads: a change set, or a version made current again. */
export type StoreChange = { readonly ops: readonly ChangeOp[] } | { readonly restore: number };

/**
 * With several threads (src/cli/thread-registry.ts), how a thread makes a change: thread 1 orders every change,
 * each thread applies them in that order.
 */
export interface StoreLeader {
  /** Has thread 1 make `change` (checked already); resolves with the version then current, once every thread has it. */
  change(change: StoreChange): Promise<number>;
}

/** A change wisp cannot carry out at all (not the change's fault): hub dependencies. */
export class UnsupportedChange extends RegistryError {}

/**
 * What the history keeps (every version holds a Registry; a loop of applies would fill the heap, and no process
 * owns them): the version as loaded and the latest MAX_VERSIONS others. An older one is forgotten ("version N
 * not found"), unless it is the current one.
 */
export const MAX_VERSIONS = 100;
/** The most operations in one change set, and the most entries a registry may hold. */
export const MAX_CHANGES = 1_000;
export const MAX_ENTRIES = 100_000;

/** Pseudo file that messages about entries added at run time name. */
const RUNTIME_FILE = '(registry change)';

export class RegistryStore {
  private readonly history: Version[];
  private active: Version;
  private readonly listeners = new Set<ChangeListener>();
  /** Set on every thread of a node run with several: changes go through thread 1 (StoreLeader). */
  leader: StoreLeader | null = null;

  constructor(initial: Registry) {
    this.active = { id: 0, registry: initial, createdAt: Date.now() };
    this.history = [this.active];
  }

  get current(): Registry {
    return this.active.registry;
  }

  get version(): Version {
    return this.active;
  }

  versions(): readonly Version[] {
    return this.history;
  }

  at(id: number): Version | undefined {
    return this.history.find((v) => v.id === id);
  }

  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Applies `ops` in order to the current version; throws a RegistryError (and changes nothing) on a problem. */
  apply(ops: readonly ChangeOp[], check: EntryCheck = () => null): Version {
    const registry = this.build(ops, check);
    const next = Math.max(...this.history.map((v) => v.id)) + 1;
    return this.activate({ id: next, registry, createdAt: Date.now() }, true);
  }

  /** Throws the RegistryError `apply(ops, check)` would, and changes nothing either way. */
  check(ops: readonly ChangeOp[], check: EntryCheck = () => null): void {
    this.build(ops, check);
  }

  /** The registry `ops` make of the current version. */
  private build(ops: readonly ChangeOp[], check: EntryCheck): Registry {
    if (ops.length === 0) throw new RegistryError('no changes to apply');
    if (ops.length > MAX_CHANGES) throw new RegistryError(`too many changes: ${ops.length} in one change set (at most ${MAX_CHANGES})`);
    const base = this.current;
    const root = base.root;
    const srcDir = base.srcDir ?? root;
    const records = new Map(base.records().map((r) => [r.id, r]));
    const typed = new Map(base.entries().map((e) => [e.id, e]));
    const built: Entry[] = [];
    const files = new ProjectFiles(root);
    for (const op of ops) {
      const id = op.record.id;
      const exists = records.has(id);
      if (op.kind === 'entry.delete') {
        if (!exists) throw new RegistryError(`delete: entry ${id} not found`);
        records.delete(id);
        typed.delete(id);
        continue;
      }
      if (op.kind === 'entry.create' && exists) throw new RegistryError(`create: entry ${id} already exists`);
      if (op.kind === 'entry.update' && !exists) throw new RegistryError(`update: entry ${id} not found`);
      const record = validRecord(op.record);
      if (record.kind === 'ns.dependency') {
        throw new UnsupportedChange(`dependency resolution failed: wisp has no hub to resolve ${id} (${JSON.stringify(record.data.component ?? null)})`);
      }
      const site = new Site(root, record.file ?? path.join(root, RUNTIME_FILE), id);
      records.set(id, record);
      typed.delete(id);
      if (!base.kinds.has(record.kind)) continue;
      const [namespace, name] = splitId(id);
      const kind = record.kind as EntryKind | ServiceKind;
      const entry = buildEntry({ site, namespace, name, kind, meta: record.meta, data: record.data }, kind, site, files, srcDir, base.kinds);
      typed.set(id, entry);
      built.push(entry);
    }
    if (records.size > MAX_ENTRIES) throw new RegistryError(`registry full: ${records.size} entries (at most ${MAX_ENTRIES})`);
    const entries = [...records.keys()].flatMap((id) => typed.get(id) ?? []);
    const skipped = new Map([...records.values()].filter((r) => !base.kinds.has(r.kind)).map((r) => [r.id, r.kind]));
    checkReferences(root, entries, skipped);
    base.kinds.check(entries, root);
    for (const entry of built) {
      const problem = check(entry);
      if (problem !== null) throw new RegistryError(problem, { entry: entry.id });
    }
    return new Registry(root, entries, base.warnings, base.srcDir, [...records.values()], undefined, base.kinds);
  }

  /** Makes an earlier (or later) version current again; throws when there is no such version. */
  restore(id: number): Version {
    const version = this.at(id);
    if (version === undefined) throw new RegistryError(`version ${id} not found`);
    return this.activate(version, false);
  }

  private activate(version: Version, isNew: boolean): Version {
    const previous = this.active;
    if (isNew) this.history.push(version);
    this.active = version;
    // Forget the oldest (never v0, never the current one) beyond the bound.
    for (let i = 1; this.history.length > MAX_VERSIONS + 1 && i < this.history.length; ) {
      if (this.history[i] === this.active) i++;
      else this.history.splice(i, 1);
    }
    for (const listener of this.listeners) listener(version, previous);
    return version;
  }
}

/** The operations that turn `from` into `to`: creates, updates (any difference), deletes. */
export function delta(from: readonly EntryRecord[], to: readonly EntryRecord[]): ChangeOp[] {
  const before = new Map(from.map((r) => [r.id, r]));
  const after = new Set(to.map((r) => r.id));
  const ops: ChangeOp[] = [];
  for (const r of to) {
    const old = before.get(r.id);
    if (old === undefined) ops.push({ kind: 'entry.create', record: r });
    // Versions share the records a change did not touch: only the others need comparing.
    else if (old !== r && JSON.stringify([old.kind, old.meta, old.data]) !== JSON.stringify([r.kind, r.meta, r.data])) ops.push({ kind: 'entry.update', record: r });
  }
  for (const r of from) if (!after.has(r.id)) ops.push({ kind: 'entry.delete', record: r });
  return ops;
}

export function splitId(id: string): [string, string] {
  const colon = id.indexOf(':');
  return colon < 0 ? ['', id] : [id.slice(0, colon), id.slice(colon + 1)];
}

function validRecord(record: EntryRecord): EntryRecord {
  const [namespace, name] = splitId(record.id);
  if (namespace === '' || name === '') throw new RegistryError(`invalid entry id "${record.id}": expected namespace:name`);
  const problem = namespaceProblem(namespace) ?? nameProblem(name);
  if (problem !== null) throw new RegistryError(`invalid entry id "${record.id}": ${problem}`);
  if (record.kind === '') throw new RegistryError(`entry ${record.id}: missing required field "kind"`);
  return record;
}
