/** The `wisp` command line (commander). Every user error is one line on stderr and exit code 1. */
import { Command, Option } from 'commander';
import { writeLockFile, LOCK_FILE_NAME, DEFAULT_SRC_DIR, DEFAULT_MODULES_DIR } from '../registry';
import { openRegistry, run, type ProjectFlags, type RunFlags } from './run';
import { commandList } from './commands';
import { listEntries, showEntry, type ListFilters, type ShowOptions } from './registry';
import { fail, UsageError } from './errors';
import { DEFAULT_CONFIG_FILE } from './config';
import { addLiveCommands } from './live';
import { lint, type LintFlags } from './lint';
import { completionScript, SHELLS } from './completion';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { version } = require('../../package.json') as { version: string };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const fengari = require('fengari/package.json') as { version: string };


/** Repeatable flags (`-o a -o b`) collect into a list. */
const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Runs a command's work, printing what it returns; any failure is one line and exit code 1. */
function action<A extends unknown[]>(work: (...args: A) => string | Promise<number>) {
  return async (...args: A): Promise<void> => {
    try {
      const result = await work(...args);
      if (typeof result === 'number') process.exit(result);
      process.stdout.write(result);
    } catch (e) {
      fail(e);
    }
  };
}

function versionText(short: boolean): string {
  return short ? `${version}\n` : `wisp ${version} (Node.js ${process.version}, Fengari ${fengari.version}: Lua 5.3)\n`;
}

export function main(argv: string[]): void {
  const program = new Command('wisp')
    .description('Run Wippy Lua actor applications on Node.js')
    .version(versionText(true).trimEnd(), '-V, --version', 'print the version number')
    .option('-v, --verbose', 'debug-level logs; a failing -x process also prints its Lua traceback')
    .option('--very-verbose', 'debug-level logs with tracebacks (as -v)')
    .option('-c, --console', 'colourful console logs on stdout (seconds since start, level, component)')
    .option('-s, --silent', 'no logs at all')
    .option('--config <file>', `runtime config file (default ${DEFAULT_CONFIG_FILE}; an explicit file must exist; its cluster.* keys are read too)`)
    .configureHelp({ showGlobalOptions: true });

  program
    .command('version')
    .description('print version information')
    .option('--short', 'print only the version number')
    .action(action((opts: { short?: boolean }) => versionText(opts.short === true)));

  program
    .command('init')
    .description('write wippy.lock (the source and modules directories)')
    .option('-d, --src-dir <dir>', 'source directory', DEFAULT_SRC_DIR)
    .option('--modules-dir <dir>', 'vendored modules directory', DEFAULT_MODULES_DIR)
    .option('-l, --lock-file <file>', 'lock file path', LOCK_FILE_NAME)
    .action(
      action((opts: { srcDir: string; modulesDir: string; lockFile: string }) => {
        writeLockFile(opts.lockFile, { srcDir: opts.srcDir, modulesDir: opts.modulesDir });
        process.stderr.write('lock file initialized successfully\n');
        return '';
      }),
    );

  program
    .command('run')
    .description('boot the project; with -x or a command name, run that entry on the terminal host; `run list` lists the commands')
    .argument('[args...]', 'a command name (meta.command.name) and its arguments, or arguments for -x')
    .option('-x, --exec <entry>', 'entry to run: ns:entry or host/entry')
    .option('--host <host>', 'terminal host for -x')
    .option('-o, --override <ns:entry:field=value>', 'override an entry field (repeatable)', collect)
    .option('--set <section.path=value>', 'override a .wippy.yaml value (repeatable)', collect)
    .option('--observe <[host:]port>', 'serve a live web view of processes and services, the observer (default host 127.0.0.1)')
    .addOption(new Option('--inspect <[host:]port>', 'deprecated name of --observe').hideHelp())
    .option('--cluster <url>', 'join a cluster through this NATS server (nats://HOST:PORT; comma-separated for several)')
    .option('--node <name>', 'this node\'s name in the cluster (default: $WISP_NODE)')
    .option('--threads <n>', 'schedulers in this node: worker threads, each with its own Lua states (default $WISP_THREADS, else 1)')
    .action(
      action((args: string[], _opts: RunFlags, cmd: Command) => {
        const flags = cmd.optsWithGlobals<RunFlags>();
        // `run list` is Wippy's subcommand; any other first word is a command name.
        if (args[0] === 'list' && args.length === 1 && flags.exec === undefined) return commandList(openRegistry(flags, process.cwd()));
        return run(args, flags);
      }),
    );

  const registry = program.command('registry').description('list and show the entries the project defines');
  registry
    .command('list')
    .description('list entries, sorted by id')
    .addOption(new Option('-k, --kind <glob>', 'entries whose kind matches (e.g. "process.*")'))
    .option('-n, --ns <glob>', 'entries whose namespace matches')
    .option('--name <glob>', 'entries whose name matches')
    .option('--meta <filter>', 'meta field filter: field=value, field~regex, field*substr, field^prefix, field$suffix (repeatable)', collect)
    .option('--json', 'JSON output')
    .option('--yaml', 'YAML output')
    .action(action((opts: ListFilters, cmd: Command) => listEntries(openRegistry(cmd.optsWithGlobals<ProjectFlags>(), process.cwd(), true), opts)));
  registry
    .command('show')
    .description('show one entry: its kind, meta and fields as written')
    .argument('<id>', 'ns:name, or a name when only one namespace has it')
    .option('-f, --field <name>', 'only this field')
    .option('--json', 'JSON output')
    .option('--yaml', 'YAML output')
    .option('--raw', 'the field value as is')
    .action(
      action((id: string, opts: ShowOptions, cmd: Command) => showEntry(openRegistry(cmd.optsWithGlobals<ProjectFlags>(), process.cwd(), true), id, opts)),
    );

  addLiveCommands(program, fail);

  program
    .command('lint')
    .description('check the registry and the Lua entries without running anything (exit 1 on an error)')
    .option('--json', 'JSON output (diagnostics with entry_id, code, severity, message, line)')
    .option('--level <level>', 'least severity shown: error or warning', 'warning')
    .option('--ns <glob>', 'only entries whose namespace matches (repeatable)', collect)
    .option('-o, --override <ns:entry:field=value>', 'override an entry field (repeatable)', collect)
    .action(action((_opts: LintFlags, cmd: Command) => Promise.resolve(lint(cmd.optsWithGlobals<LintFlags>()))));

  program
    .command('completion')
    .description('print a shell completion script: eval "$(wisp completion bash)"')
    .argument('<shell>', SHELLS.join(' or '))
    .action(action((shell: string) => completionScript(program, shell)));

  program.parseAsync(argv).catch(fail);
}
