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
   */
  constructor(
    readonly root: string,
    entries: readonly Entry[],
    readonly warnings: string[] = [],
    readonly srcDir?: string,
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

  /** All entries in load order (files in walk order, entries in file order). */
  entries(): Entry[] {
    return [...this.list];
  }

  byKind<K extends EntryKind>(kind: K): EntryOfKind<K>[] {
    return this.list.filter((e): e is EntryOfKind<K> => e.kind === kind);
  }
}
