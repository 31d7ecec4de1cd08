/**
 * The one gate through which the loader touches the disk. Every file it reads and every directory it walks
 * must really be inside the project directory, symbolic links resolved, and every file it reads must be a
 * regular file: `src/etc -> /etc`, `file://../../../../etc/passwd`, `directories.src: /`, a FIFO (opening one
 * blocks until a writer comes) or `/dev/zero` (endless) as a source are refused with one line naming the path.
 */
import * as fs from 'fs';
import * as path from 'path';

/** Why a path was refused; the message is the reason only (callers say which file or field). */
export class Refused extends Error {}

const DEFINITION_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/** Left out of every walk (Wippy's file loader too). */
const ALWAYS_SKIPPED: ReadonlySet<string> = new Set(['node_modules']);

/** Test directories Wippy's file loader leaves out when its environment says so (`boot/loader/file_loader.go`). */
const SKIPPED_BY_VARIABLE: readonly (readonly [string, readonly string[]])[] = [
  ['SKIP_TEMPORAL_TESTS', ['_temporal', 'temporal']],
  ['SKIP_CLOUDSTORAGE_TESTS', ['cloudstorage']],
  ['SKIP_SQS_TESTS', ['sqs']],
  ['SKIP_NETWORK_TESTS', ['network']],
];

/**
 * The directory names a walk leaves out under `env`: node_modules; `temporal` and `_temporal`,
 * `cloudstorage`, `sqs`, `network` when SKIP_TEMPORAL_TESTS, SKIP_CLOUDSTORAGE_TESTS, SKIP_SQS_TESTS,
 * SKIP_NETWORK_TESTS is set and not empty; and each name in the comma-separated SKIP_TEST_DIRS.
 */
export function skippedDirectories(env: Readonly<Record<string, string | undefined>>): ReadonlySet<string> {
  const names = new Set(ALWAYS_SKIPPED);
  for (const [variable, dirs] of SKIPPED_BY_VARIABLE) if (env[variable]) for (const d of dirs) names.add(d);
  for (const d of (env.SKIP_TEST_DIRS ?? '').split(',')) if (d.trim() !== '') names.add(d.trim());
  return names;
}

// O_NONBLOCK: should a FIFO replace the checked file between stat and open, the open still returns at once
// (and fstat then refuses it). O_NOFOLLOW: the path is already resolved, so a link there is such a swap too.
const OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0) | (fs.constants.O_NOFOLLOW ?? 0);

export class ProjectFiles {
  /** The project directory with its symbolic links resolved: what "inside" is measured against. */
  readonly realRoot: string;

  /** @param root absolute project directory (the one holding wippy.lock) */
  constructor(readonly root: string) {
    this.realRoot = fs.realpathSync(root);
  }

  /** True when `file`, as written (no links resolved), stays inside the project directory. */
  contains(file: string): boolean {
    return isInside(this.root, file) || isInside(this.realRoot, file);
  }

  /** The real path of `file`; throws Refused when it leads outside the project, an fs error when it is missing. */
  resolve(file: string): string {
    const real = fs.realpathSync(file);
    if (!isInside(this.realRoot, real)) throw new Refused(`leads outside the project directory (to ${real})`);
    return real;
  }

  /** The bytes of a regular file inside the project. */
  read(file: string): Buffer {
    return readRegularFile(this.resolve(file));
  }

  /** A directory inside the project; throws Refused (or an fs error) otherwise. */
  directory(dir: string): string {
    const real = this.resolve(dir);
    if (!fs.statSync(real).isDirectory()) throw new Refused('not a directory');
    return real;
  }

  /**
   * Every definition file under `dir`, in the order Go's `fs.WalkDir` visits them (names sorted per
   * directory, depth first), so load order and duplicate reports are stable. Links to directories inside the
   * project are followed, each real directory once (a link loop ends there); a link that leads out of the
   * project is refused, as is a definition file that is not a regular file. Throws Refused with the path.
   * Directories named in `skipped` are left out as Wippy's file loader leaves them out: a directory of that
   * name is not entered, and a file whose path below `dir` contains `<name>/` anywhere is not loaded (Wippy's
   * test is that substring, so `awssqs/` is left out with `sqs`, and a name with a slash matches a path).
   */
  definitionFiles(dir: string, skipped: ReadonlySet<string> = ALWAYS_SKIPPED): string[] {
    const out: string[] = [];
    const seen = new Set<string>();
    const skippedFile = (full: string): boolean => {
      const rel = path.relative(dir, full).split(path.sep).join('/');
      for (const name of skipped) if (rel.includes(`${name}/`)) return true;
      return false;
    };
    const visit = (d: string, real: string): void => {
      if (seen.has(real)) return;
      seen.add(real);
      const names = fs.readdirSync(d).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      for (const name of names) {
        const full = path.join(d, name);
        const link = fs.lstatSync(full);
        let target = path.join(real, name);
        let stat = link;
        if (link.isSymbolicLink()) {
          try {
            target = fs.realpathSync(full);
            stat = fs.statSync(target);
          } catch {
            continue; // a dangling link: nothing to load
          }
          const walked = stat.isDirectory() || DEFINITION_EXTENSIONS.has(path.extname(name));
          if (walked && !isInside(this.realRoot, target)) {
            throw new RefusedPath(full, `symbolic link leads outside the project directory (to ${target})`);
          }
        }
        if (stat.isDirectory()) {
          if (!skipped.has(name)) visit(full, target);
        } else if (DEFINITION_EXTENSIONS.has(path.extname(name)) && !skippedFile(full)) {
          if (!stat.isFile()) throw new RefusedPath(full, `not a regular file (${fileType(stat)})`);
          out.push(full);
        }
      }
    };
    visit(dir, this.directory(dir));
    return out;
  }
}

/**
 * The bytes of `file` (a path with its links resolved), refused unless it is a regular file: a FIFO would block
 * the open until a writer comes, a device like `/dev/zero` never ends.
 */
export function readRegularFile(file: string): Buffer {
  regular(fs.statSync(file));
  const fd = fs.openSync(file, OPEN_FLAGS);
  try {
    regular(fs.fstatSync(fd));
    return fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** A refusal found while walking: names the path it is about. */
export class RefusedPath extends Refused {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(reason);
  }
}

function regular(stat: fs.Stats): void {
  if (!stat.isFile()) throw new Refused(stat.isDirectory() ? 'is a directory' : `not a regular file (${fileType(stat)})`);
}

function fileType(stat: fs.Stats): string {
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  if (stat.isDirectory()) return 'a directory';
  return 'not a file';
}

export function isInside(root: string, file: string): boolean {
  const rel = path.relative(root, file);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

/** A one-line reason for an fs error or a refusal. */
export function ioReason(err: unknown): string {
  if (err instanceof Refused) return err.message;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'ENOTDIR':
      return 'not a directory';
    case 'ELOOP':
      return 'too many levels of symbolic links';
    case 'ENOSPC':
      return 'no space left on device';
    case 'EDQUOT':
      return 'disk quota exceeded';
    case 'EROFS':
      return 'read-only file system';
    default:
      return err instanceof Error ? err.message.split('\n')[0] : String(err);
  }
}
