/**
 * `wisp run`: boot the project, run an entry on the terminal host (`-x ns:entry`, `-x host/entry`,
 * or a `meta.command.name`) and exit with its code; without a target, run until SIGINT/SIGTERM.
 */
import { Runtime } from '../hosts/runtime';
import { StdioTerminal } from '../hosts/terminal';
import { checkSources } from './checks';
import { LOCK_FILE_NAME, isHost, loadProject, parseOverride, withSourceFiles, type Registry } from '../registry';
import type { LogSink } from '../api/logging';
import { logSink, type LogFlags } from './logs';
import { exitReport } from './exit-code';
import { loadConfig, type RuntimeConfig } from './config';
import { UsageError } from './errors';
import { commandName } from './commands';
import { after } from '../util/timer';
import { parsePid } from '../kernel/pid';
import { closest, didYouMean } from '../util/suggest';
import { isTermination } from '../kernel/errors';
import { inspectAddress, startLiveView, type LiveFlags } from './live';
import { ClusterConfigError, clusterOptions, type ClusterFlags, type ClusterOptions } from '../cluster/config';
import type { Cluster } from '../cluster';
import { startPrometheus } from './prometheus';
import type { ThreadGroup } from './threads';

export interface ProjectFlags {
  config?: string;
  set?: string[];
  override?: string[];
}

export interface RunFlags extends LogFlags, ProjectFlags, LiveFlags, ClusterFlags {
  exec?: string;
  host?: string;
  /** `--threads N`: schedulers in this node (threads.ts); 1 when absent. */
  threads?: string;
}

interface Target {
  readonly entry: string;
  readonly host: string;
  readonly args: string[];
}

/** How much longer than its own stop timeouts a graceful shutdown may take before the CLI exits anyway. */
const SHUTDOWN_MARGIN_MS = 30_000;
/** How long a worker thread has, once shutdown's time is up, to end on its own before it is ended. */
const WORKER_END_MS = 2000;

/** The config and the registry with its overrides applied: what `run`, `run list` and `registry` read. */
export function openProject(flags: ProjectFlags, cwd: string, tolerant = false): { config: RuntimeConfig; registry: Registry } {
  const config = loadConfig(cwd, flags.config, flags.set ?? []);
  const overrides = [...config.overrides, ...(flags.override ?? []).map(parseOverride)];
  return { config, registry: loadProject(cwd, overrides, { env: process.env, tolerant }) };
}

/**
 * The registry that `run list`, `registry` and `lint` read: without a wippy.lock there is nothing to show, as
 * in Wippy. `tolerant`: entries with mistakes are kept as written and marked, not fatal (the tools for finding them).
 */
export function openRegistry(flags: ProjectFlags, cwd: string, tolerant = false): Registry {
  const { registry } = openProject(flags, cwd, tolerant);
  if (registry.srcDir === undefined) throw new UsageError(`lock file not found: no ${LOCK_FILE_NAME} in ${registry.root} (\`wisp init\` writes one)`);
  return registry;
}

export async function run(positional: string[], flags: RunFlags, cwd = process.cwd()): Promise<number> {
  const { config, registry } = openProject(flags, cwd);
  const quiet = flags.exec !== undefined || positional.length > 0;
  const logs = logSink(flags, quiet, config.logger, performance.timeOrigin);
  for (const warning of config.warnings) warn(logs, 'config', warning);
  // Running one entry, the others' unknown kinds are noise; the asked-for entry's is in its "not found".
  const skips = new Set(registry.skipped.values());
  for (const warning of registry.warnings) if (!(quiet && skips.has(warning))) warn(logs, 'registry', warning);
  const target = resolveTarget(registry, positional, flags);
  checkSources(registry);
  if (target !== null && !flags.silent) hintHiddenPrint(logs, target.host);
  const inspect = inspectAddress(flags, (text) => {
    if (!flags.silent) process.stderr.write(`warning: ${text}\n`);
  });

  const threads = parseThreads(flags.threads ?? process.env.WISP_THREADS);
  const terminal = new StdioTerminal(target?.args ?? []);
  let signalled = false;
  const stopWaitNotice = (service: string, ms: number): void => {
    // A notice after "> " (a prompt) or a terminal's echoed ^C starts on a line of its own.
    const fresh = terminal.atLineStart && !(signalled && process.stderr.isTTY) ? '' : '\n';
    process.stderr.write(`${fresh}${service} did not stop on CANCEL; waiting up to ${ms / 1000}s (stop_timeout); Ctrl+C to exit now\n`);
  };
  const joined = await joinIfConfigured(flags, config, logs);
  const cluster = joined?.cluster ?? null;
  // Loaded only for several threads: one thread never pays for the cluster's modules.
  const group: ThreadGroup | null = threads === 1 ? null : (await import('./threads')).startThreadGroup({
    threads,
    cwd,
    flags,
    quiet,
    registry,
    cluster: joined === null ? undefined : { options: joined.options, incarnation: joined.cluster.incarnation, firstUniq: joined.cluster.firstUniq },
    log: (level, message, fields) => {
      if (logs.enabled(level)) logs.write({ level, message, logger: 'threads', fields });
    },
    onExitRequest: (code) => exitRequested(code),
    onStopWait: stopWaitNotice,
  });
  // `system.exit(code)` from Lua: a graceful shutdown that ends with that code.
  let exitRequested!: (code: number) => void;
  const exitRequest = new Promise<number>((resolve) => (exitRequested = resolve));
  let requestedCode: number | null = null;
  const requested = exitRequest.then((c) => void (requestedCode = c));
  const runtime = new Runtime(registry, {
    onExitRequest: (code) => exitRequested(code),
    node: cluster !== null ? { name: cluster.node, firstUniq: cluster.firstUniq } : group !== null ? { name: group.mainNode, firstUniq: 1 } : undefined,
    runsService: group === null ? undefined : (id) => group.runsHere(id),
    envMemory: group === null ? undefined : (id) => group.env.storage(id),
    services: group === null ? undefined : [(await import('./thread-services')).sharedMemoryDatabases(group.memoryDatabases)],
    threads: group?.services,
    securityStrict: config.securityStrict,
    logs,
    terminal,
    onStopWait: stopWaitNotice,
  });
  group?.serveShared(runtime.native);
  // The first signal starts a graceful shutdown; one during shutdown (whatever started it) exits at once.
  let onFirstSignal!: () => void;
  const signal = new Promise<void>((resolve) => (onFirstSignal = resolve));
  let shuttingDown = false;
  const onSignal = (name: string): void => {
    if (shuttingDown) {
      process.stderr.write(`${signalled && process.stderr.isTTY ? '\n' : ''}force exit\n`);
      process.exit(1);
    }
    shuttingDown = true;
    signalled = true;
    info(logs, 'received shutdown signal', { signal: name });
    onFirstSignal();
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));

  // Parked processes hold no Node handle (a mailbox is not I/O), so without this the event loop would drain
  // and the process exit 0 while services wait for messages or the -x process is deadlocked.
  const keepAlive = setInterval(() => {}, 2 ** 30);
  await cluster?.attach(runtime.node, group?.siblings);
  group?.lead(runtime);
  await group?.attach(runtime.node);
  await runtime.boot();
  group?.started();
  const prometheus = await startPrometheus(config, group?.metrics(runtime.metrics) ?? runtime.metrics, logs);
  const live = await startLiveView(runtime, inspect, logs);
  info(logs, 'runtime ready', {});

  // As in Wippy: the exit code is the -x process's (whenever it ends, even during shutdown); 0 without one.
  let code = 0;
  let finished: Promise<number> | null = null;
  // A newer start of this cluster node's name took over: this run stops, and says why.
  let supersededBy: string | null = null;
  const superseded = cluster === null ? new Promise<never>(() => undefined) : cluster.superseded.then((why) => void (supersededBy = why));
  if (target !== null) {
    finished = runtime.exec(target.entry, target.host, target.args).then((outcome) => {
      // Ended by the shutdown a signal or system.exit started: its "process terminated" is no news (Wippy prints
      // nothing); a signal makes the code 1, system.exit its own.
      const stopped = signalled || requestedCode !== null;
      if (stopped && isTermination(outcome.error)) return requestedCode ?? 1;
      const report = exitReport(outcome, {
        shown: (text) => withSourceFiles(registry, text),
        traceback: flags.verbose === true || flags.veryVerbose === true,
      });
      process.stdout.write(report.stdout);
      process.stderr.write(report.stderr);
      return report.code;
    });
    await Promise.race([finished, signal, requested, superseded]);
  } else {
    await Promise.race([signal, requested, superseded]);
  }
  shuttingDown = true;
  info(logs, 'shutting down', {});
  terminal.close();
  const giveUpMs = config.shutdownTimeoutMs ?? runtime.maxShutdownMs() + SHUTDOWN_MARGIN_MS;
  const giveUpAt = performance.now() + giveUpMs;
  // With threads, every thread stops a stop level before any stops the next (dependency order across them).
  const stopped = runtime.shutdown(group === null ? undefined : (k) => Promise.all([runtime.stopLevel(k), group.stopLevel(k)]));
  await Promise.race([stopped, new Promise((r) => after(giveUpMs, () => r(undefined)).unref())]);
  await live.close();
  await prometheus?.close();
  await cluster?.close();
  // Workers still stopping when the time is up (a service waiting out its stop_timeout) are ended.
  await group?.stop(Math.max(0, giveUpAt - performance.now()) + WORKER_END_MS);
  if (supersededBy !== null) {
    process.stderr.write(`Error: ${supersededBy}\n`);
    code = 1;
  } else if (requestedCode !== null) code = requestedCode;
  else if (finished !== null) code = await Promise.race([finished, Promise.resolve(1)]);
  info(logs, 'stopped', {});
  clearInterval(keepAlive);
  return code;
}

/**
 * The first `print()` of a process on the terminal host that a quiet run hides gets a one-line hint on stderr:
 * print writes to the log, which -x keeps quiet (services' prints are expected to go to the log).
 */
function hintHiddenPrint(logs: LogSink, terminalHost: string): void {
  let hinted = false;
  logs.hiddenPrint = (pid) => {
    if (hinted || pid === null || parsePid(pid)?.host !== terminalHost) return;
    hinted = true;
    process.stderr.write('hint: print() writes to the log, which is quiet under -x: use io.print for the terminal, or -c to show the log\n');
  };
}

function info(logs: LogSink, message: string, fields: Record<string, unknown>): void {
  if (logs.enabled('info')) logs.write({ level: 'info', message, logger: 'run', fields });
}

function warn(logs: LogSink, logger: string, message: string): void {
  if (logs.enabled('warn')) logs.write({ level: 'warn', message, logger, fields: {} });
}

/** More threads than this is a typo rather than a machine. */
const MAX_THREADS = 256;

/** The `--threads` value (or `WISP_THREADS`): 1 when absent. */
function parseThreads(value: string | undefined): number {
  if (value === undefined) return 1;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < 1 || n > MAX_THREADS) {
    throw new UsageError(`--threads must be a whole number from 1 to ${MAX_THREADS}, not "${value}"`);
  }
  return n;
}

/** Joins the configured cluster; the NATS client is loaded only then (a standalone run never pays for it). */
async function joinIfConfigured(flags: RunFlags, config: RuntimeConfig, logs: LogSink): Promise<{ cluster: Cluster; options: ClusterOptions } | null> {
  let options;
  try {
    options = clusterOptions(flags, process.env, config.setting, config.file);
  } catch (e) {
    if (e instanceof ClusterConfigError) throw new UsageError(e.message);
    throw e;
  }
  if (options === null) return null;
  const { joinCluster } = await import('../cluster');
  try {
    const cluster = await joinCluster(options, (level, message, fields) => {
      if (logs.enabled(level)) logs.write({ level, message, logger: 'cluster', fields });
    });
    return { cluster, options };
  } catch (e) {
    throw new UsageError(`cannot join the cluster at ${options.servers.join(',')}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function resolveTarget(registry: Registry, positional: string[], flags: RunFlags): Target | null {
  let entry: string;
  let host = flags.host;
  let args: string[];
  if (flags.exec !== undefined) {
    const slash = flags.exec.indexOf('/');
    if (slash >= 0) {
      host = flags.exec.slice(0, slash);
      entry = flags.exec.slice(slash + 1);
    } else entry = flags.exec;
    if (!entry.includes(':')) throw new UsageError(missingNamespace(registry, entry));
    args = positional;
  } else if (positional.length > 0) {
    const [name, ...rest] = positional;
    const found = registry.entries().find((e) => commandName(e.meta) === name);
    if (found === undefined) {
      const names = registry.entries().flatMap((e) => commandName(e.meta) ?? []);
      throw new UsageError(`command "${name}" not found${didYouMean(name, names)}; \`wisp run list\` lists the commands`);
    }
    entry = found.id;
    args = rest;
  } else return null;

  const e = registry.get(entry);
  if (e === undefined) throw new UsageError(notFound(registry, 'entry', entry));
  if (e.kind !== 'process.lua') throw new UsageError(`entry ${entry} is a ${e.kind}, not a process.lua`);
  if (host !== undefined) {
    const h = registry.get(host);
    if (h === undefined) throw new UsageError(notFound(registry, 'host', host));
    if (!isHost(h)) throw new UsageError(`${host} is a ${h.kind}, not a host`);
  }
  return { entry, host: host ?? terminalHost(registry), args };

  function terminalHost(r: Registry): string {
    const terminals = r.byKind('terminal.host').map((t) => t.id);
    if (terminals.length === 0) {
      // An entry meant to be the terminal host but left out (a typo in its kind) says why.
      const meant = r.records().find((rec) => r.skipped.has(rec.id) && closest(rec.kind, ['terminal.host']).length > 0);
      throw new UsageError(`no terminal.host found in registry${meant === undefined ? '' : `: ${r.skipped.get(meant.id)}`}`);
    }
    if (terminals.length > 1) throw new UsageError(`multiple terminal hosts found (${terminals.join(', ')}), use --host to specify`);
    return terminals[0];
  }
}

/**
 * -x takes namespace:entry, as Wippy's; a bare name that is a command's gets pointed at `wisp run <name>`, and
 * one near an entry's name gets that entry's id.
 */
function missingNamespace(registry: Registry, name: string): string {
  const command = registry.entries().some((e) => commandName(e.meta) === name);
  if (command) return `-x ${name}: expected namespace:entry; the command "${name}" runs as \`wisp run ${name}\``;
  return `-x ${name}: expected namespace:entry${nearIds(registry, name)}`;
}

/** " (did you mean a:x or b:y?)" for the ids whose name part is near a bare `name`, or "". */
function nearIds(registry: Registry, name: string): string {
  const ids = registry.records().map((r) => r.id);
  const near = new Set(closest(name, ids.map((i) => i.slice(i.indexOf(':') + 1))));
  const hint = ids.filter((i) => near.has(i.slice(i.indexOf(':') + 1)));
  return hint.length > 0 ? ` (did you mean ${hint.slice(0, 3).join(' or ')}?)` : '';
}

/** "entry app:cli not found", saying why when the entry was skipped for its kind (a typo in `kind:`). */
function notFound(registry: Registry, what: string, id: string): string {
  const skipped = registry.skipped.get(id);
  if (skipped !== undefined) return `${what} ${id} not found: ${skipped}`;
  const ids = registry.records().map((r) => r.id);
  if (id.includes(':')) return `${what} ${id} not found${didYouMean(id, ids, false)}`;
  return `${what} ${id} not found${nearIds(registry, id)}`; // a bare name: the full id is what works
}

