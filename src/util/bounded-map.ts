/**
 * The runtime's one kind of cache: a map of values derived from input (compiled patterns, prepared statements,
 * parsed layouts, interned strings) that holds at most `limit` entries, so that input a script chooses cannot
 * grow it without bound. When full, a new entry evicts the oldest one, or, for the hottest caches, where one
 * refill is cheaper than an eviction per insert, all of them (`evict: 'all'`).
 */
export class BoundedMap<K, V> {
  private readonly map = new Map<K, V>();

  constructor(
    private readonly limit: number,
    private readonly evict: 'oldest' | 'all' = 'oldest',
  ) {}

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    return this.map.get(key);
  }

  set(key: K, value: V): void {
    if (this.map.size >= this.limit && !this.map.has(key)) {
      if (this.evict === 'all') this.map.clear();
      else this.map.delete(this.map.keys().next().value as K);
    }
    this.map.set(key, value);
  }

  delete(key: K): boolean {
    return this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
  }

  /** The value kept for `key`, made by `make` and kept on first use. */
  memo(key: K, make: (key: K) => V): V {
    const known = this.map.get(key);
    if (known !== undefined) return known;
    const made = make(key);
    this.set(key, made);
    return made;
  }
}
