/**
 * Runs the entries of service kinds (src/services/service.ts): supervised kinds start with their lifecycle
 * (start timeout, restart with backoff after a failure, stop timeout), configuration kinds are made when the
 * runtime boots or a change adds them. It follows registry changes (create, update, delete, and the new
 * version for every running service) and answers `resources.get(id, facet)` for the Lua modules.
 */
import { ErrorValue } from '../kernel/value';
import { backoffDelay, isServiceEntry, type Entry, type Registry, type RegistryStore, type ServiceEntry } from '../registry';
import { after, type Timer } from '../util/timer';
import type { Facets, FacetName, Resources } from '../api/resources';
import type { LogLevel, LogSink } from '../api/logging';
import type { EnvironmentAccess } from '../api/environment';
import type { Node } from '../kernel/node';
import type { RunningService, ServiceContext, ServiceDefinition, ServiceThreads } from './service';

export type NativeState = 'Starting' | 'Running' | 'Stopping' | 'Stopped' | 'Failed';

/** One entry's service: its state, and what runs while it is Running. */
export class NativeService {
  state: NativeState = 'Stopped';
  running: RunningService | null = null;
  /** The last failure (message and when), kept after a restart for the live view. */
  lastError: { message: string; at: number } | null = null;
  restarts = 0;
  failures = 0;
  changedAt = Date.now();
  startedAt: number | null = null;
  nextRetryAt: number | null = null;
  retry: Timer | null = null;
  /** Bumped by every start and stop, so a late start or failure of an older run is ignored. */
  generation = 0;

  constructor(
    public entry: ServiceEntry,
    readonly definition: ServiceDefinition,
  ) {}

  get id(): string {
    return this.entry.id;
  }
}

export interface NativeServicesOptions {
  readonly node: Node;
  readonly store: RegistryStore;
  readonly logs: LogSink;
  readonly env: EnvironmentAccess;
  readonly definitions: readonly ServiceDefinition[];
  readonly threads?: ServiceThreads;
}

export class NativeServices implements Resources {
  readonly services = new Map<string, NativeService>();
  private readonly byKind = new Map<string, ServiceDefinition>();
  private closed = false;

  constructor(private readonly options: NativeServicesOptions) {
    for (const d of options.definitions) for (const k of d.kinds) this.byKind.set(k, d);
  }

  /** Whether the runtime runs entries of this kind. */
  runs(entry: Entry): entry is ServiceEntry {
    return isServiceEntry(entry) && this.byKind.has(entry.kind);
  }

  /** Starts `entry`'s service; resolves true once Running, false when it failed (logged, state Failed). */
  async start(entry: ServiceEntry): Promise<boolean> {
    const definition = this.byKind.get(entry.kind);
    if (definition === undefined || this.closed) return false;
    let service = this.services.get(entry.id);
    if (service === undefined) {
      service = new NativeService(entry, definition);
      this.services.set(entry.id, service);
    } else if (service.state === 'Running' || service.state === 'Starting') {
      return service.state === 'Running';
    }
    service.entry = entry;
    return this.run(service);
  }

  /** Stops one service (its stop timeout bounds the wait). */
  async stop(id: string): Promise<void> {
    const service = this.services.get(id);
    if (service === undefined) return;
    service.retry?.cancel();
    service.retry = null;
    service.nextRetryAt = null;
    service.generation++;
    const running = service.running;
    service.running = null;
    if (running === null) {
      if (service.state !== 'Failed') this.set(service, 'Stopped');
      return;
    }
    this.set(service, 'Stopping');
    const timeoutMs = service.entry.lifecycle?.stopTimeoutMs ?? 10_000;
    let timer: Timer | null = null;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = after(timeoutMs, () => resolve('timeout'))));
    try {
      const r = await Promise.race([running.stop(timeoutMs).then(() => 'stopped' as const), timedOut]);
      if (r === 'timeout') this.fail(service, `stop timeout after ${timeoutMs / 1000}s`, false);
      else this.set(service, 'Stopped');
    } catch (e) {
      this.fail(service, reasonOf(e), false);
    } finally {
      (timer as Timer | null)?.cancel();
    }
  }

  /** Stops every service, `ids` first in the given order, then whatever else runs; no new start after this. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.services.keys()].map((id) => this.stop(id)));
  }

  /**
   * A new registry version: deleted entries stop, changed ones are told (or restarted when they cannot follow),
   * created configuration kinds and auto_start services start.
   */
  async follow(registry: Registry, previous: Registry): Promise<void> {
    if (this.closed) return;
    for (const [id, service] of this.services) {
      const entry = registry.get(id);
      if (entry === undefined || !isServiceEntry(entry) || entry.kind !== service.entry.kind) {
        await this.stop(id);
        this.services.delete(id);
        continue;
      }
      const changed = previous.record(id) !== registry.record(id);
      service.entry = entry;
      if (service.running === null) {
        // A failed service whose entry changed may work now (the fix is often the change): start it afresh.
        if (changed && service.state === 'Failed') await this.restartFailed(service);
        continue;
      }
      try {
        await service.running.registryChanged?.(registry, entry);
      } catch (e) {
        this.log('warn', 'service restarting after a registry change it could not follow', { service: id, error: reasonOf(e) });
        await this.stop(id);
        await this.run(service);
        continue;
      }
      if (changed && service.running.registryChanged === undefined) {
        await this.stop(id);
        await this.run(service);
      }
    }
    for (const entry of registry.entries()) {
      if (!this.runs(entry) || this.services.has(entry.id)) continue;
      if (entry.lifecycle === undefined || entry.lifecycle.autoStart) await this.start(entry);
    }
  }

  get<K extends FacetName>(id: string, facet: K): Facets[K] | ErrorValue {
    const entry = this.options.store.current.get(id);
    if (entry === undefined) {
      const record = this.options.store.current.record(id);
      return record === undefined
        ? new ErrorValue(`resource not found: ${id}`, 'NotFound', false)
        : new ErrorValue(`resource ${id} has kind ${record.kind}, which wisp does not run`, 'Invalid', false);
    }
    const service = this.services.get(id);
    const value = service?.running?.facets[facet];
    if (value !== undefined) return value as Facets[K];
    if (service === undefined || service.running === null) {
      if (!this.runs(entry)) return new ErrorValue(`resource ${id} is a ${entry.kind}, not a ${facet} resource`, 'Invalid', false);
      return new ErrorValue(`resource ${id} is not running (${service?.state ?? 'not started'})`, 'Unavailable', true);
    }
    return new ErrorValue(`resource ${id} is a ${entry.kind}, not a ${facet} resource`, 'Invalid', false);
  }

  private async restartFailed(service: NativeService): Promise<void> {
    service.retry?.cancel();
    service.retry = null;
    service.nextRetryAt = null;
    service.failures = 0;
    service.restarts++;
    this.log('info', 'failed service restarting after its entry changed', { service: service.id });
    await this.run(service);
  }

  private async run(service: NativeService): Promise<boolean> {
    const generation = ++service.generation;
    const entry = service.entry;
    this.set(service, 'Starting');
    const ctx = this.context(service, generation);
    const timeoutMs = entry.lifecycle?.startTimeoutMs ?? 10_000;
    let timer: Timer | null = null;
    try {
      const started = Promise.resolve().then(() => service.definition.start(entry, ctx));
      const timedOut = new Promise<never>((_, reject) => {
        timer = after(timeoutMs, () => reject(new Error(`start timeout after ${timeoutMs / 1000}s`)));
      });
      const running = await Promise.race([started, timedOut]);
      if (generation !== service.generation) {
        // Stopped (or restarted) while starting: this run is not wanted any more.
        await running.stop(0).catch(() => undefined);
        return false;
      }
      service.running = running;
      service.startedAt = Date.now();
      this.set(service, 'Running');
      return true;
    } catch (e) {
      if (generation === service.generation) this.fail(service, reasonOf(e), true);
      return false;
    } finally {
      (timer as Timer | null)?.cancel();
    }
  }

  private context(service: NativeService, generation: number): ServiceContext {
    return {
      node: this.options.node,
      store: this.options.store,
      resources: this,
      env: this.options.env,
      threads: this.options.threads,
      log: (level, message, fields = {}) => this.log(level, message, { service: service.id, ...fields }),
      failed: (error) => {
        if (generation !== service.generation || this.closed) return;
        const running = service.running;
        service.running = null;
        service.generation++;
        void running?.stop(0).catch(() => undefined);
        this.fail(service, typeof error === 'string' ? error : error.message, true);
      },
    };
  }

  /** Marks a failure; a supervised service whose policy allows it is started again after its backoff. */
  private fail(service: NativeService, message: string, mayRetry: boolean): void {
    service.lastError = { message, at: Date.now() };
    const lifecycle = service.entry.lifecycle;
    const ranMs = service.startedAt === null ? 0 : Date.now() - service.startedAt;
    service.failures = lifecycle !== undefined && ranMs >= lifecycle.stableThresholdMs ? 1 : service.failures + 1;
    const policy = lifecycle?.restart;
    const retry = mayRetry && !this.closed && policy !== undefined && (policy.maxAttempts === 0 || service.failures < policy.maxAttempts);
    if (!retry || policy === undefined) {
      this.set(service, 'Failed', { error: message, attempts: service.failures, retrying: false }, 'error');
      return;
    }
    const delay = backoffDelay(policy, service.failures);
    this.set(service, 'Failed', { error: message, attempts: service.failures, next_delay_ms: Math.round(delay) }, 'error');
    service.nextRetryAt = Date.now() + delay;
    service.retry = after(delay, () => {
      service.retry = null;
      service.nextRetryAt = null;
      service.restarts++;
      void this.run(service);
    });
  }

  private set(service: NativeService, state: NativeState, fields: Record<string, unknown> = {}, level: LogLevel = 'info'): void {
    service.state = state;
    service.changedAt = Date.now();
    this.log(level, `service ${state.toLowerCase()}`, { service: service.id, kind: service.entry.kind, ...fields });
  }

  private log(level: LogLevel, message: string, fields: Record<string, unknown>): void {
    const logs = this.options.logs;
    if (logs.enabled(level)) logs.write({ level, message, logger: 'supervisor', fields });
  }
}

function reasonOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
