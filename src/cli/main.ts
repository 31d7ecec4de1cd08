/** The `wisp` command line (commander). Every user error is one line on stderr and exit code 1. */
import { Command } from 'commander';
import { writeLockFile, LOCK_FILE_NAME, RegistryError, DEFAULT_SRC_DIR, DEFAULT_MODULES_DIR } from '../registry';
import { LuaSyntaxError } from '../engine/vm';
import { run, UsageError, type RunFlags } from './run';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { version } = require('../../package.json') as { version: string };

function fail(e: unknown): never {
  if (e instanceof UsageError || e instanceof RegistryError || e instanceof LuaSyntaxError) {
    process.stderr.write(`Error: ${e.message}\n`);
    process.exit(1);
  }
  throw e;
}

export function main(argv: string[]): void {
  const program = new Command('wisp')
    .description('Run Wippy Lua actor applications on Node.js')
    .version(version, '--version')
    .option('-v, --verbose', 'debug-level logs')
    .option('-c, --console', 'colourful console logs on stdout')
    .option('-s, --silent', 'no logs at all')
    .option('--config <file>', 'runtime config file (accepted; not used yet)');

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
