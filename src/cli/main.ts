/** The `wisp` command line (commander). Every user error is one line on stderr and exit code 1. */
import { Command } from 'commander';
import { writeLockFile, LOCK_FILE_NAME, RegistryError, DEFAULT_SRC_DIR, DEFAULT_MODULES_DIR } from '../registry';
import { LuaSyntaxError } from '../engine/vm';
import { run, UsageError, type RunFlags } from './run';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { version } = require('../../package.json') as { version: string };

/** Every failure is one line on stderr and exit code 1; a JS stack trace only for wisp's own bugs under -v. */
function fail(e: unknown): never {
  process.stderr.write(`Error: ${describe(e)}\n`);
  if (!isUserError(e) && process.argv.some((a) => a === '-v' || a === '--verbose') && e instanceof Error) {
    process.stderr.write(`${e.stack ?? ''}\n`);
  }
  process.exit(1);
}

function isUserError(e: unknown): boolean {
  return e instanceof UsageError || e instanceof RegistryError || e instanceof LuaSyntaxError || systemError(e) !== null;
}

/** A failed file operation (ENOENT, EACCES, ...): the user's to fix, told without Node's wording. */
function systemError(e: unknown): { code: string; syscall?: string; path?: string } | null {
  if (!(e instanceof Error)) return null;
  const { code, syscall, path } = e as NodeJS.ErrnoException;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code) ? { code, syscall, path } : null;
}

const SYSTEM_REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  EEXIST: 'already exists',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
};

function describe(e: unknown): string {
  const sys = systemError(e);
  if (sys !== null && sys.path !== undefined) {
    const action = sys.syscall === 'open' || sys.syscall === undefined ? 'cannot open' : `cannot ${sys.syscall}`;
    return `${action} ${sys.path}: ${SYSTEM_REASONS[sys.code] ?? sys.code}`;
  }
  if (isUserError(e)) return (e as Error).message;
  return `internal error: ${e instanceof Error ? e.message : String(e)} (run with -v for details)`;
}

export function main(argv: string[]): void {
  const program = new Command('wisp')
    .description('Run Wippy Lua actor applications on Node.js')
    .version(version, '--version')
    .option('-v, --verbose', 'debug-level logs')
    .option('-c, --console', 'colourful console logs on stdout')
    .option('-s, --silent', 'no logs at all')
    .option('--config <file>', 'runtime config file (default .wippy.yaml; its cluster.* keys are read)');

  program
    .command('init')
    .description('write wippy.lock (the source and modules directories)')
    .option('-d, --src-dir <dir>', 'source directory', DEFAULT_SRC_DIR)
    .option('--modules-dir <dir>', 'vendored modules directory', DEFAULT_MODULES_DIR)
    .option('-l, --lock-file <file>', 'lock file path', LOCK_FILE_NAME)
    .action((opts: { srcDir: string; modulesDir: string; lockFile: string }) => {
      try {
        writeLockFile(opts.lockFile, { srcDir: opts.srcDir, modulesDir: opts.modulesDir });
        process.stderr.write('lock file initialized successfully\n');
      } catch (e) {
        fail(e);
      }
    });

  program
    .command('run')
    .description('boot the project; with -x or a command name, run that entry on the terminal host')
    .argument('[args...]', 'a command name (meta.command.name) and its arguments, or arguments for -x')
    .option('-x, --exec <entry>', 'entry to run: ns:entry or host/entry')
    .option('--host <host>', 'terminal host for -x')
    .option('--cluster <url>', 'join a cluster through this NATS server (nats://HOST:PORT; comma-separated for several)')
    .option('--node <name>', 'this node\'s name in the cluster (default: $WISP_NODE)')
    .action(async (args: string[], _opts: RunFlags, cmd: Command) => {
      try {
        const code = await run(args, cmd.optsWithGlobals<RunFlags>());
        process.exit(code);
      } catch (e) {
        fail(e);
      }
    });

  program.parseAsync(argv).catch(fail);
}
