/**
 * How a service family declares its entry kinds: a definition validates and defaults an entry's fields into
 * its typed form, as the core kinds are in entries.ts. Definitions are listed in kinds/index.ts.
 */
import type { Fields } from './fields';
import type { FileSource } from './interpolate';
import { qualify, type Entry, type EntryRef, type ServiceEntry, type ServiceKind } from './types';
import { parseLifecycle } from './lifecycle';

export interface KindContext {
  /** The project directory and the source directory, absolute. */
  readonly root: string;
  readonly srcDir: string;
  /** Files read into fields by `file://` values, by field path (`source`, `options.cert`). */
  readonly sources: ReadonlyMap<string, FileSource>;
  /** The root directory of the module (a lock file replacement) the entry was loaded from. */
  readonly moduleRoot?: string;
}

export interface KindDefinition<E extends ServiceEntry = ServiceEntry> {
  readonly kinds: readonly E['kind'][];
  /**
   * The typed entry. `f` reads the entry's fields with one-line errors naming file and entry; `base` holds
   * id, names, kind, meta, file. Build on `serviceBase(f, base, ...)` for `lifecycle` and `refs`.
   */
  parse(f: Fields, base: ServiceBase, ctx: KindContext): E;
  /**
   * Checks a whole registry version once every entry is typed and its references resolve (routes that
   * conflict across entries); throws a RegistryError naming the entry at fault.
   */
  check?(entries: readonly Entry[], root: string): void;
}

/** What every service entry starts from. */
export interface ServiceBase {
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  readonly kind: ServiceKind;
  readonly meta: Record<string, unknown>;
  readonly file: string;
  readonly line?: number;
}

export function kindDefinition<E extends ServiceEntry>(definition: KindDefinition<E>): KindDefinition<E> {
  return definition;
}

/**
 * The common part of a service entry: `lifecycle` when `supervised` (the kinds the runtime starts and stops),
 * and the references it makes (ids are qualified with the entry's namespace).
 */
export function serviceBase(
  f: Fields,
  base: ServiceBase,
  supervised: boolean,
  refs: readonly { field: string; id: string; kinds?: readonly string[] }[] = [],
): ServiceEntry {
  const entryRefs: EntryRef[] = refs.map((r) => ({ field: r.field, id: qualify(r.id, base.namespace), kinds: r.kinds ?? [] }));
  return supervised ? { ...base, lifecycle: parseLifecycle(f, base.namespace), refs: entryRefs } : { ...base, refs: entryRefs };
}
