/**
 * The entry kinds services define, one definition per family (src/registry/kinds/<family>.ts). Adding a
 * family is its file and one line here. An embedder may add its own (`new KindTable([...])`).
 */
import type { KindDefinition } from '../kind';
import { ENTRY_KINDS, isEntryKind, type Entry, type ServiceEntry } from '../types';
import { templateJetKind, templateSetKind } from './template';
import { dbKinds } from './db';
import { fsKinds } from './fs';
import { execKinds } from './exec';
import { contractBindingKind, contractDefinitionKind } from './contract';
import { storeKinds } from './store';
import { queueKinds } from './queue';
import { httpKinds } from './http';

export const KIND_DEFINITIONS: readonly KindDefinition<ServiceEntry>[] = [
  templateSetKind,
  templateJetKind,
  dbKinds,
  fsKinds,
  execKinds,
  contractDefinitionKind,
  contractBindingKind,
  storeKinds,
  queueKinds,
  httpKinds,
];

/** The kinds a registry knows: the core kinds and the defined service kinds. It travels with the registry. */
export class KindTable {
  private readonly byKind = new Map<string, KindDefinition<ServiceEntry>>();

  constructor(definitions: readonly KindDefinition<ServiceEntry>[]) {
    for (const d of definitions) for (const k of d.kinds) this.byKind.set(k, d);
  }

  /** The definition of `kind`, if a service family defines it. */
  definitionOf(kind: string): KindDefinition<ServiceEntry> | undefined {
    return this.byKind.get(kind);
  }

  /** Whether wisp knows `kind` (a core kind or a defined service kind). */
  has(kind: string): boolean {
    return isEntryKind(kind) || this.byKind.has(kind);
  }

  /** Runs every definition's whole-registry check (conflicting routes); throws a RegistryError. */
  check(entries: readonly Entry[], root: string): void {
    for (const d of new Set(this.byKind.values())) d.check?.(entries, root);
  }

  /** Every kind it knows, core kinds first. */
  names(): string[] {
    return [...ENTRY_KINDS, ...this.byKind.keys()];
  }
}

export const DEFAULT_KINDS = new KindTable(KIND_DEFINITIONS);
