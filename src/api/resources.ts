import type { ErrorValue } from '../kernel/value';

/**
 * What the running form of a registry entry offers Lua modules, by facet name: `sql.get("app:db")` asks for
 * the `sql` facet of app:db. Each contract file adds its facet here by declaration merging
 * (`declare module './resources' { interface Facets { sql: SqlDatabase } }`), so adding one touches no list.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface Facets {}

export type FacetName = keyof Facets;

export interface Resources {
  /**
   * The facet of entry `id`, or an error value that says why not: NotFound (no such entry), Invalid (the
   * entry's kind has no such facet), Unavailable (a service that is not running).
   */
  get<K extends FacetName>(id: string, facet: K): Facets[K] | ErrorValue;
}
