/**
 * The live view's place in the CLI: `wisp top`, `wisp ps`, and what `wisp run` opens at boot (the control
 * socket, and the web view with --observe).
 */
import type { Command } from 'commander';
import { ControlSocket } from '../hosts/control';
import type { Runtime } from '../hosts/runtime';
import type { LogLevel, LogSink } from '../api/logging';
import { Inspector, parseInspectAddress, type InspectAddress } from './inspect';
import { SORT_COLUMNS, type ProcessQuery, type SortColumn } from '../hosts/snapshot';
import { ps } from './ps';
import { top } from './top';
import { UsageError } from './errors';

export interface LiveFlags {
  observe?: string;
  /** The old name of --observe, kept as a deprecated alias (Node's debugger flag has that name). */
  inspect?: string;
}

export interface LiveView {
  close(): Promise<void>;
}

/** Opens the control socket (a warning, not a failure, when it cannot) and the inspector when asked. */
/** The --observe address, checked before anything boots (a bad one is a UsageError); --inspect still works, with a warning. */
export function inspectAddress(flags: LiveFlags, warn: (text: string) => void): InspectAddress | null {
  if (flags.inspect !== undefined) warn('--inspect is deprecated (to Node users it means the V8 debugger): use --observe');
  const text = flags.observe ?? flags.inspect;
  return text === undefined ? null : parseInspectAddress(text);
}

export async function startLiveView(runtime: Runtime, address: InspectAddress | null, logs: LogSink): Promise<LiveView> {
  const snapshot = (query: ProcessQuery) => runtime.nodeSnapshot(query);
  let control: ControlSocket | null = null;
  try {
    const opened = await ControlSocket.open(runtime.registry.root, snapshot);
    // Another run holding it is normal (two terminals on one project): said at info, so -x output stays clean.
    if (opened instanceof ControlSocket) control = opened;
    else if (opened.taken) log('info', `control socket not opened: ${opened.reason}; wisp top attaches to the other run`);
    else log('warn', `control socket not opened: ${opened.reason}; wisp top cannot attach`);
  } catch (e) {
    log('warn', `control socket not opened: ${e instanceof Error ? e.message : String(e)}; wisp top cannot attach`);
  }
  // process.exit (the CLI's way out) never lets close() finish: the file goes at exit.
  const removeSocket = (): void => control?.removeNow();
  process.once('exit', removeSocket);
  let inspector: Inspector | null = null;
  try {
    inspector = address === null ? null : await Inspector.start(address, { snapshot, details: (pid) => runtime.nodeProcessDetails(pid) });
  } catch (e) {
    await control?.close();
    throw e;
  }
  if (inspector !== null) process.stderr.write(`observer on ${inspector.url}\n`);
  return {
    async close() {
      process.off('exit', removeSocket);
      await Promise.all([control?.close(), inspector?.close()]);
    },
  };

  function log(level: LogLevel, message: string): void {
    if (logs.enabled(level)) logs.write({ level, message, logger: 'runtime', fields: {} });
  }
}

function limitOf(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`--limit ${value}: a number of processes`);
  return Number(value);
}

function sortColumn(value: string): SortColumn {
  if ((SORT_COLUMNS as readonly string[]).includes(value)) return value as SortColumn;
  throw new UsageError(`--sort ${value}: one of ${SORT_COLUMNS.join(', ')}`);
}

/** Adds `top` and `ps`; `fail` prints a user error as one line and exits 1. */
export function addLiveCommands(program: Command, fail: (e: unknown) => never): void {
  program
    .command('top')
    .description('attach to the running `wisp run` of this project and show its processes live')
    .argument('[dir]', 'project directory', '.')
    .option('--once', 'print one frame and exit (also when stdout is not a terminal)')
    .option('-d, --delay <seconds>', 'refresh interval', '1')
    .option('--sort <column>', `initial sort: ${SORT_COLUMNS.join(', ')}`, 'pid')
    .option('--filter <text>', 'show only processes whose pid, entry, names, state or service contain text', '')
    .action(async (dir: string, opts: { once?: boolean; delay: string; sort: string; filter: string }) => {
      try {
        process.exit(await top(dir, { ...opts, sort: sortColumn(opts.sort) }));
      } catch (e) {
        fail(e);
      }
    });

  program
    .command('ps')
    .description('list the processes of the running `wisp run` of this project')
    .argument('[dir]', 'project directory', '.')
    .option('--json', 'the whole snapshot (node, hosts, services, processes) as JSON')
    .option('--sort <column>', `sort: ${SORT_COLUMNS.join(', ')}`, 'pid')
    .option('--filter <text>', 'only processes whose pid, entry, names, state or service contain text', '')
    .option('--limit <n>', 'at most n processes')
    .action(async (dir: string, opts: { json?: boolean; sort: string; filter: string; limit?: string }) => {
      try {
        process.exit(await ps(dir, { ...opts, sort: sortColumn(opts.sort), limit: limitOf(opts.limit) }));
      } catch (e) {
        fail(e);
      }
    });
}
