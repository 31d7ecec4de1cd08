/**
 * Boots a project: the node, its hosts and services in dependency order; runs a process on the terminal host;
 * shuts everything down in reverse order. The CLI drives it; tests drive it in-process.
 */
import { Node } from '../kernel/node';
import { FUNCTION_HOST } from '../kernel/pid';
import { type Value } from '../kernel/value';
import { kernelErrors } from '../kernel/errors';
import { cancelEvent, type Outcome } from '../kernel/message';
import { LuaHost } from './lua-host';
import { TerminalHost } from './terminal';
import { ServiceSupervisor } from './service';
import { Environment, type Storage } from '../services/env';
import { delta, dependenciesOf, isHost, isServiceEntry, startLevels, withSourceFiles, RegistryStore, type Registry, type ServiceEntry, type ServiceLikeEntry } from '../registry';
import { NativeServices } from '../services/manager';
import { PolicyBook } from '../services/security/policies';
import { MetricsRegistry } from '../services/metrics/collector';
import { SERVICE_DEFINITIONS } from '../services';
import type { ServiceDefinition, ServiceThreads } from '../services/service';
import type { Terminal } from '../api/terminal';
import type { LogLevel, LogSink } from '../api/logging';
import type { VmOptions } from '../engine/vm';
import { MODULES, type RuntimeVmOptions } from '../modules';
import type { LuaModule } from '../modules/module';
import { watchdogOfIsolate } from '../engine/watchdog';
import { ALL_PROCESSES, processDetails, takeSnapshot, type ProcessQuery } from './snapshot';
import type { ProcessDetails, SystemSnapshot } from '../api/system';
import { plainToValue } from '../engine/plain';

export interface RuntimeOptions {
  readonly logs: LogSink;
  /** The terminal that terminal hosts attach to their process (stdio in the CLI). */
  readonly terminal: Terminal | null;
  readonly vm?: VmOptions;
  /** Told when shutdown has to wait for a service that has not stopped after its CANCEL. */
  readonly onStopWait?: (service: string, timeoutMs: number) => void;
  /** `system.exit(code)` from Lua: the embedder shuts down and exits with `code` (absent: the call fails). */
  readonly onExitRequest?: (code: number) => void;
  /** A cluster node's name and first PID number (src/cluster/); standalone without it. */
  readonly node?: { readonly name: string; readonly firstUniq: number };
  /**
   * Whether this runtime runs the auto-start service `id` (a `process.service` or a native service): with
   * several threads (src/cli/threads.ts) each runs its share. Absent: every one.
   */
  readonly runsService?: (id: string) => boolean;
  /** What each `env.storage.memory` is, when not one of this runtime's own (threads share thread 1's). */
  readonly envMemory?: (id: string) => Storage;
  /** The ports to the node's other threads that services hand work over (HTTP handlers); absent on one thread. */
  readonly threads?: ServiceThreads;
  /**
   * Service families beyond wisp's own (an embedder's); their kinds must be defined in the registry too. One
   * for a kind of wisp's own replaces it (threads reach thread 1's memory stores and queues this way).
   */
  readonly services?: readonly ServiceDefinition[];
  /** Lua modules beyond wisp's own (an embedder's): every VM installs them after wisp's. */
  readonly modules?: readonly LuaModule<unknown>[];
  /** `security.strict_mode`: permission checks without an actor or a scope are denied. */
  readonly securityStrict?: boolean;
}

/** The other threads of a node run with several (src/cli/thread-view.ts): how the node-wide picture is gathered. */
export interface NodeThreads {
  snapshot(query: ProcessQuery): Promise<SystemSnapshot>;
  details(pid: string): Promise<ProcessDetails | null>;
}

/** How long hosts give their remaining processes after CANCEL "scheduler shutdown" before terminating them. */
const HOST_GRACE_MS = 100;

export class Runtime {
  readonly node: Node;
  /** The registry as it changes at run time (the `registry` module applies changes to it). */
  readonly store: RegistryStore;
  readonly hosts = new Map<string, LuaHost>();
  readonly services = new Map<string, ServiceSupervisor>();
  /** The services of service kinds (servers, databases, stores, queues, directories): src/services/. */
  readonly native: NativeServices;
  readonly startedAt = Date.now();
  /** What the `metrics` module records; the CLI's Prometheus exporter serves it. */
  readonly metrics = new MetricsRegistry();
  private levels: string[][] = [];
  private readonly levelsStopping = new Map<number, Promise<void>>();
  private readonly unwatch: () => void;
  /** One environment for all hosts: a memory storage is shared by the whole runtime, as in Wippy. */
  private readonly env: Environment;
  /** The security mode and the registry's policies, for the modules. */
  private readonly security: PolicyBook;
  /** With several threads, set by the CLI: the live view and `system` then show every thread. */
  nodeThreads: NodeThreads | null = null;

  constructor(
    registry: Registry,
    private readonly options: RuntimeOptions,
  ) {
    for (const m of options.modules ?? []) {
      if (MODULES.some((own) => own.name === m.name)) throw new Error(`module ${m.name} is one of wisp's own; give yours another name`);
    }
    this.node = new Node(options.node?.name ?? null, options.node?.firstUniq);
    this.store = new RegistryStore(registry);
    // Every change reaches the event bus as Wippy's registry reports it: system "registry", one event per entry.
    this.store.onChange((current, previous) => {
      for (const op of delta(previous.registry.records(), current.registry.records())) {
        const { id, kind, meta, data } = op.record;
        this.node.publish({ system: 'registry', kind: op.kind, path: id, data: plainToValue({ id, kind, meta, data, version: current.id }) });
      }
    });
    const MiB = 1024 * 1024;
    this.unwatch = watchdogOfIsolate().onFailure((r) => {
      if (!this.node.process(r.process)) return; // another runtime's process (tests run several)
      this.log('error', 'out of memory: process failed', {
        pid: r.process, held_mib: Math.round(r.heldBytes / MiB), heap_mib: Math.round(r.liveBytes / MiB), budget_mib: Math.round(r.budgetBytes / MiB), measure_ms: Math.round(r.measureMs),
      });
    });
    this.env = new Environment(registry, options.envMemory);
    this.security = new PolicyBook(this.store, options.securityStrict === true);
    this.native = new NativeServices({
      node: this.node,
      store: this.store,
      logs: options.logs,
      env: this.env,
      definitions: [...SERVICE_DEFINITIONS, ...(options.services ?? [])],
      threads: options.threads,
    });
    this.store.onChange((current, previous) => void this.native.follow(current.registry, previous.registry));
  }

  /** The current registry version. */
  get registry(): Registry {
    return this.store.current;
  }

  /**
   * Starts every auto_start host and service, dependencies first, after the configuration kinds' resources
   * (directories, executors). A level whose services start asynchronously (servers, databases) is awaited
   * before the next; without such services, everything has started when boot() returns. Throws a
   * RegistryError on a cycle (at once, not as a rejection).
   */
  boot(): Promise<void> {
    this.levels = startLevels(this.registry);
    this.startFunctionHost();
    return this.startLevels();
  }

  private async startLevels(): Promise<void> {
    const resources = this.registry.entries().filter((e) => this.native.runs(e) && e.lifecycle === undefined);
    if (resources.length > 0) await Promise.all(resources.map((e) => this.native.start(e as ServiceEntry)));
    const failed = new Set<string>();
    for (const level of this.levels) {
      const pending: Promise<void>[] = [];
      for (const id of level) {
        const entry = this.registry.get(id) as ServiceLikeEntry;
        if (!entry.lifecycle.autoStart) continue;
        if (!isHost(entry) && this.options.runsService?.(id) === false) continue;
        const blockedBy = dependenciesOf(entry, this.registry).find((dep) => failed.has(dep));
        if (blockedBy !== undefined) {
          this.log('error', 'service not started: a required dependency failed', { service: id, dependency: blockedBy });
          failed.add(id);
          continue;
        }
        const required = entry.lifecycle.startup === 'required';
        if (entry.kind === 'process.service') {
          const ok = this.service(id).start();
          if (!ok && required) failed.add(id);
        } else if (isServiceEntry(entry)) {
          pending.push(this.native.start(entry).then((ok) => void (!ok && required && failed.add(id))));
        } else {
          this.startHost(id);
        }
      }
      if (pending.length > 0) await Promise.all(pending);
    }
  }

  startHost(id: string): LuaHost {
    const existing = this.hosts.get(id);
    if (existing !== undefined) return existing;
    const entry = this.registry.get(id);
    if (entry === undefined || !isHost(entry)) {
      throw new Error(`${id} is not a host`);
    }
    const host =
      entry.kind === 'terminal.host'
        ? new TerminalHost(id, this.node, this.store, this.vmOptions(), this.options.terminal ?? noTerminal())
        : new LuaHost(id, this.node, this.store, this.vmOptions());
    return this.addHost(host);
  }

  /** The host `funcs` runs `function.lua` entries on: one VM, a fresh environment per call. */
  private startFunctionHost(): void {
    if (!this.hosts.has(FUNCTION_HOST)) this.addHost(new LuaHost(FUNCTION_HOST, this.node, this.store, this.vmOptions(), 'function.lua'));
  }

  private vmOptions(): RuntimeVmOptions {
    const system = { snapshot: () => this.nodeSnapshot(), exit: this.options.onExitRequest ?? null };
    return { ...this.options.vm, logs: this.options.logs, env: this.env, system, resources: this.native, metrics: this.metrics, security: this.security, extraModules: this.options.modules };
  }

  private addHost(host: LuaHost): LuaHost {
    this.hosts.set(host.id, host);
    this.node.addHost(host);
    this.log('debug', 'host started', { host: host.id });
    return host;
  }

  /** A read-only picture of everything running now (src/hosts/snapshot.ts). */
  snapshot(query?: ProcessQuery): SystemSnapshot {
    return takeSnapshot(this, query);
  }

  /** The observer's page on one process (src/hosts/snapshot.ts); null when it is not known. */
  processDetails(pid: string): ProcessDetails | null {
    return processDetails(this, pid);
  }

  /** The picture of the whole node: this runtime's, or with several threads every thread's (asked, so later). */
  nodeSnapshot(query: ProcessQuery = ALL_PROCESSES): SystemSnapshot | Promise<SystemSnapshot> {
    return this.nodeThreads === null ? takeSnapshot(this, query) : this.nodeThreads.snapshot(query);
  }

  /** processDetails of a process on any thread of the node. */
  nodeProcessDetails(pid: string): ProcessDetails | null | Promise<ProcessDetails | null> {
    return this.nodeThreads === null ? processDetails(this, pid) : this.nodeThreads.details(pid);
  }

  /** Runs `entry` on a terminal host; resolves with how it ended (an error if it could not start). */
  exec(entry: string, host: string, args: readonly Value[]): Promise<Outcome> {
    this.startFunctionHost();
    this.startHost(host);
    const r = this.node.spawn({ entry, host, args, parent: null, monitor: false, link: false });
    if (!r.ok) return Promise.resolve({ value: null, error: r.error });
    return new Promise((resolve) => this.node.onExit(r.value, resolve));
  }

  /**
   * The longest shutdown() can take: each stop level waits for its slowest stop_timeout, then the hosts' grace.
   * Read from the registry, so that services another thread runs count too.
   */
  maxShutdownMs(): number {
    let total = HOST_GRACE_MS;
    for (const level of this.levels) {
      total += Math.max(0, ...level.map((id) => (this.registry.get(id) as ServiceLikeEntry | undefined)?.lifecycle?.stopTimeoutMs ?? 0));
    }
    return total;
  }

  /**
   * Stops the services of stop level `k` (each: CANCEL, then terminate after its stop_timeout). With several
   * threads, thread 1 has every thread stop level k before any stops level k + 1, so that dependency order
   * holds across them. A level is stopped once.
   */
  stopLevel(k: number): Promise<void> {
    let stopping = this.levelsStopping.get(k);
    if (stopping === undefined) {
      const level = this.levels[this.levels.length - 1 - k] ?? [];
      stopping = Promise.all(
        level.flatMap((id) => {
          const s = this.services.get(id);
          if (s !== undefined) return [s.stop((svc, ms) => this.options.onStopWait?.(svc.id, ms))];
          return this.native.services.has(id) ? [this.native.stop(id)] : [];
        }),
      ).then(() => undefined);
      this.levelsStopping.set(k, stopping);
    }
    return stopping;
  }

  /**
   * Stops services in reverse dependency order (`stopLevel` each, or what `eachLevel` does for it), then gives
   * the hosts' remaining processes a CANCEL "scheduler shutdown" and a short grace before terminating.
   */
  async shutdown(eachLevel: (k: number) => Promise<unknown> = (k) => this.stopLevel(k)): Promise<void> {
    for (let k = 0; k < this.levels.length; k++) await eachLevel(k);
    await this.native.close();
    const left = this.node.allProcesses().filter((p) => p.runtime !== null && this.hosts.has(p.pid.host));
    if (left.length > 0) {
      const shutdown = cancelEvent('{|}', 'scheduler shutdown');
      for (const p of left) p.mailbox.deliverEvent(shutdown);
      await new Promise((r) => setTimeout(r, HOST_GRACE_MS));
      for (const p of this.node.allProcesses()) {
        if (this.hosts.has(p.pid.host)) p.runtime?.terminate(kernelErrors.terminated());
      }
    }
    for (const host of this.hosts.values()) host.close();
    this.unwatch();
  }

  private service(id: string): ServiceSupervisor {
    let s = this.services.get(id);
    if (s === undefined) {
      const entry = this.registry.get(id);
      if (entry?.kind !== 'process.service') throw new Error(`${id} is not a process.service`);
      s = new ServiceSupervisor(entry, this.node, this.options.logs, undefined, (text) => withSourceFiles(this.registry, text), (e) => this.security.contextFor(e.lifecycle.security));
      this.services.set(id, s);
    }
    return s;
  }

  private log(level: LogLevel, message: string, fields: Record<string, unknown>): void {
    if (this.options.logs.enabled(level)) this.options.logs.write({ level, message, logger: 'runtime', fields });
  }
}

function noTerminal(): Terminal {
  const none = (): never => {
    throw new Error('no terminal attached');
  };
  return { args: [], write: none, writeError: none, readLine: none, read: none };
}
