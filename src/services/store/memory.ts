/**
 * `store.memory`: values kept in this process's memory, gone when it stops. At most `maxSize` keys and
 * `maxBytes` of values (a set beyond either is refused, Unavailable and retryable, as Wippy's "store is
 * full"); expired keys are skipped when read, purged before a set, and swept every cleanup interval.
 */
import { ErrorValue, type Value } from '../../kernel/value';
import { valueBytes } from '../../kernel/value-size';
import { every, type Timer } from '../../util/timer';
import type { KeyValueStore, StoreHold } from '../../api/store';
import type { MemoryStoreEntry } from '../../registry/kinds/store';

interface Stored {
  readonly value: Value;
  readonly bytes: number;
  /** Date.now() after which it is gone; Infinity for none. */
  readonly expiresAt: number;
}

export const KEY_NOT_FOUND = (): ErrorValue => new ErrorValue('key not found', 'NotFound', false);
export const STORE_CLOSED = (): ErrorValue => new ErrorValue('store is closed', 'Unavailable', true);

export class MemoryStore implements KeyValueStore {
  private readonly data = new Map<string, Stored>();
  private bytes = 0;
  private closed = false;
  private readonly sweeper: Timer;

  constructor(private readonly entry: MemoryStoreEntry) {
    this.sweeper = every(entry.cleanupIntervalMs, () => this.purge(Date.now()));
  }

  get size(): number {
    return this.data.size;
  }

  get(key: string): Value {
    const found = this.live(key);
    if (found === undefined) throw KEY_NOT_FOUND();
    return found.value;
  }

  set(key: string, value: Value, ttlMs: number): void {
    this.open();
    const now = Date.now();
    this.purge(now);
    const { maxSize, maxBytes } = this.entry;
    const bytes = valueBytes(value, maxBytes);
    if (bytes > maxBytes) throw new ErrorValue(`value too large for store ${this.entry.id} (more than ${maxBytes} bytes)`, 'Invalid', false);
    const previous = this.data.get(key);
    if (previous === undefined && this.data.size >= maxSize) throw new ErrorValue(`store is full (max_size ${maxSize})`, 'Unavailable', true);
    if (this.bytes - (previous?.bytes ?? 0) + bytes > maxBytes) throw new ErrorValue(`store is full (values exceed max_bytes ${maxBytes})`, 'Unavailable', true);
    this.remove(key);
    this.data.set(key, { value, bytes, expiresAt: ttlMs > 0 ? now + ttlMs : Infinity });
    this.bytes += bytes;
  }

  has(key: string): boolean {
    return this.live(key) !== undefined;
  }

  delete(key: string): boolean {
    const found = this.live(key) !== undefined;
    this.remove(key);
    return found;
  }

  acquire(): StoreHold | ErrorValue {
    return this.closed ? STORE_CLOSED() : { release: () => undefined };
  }

  close(): void {
    this.closed = true;
    this.sweeper.cancel();
    this.data.clear();
    this.bytes = 0;
  }

  private open(): void {
    if (this.closed) throw STORE_CLOSED();
  }

  private live(key: string): Stored | undefined {
    this.open();
    const found = this.data.get(key);
    if (found === undefined) return undefined;
    if (found.expiresAt <= Date.now()) {
      this.remove(key);
      return undefined;
    }
    return found;
  }

  private remove(key: string): void {
    const found = this.data.get(key);
    if (found === undefined) return;
    this.data.delete(key);
    this.bytes -= found.bytes;
  }

  private purge(now: number): void {
    for (const [key, stored] of this.data) if (stored.expiresAt <= now) this.remove(key);
  }
}
