/**
 * What a service family implements: how the entries of its kinds run (an HTTP server, a database pool, a
 * store, a queue consumer, a directory). Each family is a folder src/services/<family>/ whose index.ts exports
 * one definition; the list is in ./index.ts. The runtime (./manager.ts) starts, follows and stops them.
 */
import type { Facets } from '../api/resources';
import type { Resources } from '../api/resources';
import type { LogLevel } from '../api/logging';
import type { EnvironmentAccess } from '../api/environment';
import type { Node } from '../kernel/node';
import type { MessagePort } from 'worker_threads';
import type { Registry, RegistryStore, ServiceEntry } from '../registry';

/** What a running service may use. */
export interface ServiceContext {
  /** The kernel: spawn handlers, send, names (every operation through its Router). */
  readonly node: Node;
  /** The registry as it changes at run time. */
  readonly store: RegistryStore;
  /** The other services' facets (a token store's backing store, a queue's driver). */
  readonly resources: Resources;
  readonly env: EnvironmentAccess;
  /** A log record from this service (`service` names it). */
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
  /**
   * The service failed while running (a server that lost its socket): it is reported, marked Failed and, for
   * supervised kinds, restarted after its lifecycle's backoff.
   */
  failed(error: Error | string): void;
  /** This runtime's place among its node's threads (`wisp run --threads N`); absent on one thread. */
  readonly threads?: ServiceThreads;
}

/**
 * The ports services use to hand work to other threads of the node (src/services/http/handoff*.ts): thread 1
 * holds one to each worker thread, a worker one to thread 1. Shared by every service of the runtime.
 */
export interface ServiceThreads {
  /** 1 for the main thread. */
  readonly index: number;
  /** By thread number: thread 1's ports to threads 2..N, or a worker's port to thread 1 (key 1). */
  readonly ports: ReadonlyMap<number, MessagePort>;
}

export interface RunningService {
  /** What it offers Lua modules (`sql.get(id)` asks for the `sql` facet). */
  readonly facets: Partial<Facets>;
  /**
   * A new registry version is current. The service follows it (routes, templates); `entry` is its own entry
   * in that version. Throwing (or rejecting) makes the runtime restart it from the new entry.
   */
  registryChanged?(registry: Registry, entry: ServiceEntry): void | Promise<void>;
  /** Stops: closes servers and connections; `graceMs` is how long in-flight work may take. */
  stop(graceMs: number): Promise<void>;
}

export interface ServiceDefinition<E extends ServiceEntry = ServiceEntry> {
  readonly kinds: readonly E['kind'][];
  /**
   * Starts an entry's service (resolving once it is up: listening, connected) or makes a configuration kind's
   * resource. Rejects with an Error whose message is one line for the user.
   */
  start(entry: E, ctx: ServiceContext): Promise<RunningService> | RunningService;
}

export function serviceDefinition<E extends ServiceEntry>(definition: ServiceDefinition<E>): ServiceDefinition<E> {
  return definition;
}
