/**
 * The `store` facet: what a `store.*` entry's running service offers (`resources.get(id, 'store')`), a
 * key-value store whose values are portable copies (what goes in is copied, what comes out is a fresh copy).
 * Failures are ErrorValues: NotFound ("key not found"), Unavailable (the store is full or stopped; retryable),
 * Invalid (a value too large), Internal (anything else). A call answers at once or with a Promise.
 */
import type { ErrorValue, Value } from '../kernel/value';
import type { Maybe } from '../lib/byte-stream';

export interface KeyValueStore {
  /** The value, or a rejection/throw of NotFound when the key is absent or expired. */
  get(key: string): Maybe<Value>;
  /** Stores a copy; `ttlMs` 0 keeps it until deleted. */
  set(key: string, value: Value, ttlMs: number): Maybe<void>;
  has(key: string): Maybe<boolean>;
  /** Whether the key was there (an expired key counts as absent). */
  delete(key: string): Maybe<boolean>;
  /** A counted hold (what `store.get` takes); Unavailable once the store has stopped. */
  acquire(): StoreHold | ErrorValue;
}

export interface StoreHold {
  /** Idempotent. */
  release(): void;
}

declare module './resources' {
  interface Facets {
    store: KeyValueStore;
  }
}
