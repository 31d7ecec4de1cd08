/**
 * What a middleware is: a named wrapper around a handler, made once per router from that router's options
 * (Wippy's flat `options:` map with dotted keys, some with a legacy spelling). The table is ./index.ts.
 */
import type { Exchange } from '../exchange';
import type { ServiceContext } from '../../service';
import type { RelayHost } from '../relay-host';

export type Handler = (x: Exchange) => Promise<void>;

export interface MiddlewareEnv {
  readonly service: ServiceContext;
  /** The server's entry id. */
  readonly serverId: string;
  /** Where connection processes of the relays live (the server's host). */
  readonly relays: RelayHost;
}

export interface Middleware {
  readonly name: string;
  /**
   * Its state must be the node's, one for all threads (a rate limit's buckets): a server using it accepts on
   * thread 1 alone (src/services/http/spec.md "Threads").
   */
  readonly nodeState?: boolean;
  /** The wrapper for one router; throws an Error with a one-line reason for bad options. */
  make(options: Readonly<Record<string, string>>, env: MiddlewareEnv): (next: Handler) => Handler;
}

/** The first of `keys` set in `options` (the dotted name first, then legacy spellings), else `fallback`. */
export function option(options: Readonly<Record<string, string>>, keys: readonly string[], fallback: string): string {
  for (const k of keys) {
    const v = options[k];
    if (v !== undefined && v !== '') return v;
  }
  return fallback;
}

export function listOption(options: Readonly<Record<string, string>>, keys: readonly string[], fallback: string): string[] {
  return option(options, keys, fallback)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}
