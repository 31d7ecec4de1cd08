/**
 * `wisp lint` (Wippy's command): every problem of the registry and of the Lua entries, found without running
 * anything. Exit code 0 when there is no error (warnings do not fail), 1 when there is one: for CI.
 */
import { RegistryError, splitId, startLevels, type Registry } from '../registry';
import { sourceProblems } from './checks';
import { openRegistry, type ProjectFlags } from './run';
import { UsageError } from './errors';
import { paint } from './logs';
import { glob } from './registry';

export type Severity = 'error' | 'warning';

/** One problem, as Wippy's `lint --json` reports one (entry_id, code, severity, message, line). */
export interface Diagnostic {
  readonly entry_id: string;
  /** What found it: `registry` (loading, references, dependencies), `kind`, `syntax`, `method`. */
  readonly code: string;
  readonly severity: Severity;
  /** One line naming file, entry and line. */
  readonly message: string;
  readonly line?: number;
}

export interface LintFlags extends ProjectFlags {
  json?: boolean;
  level?: string;
  ns?: string[];
}

export interface LintResult {
  readonly diagnostics: Diagnostic[];
  readonly total_entries: number;
  readonly error_count: number;
  readonly warning_count: number;
}

/** `entry ns:name:` in a registry message: the entry it is about. */
const ENTRY_IN = /(?:^|: )entry ([^\s:]+:[^\s:]+):/;
const LINE_IN = /^[^\s:]+:(\d+): /;

function fromMessage(message: string, code: string, severity: Severity): Diagnostic {
  const line = LINE_IN.exec(message)?.[1];
  return { entry_id: ENTRY_IN.exec(message)?.[1] ?? '', code, severity, message, ...(line !== undefined ? { line: Number(line) } : {}) };
}

/** Every diagnostic of the project in `cwd`. */
export function lintProject(flags: LintFlags, cwd: string): LintResult {
  let registry: Registry;
  try {
    registry = openRegistry(flags, cwd, true);
  } catch (err) {
    // A file that cannot be read at all (bad YAML, a lock file problem) stops the loading: that is the one problem.
    if (!(err instanceof RegistryError)) throw err;
    return result([fromMessage(err.message, 'registry', 'error')], 0);
  }
  const diagnostics: Diagnostic[] = [];
  const skippedMessages = new Set(registry.skipped.values());
  for (const [id, message] of registry.skipped) {
    // A kind wisp does not know and nothing near it: an entry for another runtime, left out (a warning).
    const kind = /^\S+: entry \S+: unknown kind "/.test(message);
    const foreign = kind && / unknown kind "[^"]*", entry skipped \(supported: /.test(message);
    diagnostics.push({ ...fromMessage(message, kind ? 'kind' : 'registry', foreign ? 'warning' : 'error'), entry_id: id });
  }
  for (const w of registry.warnings) if (!skippedMessages.has(w)) diagnostics.push(fromMessage(w, 'registry', 'warning'));
  try {
    startLevels(registry);
  } catch (err) {
    if (!(err instanceof RegistryError)) throw err;
    diagnostics.push(fromMessage(err.message, 'registry', 'error'));
  }
  for (const e of registry.entries()) {
    for (const p of sourceProblems(registry, e)) {
      diagnostics.push({ entry_id: p.entry, code: p.code, severity: 'error', message: p.message, ...(p.line !== undefined ? { line: p.line } : {}) });
    }
  }
  const ns = flags.ns ?? [];
  const kept = ns.length === 0 ? diagnostics : diagnostics.filter((d) => d.entry_id === '' || ns.some((g) => glob(g).test(splitId(d.entry_id)[0])));
  const atLeast = flags.level === 'error' ? kept.filter((d) => d.severity === 'error') : kept;
  return result(atLeast, registry.records().length);
}

function result(diagnostics: Diagnostic[], total: number): LintResult {
  const sorted = [...diagnostics].sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1));
  return {
    diagnostics: sorted,
    total_entries: total,
    error_count: sorted.filter((d) => d.severity === 'error').length,
    warning_count: sorted.filter((d) => d.severity === 'warning').length,
  };
}


/** Prints the result; the exit code is 1 when there is an error. */
export function lint(flags: LintFlags, cwd = process.cwd()): number {
  if (flags.level !== undefined && flags.level !== 'error' && flags.level !== 'warning') {
    throw new UsageError(`invalid --level "${flags.level}": error or warning`);
  }
  const r = lintProject(flags, cwd);
  if (flags.json === true) {
    process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
  } else {
    for (const d of r.diagnostics) {
      const tag = d.severity === 'error' ? paint.bold.red('error  ') : paint.bold.yellow('warning');
      process.stdout.write(`${tag} ${d.message}\n`);
    }
    const counts = `${r.error_count} error${r.error_count === 1 ? '' : 's'}, ${r.warning_count} warning${r.warning_count === 1 ? '' : 's'}`;
    process.stdout.write(r.diagnostics.length === 0 ? `${paint.green('no problems')} in ${r.total_entries} entries\n` : `\n${counts} in ${r.total_entries} entries\n`);
  }
  return r.error_count > 0 ? 1 : 0;
}
