/**
 * `wisp run` (spec §2.3): boot the project, run an entry on the terminal host (`-x ns:entry`, `-x host/entry`,
 * or a `meta.command.name`) and exit with its code; without a target, run until SIGINT/SIGTERM.
 */
import { Runtime } from '../hosts/runtime';
import { StdioTerminal } from '../hosts/terminal';
import { checkSyntax } from '../engine/vm';
import { displayPath, loadProject, type Registry } from '../registry';
import { logSink, type LogFlags } from './logs';
import { exitReport } from './exit-code';
import { after } from '../util/timer';

export interface RunFlags extends LogFlags {
  exec?: string;
  host?: string;
}

/** A mistake the user can fix: printed as one line `Error: <message>`, exit code 1. */
export class UsageError extends Error {}

interface Target {
  readonly entry: string;
  readonly host: string;
  readonly args: string[];
}

/** How much longer than its own stop timeouts a graceful shutdown may take before the CLI exits anyway. */
const SHUTDOWN_MARGIN_MS = 30_000;

export async function run(positional: string[], flags: RunFlags, cwd = process.cwd()): Promise<number> {
  const registry = loadProject(cwd);
  const target = resolveTarget(registry, positional, flags);
  const logs = logSink(flags, target !== null);
  for (const warning of registry.warnings) if (logs.enabled('warn')) logs.write({ level: 'warn', message: warning, logger: 'registry', fields: {} });
  checkSources(registry);

  const terminal = new StdioTerminal(target?.args ?? []);
  const runtime = new Runtime(registry, {
    logs,
    terminal,
    onStopWait: (service, ms) =>
      process.stderr.write(`waiting up to ${ms / 1000}s for ${service} to stop; press Ctrl+C to exit now\n`),
  });
  // The first signal starts a graceful shutdown; one during shutdown (whatever started it) exits at once.
  let signalled!: () => void;
  const signal = new Promise<void>((resolve) => (signalled = resolve));
  let shuttingDown = false;
  const onSignal = (): void => {
    if (shuttingDown) {
      process.stderr.write('force exit\n');
      process.exit(1);
    }
    shuttingDown = true;
    signalled();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  // Parked processes hold no Node handle (a mailbox is not I/O), so without this the event loop would drain
  // and the process exit 0 while services wait for messages or the -x process is deadlocked.
  const keepAlive = setInterval(() => {}, 2 ** 30);
  runtime.boot();

  let code = 0;
  if (target !== null) {
    const finished = runtime.exec(target.entry, target.host, target.args).then((outcome) => {
      const report = exitReport(outcome);
      process.stdout.write(report.stdout);
      process.stderr.write(report.stderr);
      return report.code;
    });
    code = await Promise.race([finished, signal.then(() => 0)]);
  } else {
    await signal;
  }
  shuttingDown = true;
  terminal.close();
  const giveUpMs = runtime.maxShutdownMs() + SHUTDOWN_MARGIN_MS;
  await Promise.race([runtime.shutdown(), new Promise((r) => after(giveUpMs, () => r(undefined)).unref())]);
  clearInterval(keepAlive);
  return code;
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
    args = positional;
  } else if (positional.length > 0) {
    const [name, ...rest] = positional;
    const found = registry.entries().find((e) => commandName(e.meta) === name);
    if (found === undefined) throw new UsageError(`command "${name}" not found (no entry has meta.command.name: ${name})`);
    entry = found.id;
    args = rest;
  } else return null;

  const e = registry.get(entry);
  if (e === undefined) throw new UsageError(`entry ${entry} not found`);
  if (e.kind !== 'process.lua') throw new UsageError(`entry ${entry} is a ${e.kind}, not a process.lua`);
  if (host !== undefined) {
    const h = registry.get(host);
    if (h === undefined) throw new UsageError(`host ${host} not found`);
    if (h.kind !== 'terminal.host' && h.kind !== 'process.host') throw new UsageError(`${host} is a ${h.kind}, not a host`);
  }
  return { entry, host: host ?? terminalHost(registry), args };

  function terminalHost(r: Registry): string {
    const terminals = r.byKind('terminal.host').map((t) => t.id);
    if (terminals.length === 0) throw new UsageError('no terminal.host found in registry');
    if (terminals.length > 1) throw new UsageError(`multiple terminal hosts found (${terminals.join(', ')}), use --host to specify`);
    return terminals[0];
  }
}

function commandName(meta: Record<string, unknown>): unknown {
  const command = meta.command;
  return command !== null && typeof command === 'object' ? (command as Record<string, unknown>).name : undefined;
}

/** Every Lua entry must compile: a syntax error anywhere is reported before anything starts. */
function checkSources(registry: Registry): void {
  for (const e of registry.entries()) {
    if (e.kind === 'process.lua' || e.kind === 'function.lua' || e.kind === 'library.lua') {
      checkSyntax(e.source, e.id, displayPath(registry.root, e.sourcePath ?? e.file));
    }
  }
}
