/**
 * The embedding API's runtime: a project (a directory, or entries given in code) booted in this Node process,
 * driven from JavaScript. Everything goes through the same Runtime, Node and Router the CLI uses.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Runtime } from '../hosts/runtime';
import { loadProject, parseOverride, writeLockFile, type Registry } from '../registry';
import { FUNCTION_HOST } from '../kernel/pid';
import type { Outcome } from '../kernel/message';
import type { LogSink } from '../api/logging';
import { addJsHost, check, JsProcess } from './mailbox';
import { toLuaModule } from './module-install';
import { fromValue, toLuaError, toValue } from './convert';
import { LuaError, type LuaData } from './values';
import type { BusEvent, LogLevel, LogRecord, Mailbox, NamespaceDefinition, ProcessOutcome, RuntimeOptions, SpawnOptions, WispRuntime } from './types';

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
/** How many outcomes of processes spawned here are kept for `wait()` until one waits for them. */
const KEPT_OUTCOMES = 10_000;

/**
 * A runtime for the project in directory `project` (its `wippy.lock` and `_index.yaml` files), or for the
 * namespaces of entries given in code. Throws a one-line error naming the file and entry on a bad definition.
 * Nothing runs before `boot()`.
 */
export function createRuntime(project: string | readonly NamespaceDefinition[], options: RuntimeOptions = {}): WispRuntime {
  const names = new Set<string>();
  for (const m of options.modules ?? []) {
    if (names.has(m.name)) throw new Error(`module ${m.name} is given twice`);
    names.add(m.name);
  }
  if (typeof project === 'string') {
    const overrides = (options.overrides ?? []).map(parseOverride);
    return new EmbeddedRuntime(loadProject(project, overrides, { env: options.env }), options, null);
  }
  const dir = writeProject(project);
  try {
    return new EmbeddedRuntime(loadProject(dir, [], { env: options.env }), options, dir);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/** Entries given in code, as a project directory: one definition file per namespace, loaded like any other. */
function writeProject(namespaces: readonly NamespaceDefinition[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'wisp-embed-'));
  writeLockFile(join(dir, 'wippy.lock'), { srcDir: './src' });
  mkdirSync(join(dir, 'src'));
  namespaces.forEach((ns, i) => {
    const sub = join(dir, 'src', `${i}`);
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, '_index.json'), JSON.stringify({ version: '1.0', namespace: ns.namespace, entries: ns.entries }, null, 2));
  });
  return dir;
}

class EmbeddedRuntime implements WispRuntime {
  readonly root: string;
  readonly warnings: readonly string[];
  private readonly runtime: Runtime;
  private readonly logListeners = new Set<(record: LogRecord) => void>();
  private readonly mailboxes = new Set<JsProcess>();
  /** The outcomes of processes spawned here, so that `wait()` after the end still has it (oldest dropped first). */
  private readonly outcomes = new Map<string, Promise<ProcessOutcome>>();
  private keepAlive: ReturnType<typeof setInterval> | null = null;
  private booting: Promise<void> | null = null;
  private stopped = false;

  constructor(
    registry: Registry,
    private readonly options: RuntimeOptions,
    /** The directory written for entries given in code, removed at shutdown. */
    private readonly temporary: string | null,
  ) {
    this.root = registry.root;
    this.warnings = [...registry.warnings];
    this.runtime = new Runtime(registry, { logs: this.logSink(), terminal: null, modules: (options.modules ?? []).map(toLuaModule) });
    addJsHost(this.runtime.node);
    if (options.mailboxLimit !== undefined) this.runtime.node.mailboxLimit = options.mailboxLimit;
  }

  boot(): Promise<void> {
    if (this.stopped) return Promise.reject(new LuaError('the runtime is shut down; create another', 'Unavailable'));
    // Waiting Lua processes hold no Node handle: without this, an embedder awaiting a reply would see Node exit.
    this.keepAlive ??= setInterval(() => undefined, 2 ** 30);
    return (this.booting ??= this.runtime.boot());
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    try {
      await this.runtime.shutdown();
    } finally {
      for (const m of this.mailboxes) m.close();
      if (this.keepAlive !== null) clearInterval(this.keepAlive);
      if (this.temporary !== null) rmSync(this.temporary, { recursive: true, force: true });
    }
  }

  spawn(entry: string, options: SpawnOptions = {}): string {
    const host = options.host ?? this.defaultHost(entry);
    const registry = this.runtime.registry;
    if (registry.get(host) === undefined) throw new LuaError(`host ${host} not found`, 'NotFound');
    this.runtime.startHost(host);
    const watcher = options.monitor?.pid ?? null;
    const r = this.runtime.node.spawn({
      entry,
      host,
      args: (options.args ?? []).map(toValue),
      parent: watcher,
      monitor: watcher !== null,
      link: false,
      ...(options.name === undefined ? {} : { name: options.name }),
    });
    if (!r.ok) throw toLuaError(r.error);
    const pid = r.value;
    if (!this.outcomes.has(pid)) {
      if (this.outcomes.size >= KEPT_OUTCOMES) this.outcomes.delete(this.outcomes.keys().next().value as string);
      this.outcomes.set(pid, this.exitOf(pid));
    }
    return pid;
  }

  wait(pid: string): Promise<ProcessOutcome> {
    const kept = this.outcomes.get(pid);
    if (kept !== undefined) {
      this.outcomes.delete(pid);
      return kept;
    }
    if (this.runtime.node.process(pid) === undefined) return Promise.resolve({ ok: false, error: new LuaError(`process ${pid} not found`, 'NotFound') });
    return this.exitOf(pid);
  }

  private exitOf(pid: string): Promise<ProcessOutcome> {
    return new Promise((resolve) => this.runtime.node.onExit(pid, (o) => resolve(outcome(o))));
  }

  lookup(name: string): string | null {
    const r = this.runtime.node.lookup(name);
    return r.ok ? r.value : null;
  }

  isAlive(pid: string): boolean {
    return this.runtime.node.process(pid) !== undefined;
  }

  send(dest: string, topic: string, ...payloads: unknown[]): void {
    check(this.runtime.node.router.send('', dest, topic, payloads.map(toValue)));
  }

  cancel(dest: string, reason = 'canceled by the embedder'): void {
    check(this.runtime.node.router.cancel('', dest, reason));
  }

  terminate(dest: string): void {
    check(this.runtime.node.router.terminate('', dest));
  }

  mailbox(name?: string): Mailbox {
    if (this.stopped) throw new LuaError('the runtime is shut down', 'Unavailable');
    const m = new JsProcess(this.runtime.node, name);
    this.mailboxes.add(m);
    this.runtime.node.onExit(m.pid, () => this.mailboxes.delete(m));
    return m;
  }

  async call(entry: string, ...args: unknown[]): Promise<LuaData> {
    if (!this.runtime.hosts.has(FUNCTION_HOST)) throw new LuaError('boot() the runtime before calling functions', 'Unavailable');
    const r = this.runtime.node.spawn({ entry, host: FUNCTION_HOST, args: args.map(toValue), parent: null, monitor: false, link: false });
    if (!r.ok) throw toLuaError(r.error);
    const o = await new Promise<Outcome>((resolve) => this.runtime.node.onExit(r.value, resolve));
    if (o.error !== null) throw toLuaError(o.error);
    return fromValue(o.value);
  }

  onLog(listener: (record: LogRecord) => void): () => void {
    this.logListeners.add(listener);
    return () => void this.logListeners.delete(listener);
  }

  onEvent(system: string, kind: string, listener: (event: BusEvent) => void): () => void {
    const bus = this.runtime.node.events;
    const sub = bus.subscribe(system, kind, {
      take: (e) => {
        try {
          listener({ system: e.system, kind: e.kind, path: e.path, data: fromValue(e.data) });
        } catch (err) {
          this.report('error', 'event listener failed', { system: e.system, kind: e.kind, error: err instanceof Error ? err.message : String(err) });
        }
        return true;
      },
    });
    if (!('active' in sub)) throw toLuaError(sub);
    return () => bus.unsubscribe(sub);
  }

  publish(event: { readonly system: string; readonly kind: string; readonly path?: string; readonly data?: unknown }): void {
    check(this.runtime.node.publish({ system: event.system, kind: event.kind, path: event.path ?? '', data: toValue(event.data ?? null) }));
  }

  /** The host an entry runs on when the embedder names none. */
  private defaultHost(entry: string): string {
    const registry = this.runtime.registry;
    const e = registry.get(entry);
    if (e === undefined) throw new LuaError(`entry ${entry} not found`, 'NotFound');
    const meta = e.meta.default_host;
    if (typeof meta === 'string' && meta !== '') return meta;
    const hosts = registry.entries().filter((h) => h.kind === 'process.host');
    if (hosts.length === 1) return hosts[0].id;
    throw new LuaError(`entry ${entry}: name a host (spawn options.host); the project has ${hosts.length} process.host entries and the entry no meta.default_host`, 'Invalid');
  }

  private logSink(): LogSink {
    const threshold = LEVELS.indexOf(this.options.logLevel ?? 'info');
    const toStderr = (this.options.logsWithoutListener ?? 'stderr') === 'stderr';
    return {
      enabled: (level) => LEVELS.indexOf(level) >= threshold && (toStderr || this.logListeners.size > 0),
      write: (record) => {
        if (this.logListeners.size === 0) {
          process.stderr.write(`${record.level.toUpperCase()} ${record.logger === null ? '' : `${record.logger}: `}${record.message}${fieldsText(record.fields)}\n`);
          return;
        }
        for (const listener of this.logListeners) listener(record);
      },
    };
  }

  private report(level: LogLevel, message: string, fields: Record<string, unknown>): void {
    const sink = this.logSink();
    if (sink.enabled(level)) sink.write({ level, message, logger: 'embed', fields });
  }
}

function outcome(o: Outcome): ProcessOutcome {
  return o.error === null ? { ok: true, value: fromValue(o.value) } : { ok: false, error: toLuaError(o.error) };
}

function fieldsText(fields: Readonly<Record<string, unknown>>): string {
  if (Object.keys(fields).length === 0) return '';
  try {
    return ` ${JSON.stringify(fields)}`;
  } catch {
    return '';
  }
}
