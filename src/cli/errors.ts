/** How the CLI reports failures: one line on stderr and exit code 1; a JS stack trace only for wisp's own bugs, under -v. */
import { RegistryError } from '../registry';
import { LuaSyntaxError } from '../engine/loader';
import { printable } from '../util/printable';

/** A mistake the user can fix: printed as one line `Error: <message>`, exit code 1. */
export class UsageError extends Error {}

export function fail(e: unknown): never {
  // One line whatever the message holds: a value from a file or a process cannot break it or drive the terminal.
  process.stderr.write(`Error: ${printable(describe(e))}\n`);
  if (!isUserError(e) && process.argv.some((a) => a === '-v' || a === '--verbose' || a === '--very-verbose') && e instanceof Error) {
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
