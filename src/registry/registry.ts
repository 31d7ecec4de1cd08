import { Entry, EntryKind, EntryOfKind } from './types';

/** A loaded, validated set of entries. Immutable once built. */
export class Registry {
  private readonly list: readonly Entry[];
  private readonly index: ReadonlyMap<string, Entry>;

  /**
   * @param root     the project directory (holding `wippy.lock`); messages show paths relative to it
   * @param entries  in load order
   * @param warnings one-line messages, already formatted (file and entry named)
   * @param srcDir   absolute source directory, when a lock file named one
   * @param skipped  ids of entries left out for an unknown kind → the warning that says so (also in `warnings`)
   * @param written  id → the entry's fields as written (after overrides), for `wisp registry show`
   */
  constructor(
    readonly root: string,
    entries: readonly Entry[],
    readonly warnings: string[] = [],
    readonly srcDir?: string,
    readonly skipped: ReadonlyMap<string, string> = new Map(),
    private readonly written: ReadonlyMap<string, Readonly<Record<string, unknown>>> = new Map(),
  ) {
    this.list = [...entries];
    this.index = new Map(entries.map((e) => [e.id, e]));
  }

  get size(): number {
    return this.list.length;
  }

  get(id: string): Entry | undefined {
    return this.index.get(id);
  }

  has(id: string): boolean {
    return this.index.has(id);
  }

  /** The entry's fields as its file gives them (`source: file://x.lua`, not the source), after overrides. */
  fieldsAsWritten(id: string): Readonly<Record<string, unknown>> | undefined {
    return this.written.get(id);
  }

  /** All entries in load order (files in walk order, entries in file order). */
  entries(): Entry[] {
    return [...this.list];
  }

  byKind<K extends EntryKind>(kind: K): EntryOfKind<K>[] {
    return this.list.filter((e): e is EntryOfKind<K> => e.kind === kind);
  }
}
