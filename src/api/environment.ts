import type { ErrorValue } from '../kernel/value';

/** The runtime's env entries as the `env` module uses them (src/services/env implements it). */
export interface EnvironmentAccess {
  /** The variable's value, found by variable name, then by entry id (a bare name in `namespace`). */
  get(key: string, namespace: string): string | ErrorValue;
  /** Null when written, else why not (not found, read-only, the storage refused). */
  set(key: string, value: string, namespace: string): ErrorValue | null;
  /** Everything every storage holds, later storages over earlier ones. */
  all(): Map<string, string>;
}
