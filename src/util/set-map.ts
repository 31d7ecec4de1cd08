/** A map from keys to sets of values; a key whose set empties is gone. */
export class SetMap<K, V> {
  private readonly map = new Map<K, Set<V>>();

  add(key: K, value: V): void {
    let set = this.map.get(key);
    if (set === undefined) this.map.set(key, (set = new Set()));
    set.add(value);
  }

  has(key: K, value: V): boolean {
    return this.map.get(key)?.has(value) ?? false;
  }

  /** Whether `value` was under `key`. */
  delete(key: K, value: V): boolean {
    const set = this.map.get(key);
    if (set === undefined || !set.delete(value)) return false;
    if (set.size === 0) this.map.delete(key);
    return true;
  }

  /** Removes `key` and returns its values. */
  take(key: K): Set<V> {
    const set = this.map.get(key) ?? new Set<V>();
    this.map.delete(key);
    return set;
  }

  /** Removes `value` under every key. */
  deleteValue(value: V): void {
    for (const key of [...this.map.keys()]) this.delete(key, value);
  }

  entries(): IterableIterator<[K, Set<V>]> {
    return this.map.entries();
  }
}
