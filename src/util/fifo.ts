const NONE: never[] = [];

/**
 * A FIFO queue with O(1) push and shift (a growable ring buffer, power-of-two sized). Run queues, channel
 * buffers and mailboxes use it. Storage is allocated on first push: most channels of an idle process never
 * queue anything, and 100k idle processes would otherwise carry 100k empty arrays each.
 */
export class Fifo<T> {
  private items: (T | undefined)[] = NONE;
  private head = 0;
  private count = 0;

  get length(): number {
    return this.count;
  }

  push(item: T): void {
    if (this.count === this.items.length) this.grow();
    this.items[(this.head + this.count) & (this.items.length - 1)] = item;
    this.count++;
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) & (this.items.length - 1);
    this.count--;
    return item;
  }

  /** Calls `fn` on every item, oldest first. */
  forEach(fn: (item: T) => void): void {
    for (let i = 0; i < this.count; i++) fn(this.items[(this.head + i) & (this.items.length - 1)] as T);
  }

  /** Removes the first item for which `match` holds; O(n), for the rare cancel paths. */
  remove(match: (item: T) => boolean): boolean {
    const n = this.count;
    for (let i = 0; i < n; i++) {
      const item = this.shift() as T;
      if (match(item)) {
        for (let j = i + 1; j < n; j++) this.push(this.shift() as T);
        return true;
      }
      this.push(item);
    }
    return false;
  }

  private grow(): void {
    const bigger: (T | undefined)[] = new Array(Math.max(4, this.items.length * 2));
    for (let i = 0; i < this.count; i++) bigger[i] = this.items[(this.head + i) & (this.items.length - 1)];
    this.items = bigger;
    this.head = 0;
  }
}
