/**
 * The `store` facet: a key-value store (`store.memory`, `store.sql`) as other services use it (a token store
 * keeps its tokens in one). Values are portable values, copied in and out. Operations resolve to error
 * values on failure (Unavailable when the store is down). A missing key is `undefined` from `get`.
 */
import type { ErrorValue, Value } from '../kernel/value';

export interface KeyValueStore {
  get(key: string): Promise<Value | undefined | ErrorValue>;
  /** `ttlMs` > 0: the key disappears after that long. */
  set(key: string, value: Value, ttlMs?: number): Promise<null | ErrorValue>;
  /** Whether the key was there. */
  delete(key: string): Promise<boolean | ErrorValue>;
}

declare module './resources' {
  interface Facets {
    store: KeyValueStore;
  }
}
