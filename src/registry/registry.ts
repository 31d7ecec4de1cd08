import { Entry, EntryKind, EntryOfKind, EntryRecord } from './types';
import { DEFAULT_KINDS, type KindTable } from './kinds';

/**
 * One version of the registry: validated, typed entries of the kinds wisp runs, and the record of every
 * entry (of any kind) as the `registry` module shows it. Immutable: a change makes a new Registry (store.ts).
 */
export class Registry {
  private readonly list: readonly Entry[];
  private readonly index: ReadonlyMap<string, Entry>;
  private readonly recordList: readonly EntryRecord[];
  private readonly recordIndex: ReadonlyMap<string, EntryRecord>;

  /**
   * @param root     the project directory (holding `wippy.lock`); messages show paths relative to it
   * @param entries  in load order
   * @param warnings one-line messages, already formatted (file and entry named)
   * @param srcDir   absolute source directory, when a lock file named one
   * @param records  every entry as written, unknown kinds included (default: the typed entries, no data)
   * @param skipped  ids of entries left out for an unknown kind → the warning that says so (also in `warnings`)
   * @param kinds    the kinds it knows
   */
  constructor(
    readonly root: string,
    entries: readonly Entry[],
    readonly warnings: string[] = [],
    readonly srcDir?: string,
    records?: readonly EntryRecord[],
    readonly skipped: ReadonlyMap<string, string> = new Map(),
    /** The kinds it was built with (a change to it is checked against the same). */
    readonly kinds: KindTable = DEFAULT_KINDS,
  ) {
    this.list = [...entries];
    this.index = new Map(entries.map((e) => [e.id, e]));
    this.recordList = records ?? entries.map((e) => ({ id: e.id, kind: e.kind, meta: e.meta, data: {}, file: e.file }));
    this.recordIndex = new Map(this.recordList.map((r) => [r.id, r]));
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

  /** The entry `id` as written, of any kind. */
  record(id: string): EntryRecord | undefined {
    return this.recordIndex.get(id);
  }

  /** Every entry as written, in load order, of any kind. */
  records(): readonly EntryRecord[] {
    return this.recordList;
  }
}
