/**
 * A host directory with every path confined to it, as Wippy's `fs.directory` (Go's os.Root) behaves:
 * - paths are Wippy's: `/a/b` from the root, `a/b` from a working directory inside it; `..` may not climb
 *   above the root; a NUL byte is refused;
 * - symbolic links are followed only while they stay inside: every link on the way is resolved and checked,
 *   dangling ones included (a link to a file that does not exist yet, outside, is not created through);
 * - a file is opened with O_NOFOLLOW on the checked path, and the open descriptor is checked once more
 *   (/proc/self/fd) so that a link swapped in meanwhile cannot lead out.
 * Refusals are FsError Invalid `path traversal not allowed`.
 */
import { promises as fsp, constants, readlinkSync, fstatSync, type Dirent, type Stats } from 'fs';
import { posix, sep } from 'path';
import { BaseStream, STREAM_CLOSED, type StreamInfo, type Whence, type ByteStream } from './byte-stream';

export type FsErrorKind = 'NotFound' | 'AlreadyExists' | 'Invalid' | 'PermissionDenied' | 'Internal';

/** A failed file operation; `message` is one line naming the path as the caller wrote it. */
export class FsError extends Error {
  constructor(
    message: string,
    readonly kind: FsErrorKind,
  ) {
    super(message);
  }
}

export const PATH_TRAVERSAL = 'path traversal not allowed';
export const NULL_BYTE = 'path contains null byte';

export interface FsStat {
  /** The last element of the path (`.` for the root). */
  readonly name: string;
  readonly size: number;
  /** Go's FileMode: the permission bits, plus 1 << 31 for a directory. */
  readonly mode: number;
  /** Modification time, seconds since the epoch. */
  readonly modified: number;
  readonly isDir: boolean;
}

export interface FsDirEntry {
  readonly name: string;
  readonly isDir: boolean;
}

/** How a file is opened: read, write (create or truncate), write exclusively (fail if it exists), append. */
export type OpenMode = 'r' | 'w' | 'wx' | 'a';

/** An open file: a ByteStream that also reports its metadata. */
export interface FsFile extends ByteStream {
  fileStat(): Promise<FsStat>;
}

export interface FsVolume {
  /** The directory on the host (absolute, links resolved). */
  readonly root: string;
  /** The cleaned path relative to the root (`.` for the root); throws FsError for `..` above it or a NUL. */
  resolve(path: string, cwd?: string): string;
  stat(path: string, cwd?: string): Promise<FsStat>;
  open(path: string, mode: OpenMode, cwd?: string): Promise<FsFile>;
  /** Opens a regular file for reading (a directory is refused, Invalid). */
  openRead(path: string, cwd?: string): Promise<{ file: FsFile; stat: FsStat }>;
  mkdir(path: string, cwd?: string): Promise<void>;
  remove(path: string, cwd?: string): Promise<void>;
  readdir(path: string, cwd?: string): Promise<FsDirEntry[]>;
  /** The whole file, refused (Internal) when larger than `max` bytes. */
  readFile(path: string, max: number, cwd?: string): Promise<Uint8Array>;
}

const FLAGS: Record<OpenMode, number> = {
  r: constants.O_RDONLY,
  w: constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC,
  wx: constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_EXCL,
  a: constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND,
};

const MAX_LINKS = 40;
const GO_DIR_BIT = 2 ** 31;

const HAS_PROC_FD = (() => {
  try {
    readlinkSync('/proc/self/fd/0');
    return true;
  } catch {
    return false;
  }
})();

/** What a failed syscall means in Wippy's kinds, with Go's wording (`open a.txt: no such file or directory`). */
export function fsErrorOf(e: unknown, op: string, path: string): FsError {
  if (e instanceof FsError) return e;
  const err = e as NodeJS.ErrnoException;
  const reason: Record<string, [string, FsErrorKind]> = {
    ENOENT: ['no such file or directory', 'NotFound'],
    EEXIST: ['file exists', 'AlreadyExists'],
    ENOTDIR: ['not a directory', 'Invalid'],
    EISDIR: ['is a directory', 'Invalid'],
    ENOTEMPTY: ['directory not empty', 'Invalid'],
    EACCES: ['permission denied', 'PermissionDenied'],
    EPERM: ['operation not permitted', 'PermissionDenied'],
    ELOOP: ['too many levels of symbolic links', 'Invalid'],
    ENAMETOOLONG: ['file name too long', 'Invalid'],
  };
  const [text, kind] = reason[err.code ?? ''] ?? [err.message, 'Internal' as FsErrorKind];
  return new FsError(`${op} ${path}: ${text}`, kind);
}

function statOf(name: string, st: Stats): FsStat {
  const isDir = st.isDirectory();
  return { name, size: st.size, mode: (st.mode & 0o777) + (isDir ? GO_DIR_BIT : 0), modified: Math.floor(st.mtimeMs / 1000), isDir };
}

export class ConfinedDirectory implements FsVolume {
  private constructor(
    readonly root: string,
    /** Permissions for directories made through it. */
    private readonly dirMode: number,
  ) {}

  /** The directory at `dir` (created with `mode` when `autoInit`); throws an Error with one line when unusable. */
  static async open(dir: string, mode: number, autoInit: boolean): Promise<ConfinedDirectory> {
    if (autoInit) await fsp.mkdir(dir, { recursive: true, mode });
    const root = await fsp.realpath(dir);
    const st = await fsp.stat(root);
    if (!st.isDirectory()) throw new Error(`${dir} is not a directory`);
    return new ConfinedDirectory(root, mode);
  }

  resolve(path: string, cwd = '.'): string {
    if (path.includes('\0')) throw new FsError(NULL_BYTE, 'Invalid');
    let rel: string;
    if (path === '') rel = cwd;
    else if (path.startsWith('/')) rel = path.replace(/^\/+/, '');
    else rel = posix.join(cwd, path);
    rel = rel === '' ? '.' : posix.normalize(rel).replace(/\/+$/, '') || '.';
    if (rel === '..' || rel.startsWith('../')) throw new FsError(PATH_TRAVERSAL, 'Invalid');
    return rel;
  }

  private inside(real: string): boolean {
    return real === this.root || real.startsWith(this.root + sep);
  }

  /**
   * The host path of `rel` with every link on the way resolved and checked; the last element is resolved too
   * when `followLast` (it may not exist: the path where it would be is given).
   */
  private async host(rel: string, followLast: boolean): Promise<string> {
    if (rel === '.') return this.root;
    const parent = posix.dirname(rel);
    const realParent = parent === '.' ? this.root : await fsp.realpath(`${this.root}/${parent}`);
    if (!this.inside(realParent)) throw new FsError(PATH_TRAVERSAL, 'Invalid');
    let at = `${realParent}/${posix.basename(rel)}`;
    if (!followLast) return at;
    for (let hops = 0; ; hops++) {
      let st: Stats;
      try {
        st = await fsp.lstat(at);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return at;
        throw e;
      }
      if (!st.isSymbolicLink()) return at;
      if (hops >= MAX_LINKS) throw Object.assign(new Error('too many links'), { code: 'ELOOP' });
      const target = posix.resolve(posix.dirname(at), await fsp.readlink(at));
      const dir = await fsp.realpath(posix.dirname(target));
      at = `${dir}/${posix.basename(target)}`;
      if (!this.inside(dir) || at === `${this.root}/..`) throw new FsError(PATH_TRAVERSAL, 'Invalid');
    }
  }

  /** Runs `op` on the checked host path; errors name `path` as written. */
  private async at<T>(op: string, path: string, cwd: string | undefined, followLast: boolean, run: (host: string, rel: string) => Promise<T>): Promise<T> {
    const rel = this.resolve(path, cwd);
    try {
      return await run(await this.host(rel, followLast), rel);
    } catch (e) {
      throw fsErrorOf(e, op, path);
    }
  }

  stat(path: string, cwd?: string): Promise<FsStat> {
    return this.at('stat', path, cwd, true, async (host, rel) => statOf(posix.basename(rel), await fsp.stat(host)));
  }

  open(path: string, mode: OpenMode, cwd?: string): Promise<FsFile> {
    return this.at('open', path, cwd, true, async (host) => {
      const handle = await fsp.open(host, FLAGS[mode] | constants.O_NOFOLLOW, 0o644);
      if (HAS_PROC_FD) {
        let real: string;
        try {
          real = readlinkSync(`/proc/self/fd/${handle.fd}`);
        } catch (e) {
          await handle.close();
          throw e;
        }
        if (!this.inside(real)) {
          await handle.close();
          throw new FsError(PATH_TRAVERSAL, 'Invalid');
        }
      }
      return new FileStream(handle, mode, posix.basename(host));
    });
  }

  async openRead(path: string, cwd?: string): Promise<{ file: FsFile; stat: FsStat }> {
    const file = await this.open(path, 'r', cwd);
    const stat = await file.fileStat();
    if (stat.isDir) {
      await file.close();
      throw new FsError(`read ${path}: is a directory`, 'Invalid');
    }
    return { file, stat };
  }

  mkdir(path: string, cwd?: string): Promise<void> {
    return this.at('mkdir', path, cwd, false, async (host) => {
      await fsp.mkdir(host, this.dirMode & 0o777);
    });
  }

  remove(path: string, cwd?: string): Promise<void> {
    return this.at('remove', path, cwd, false, async (host, rel) => {
      if (rel === '.') throw new FsError(`remove ${path}: the directory's root cannot be removed`, 'Invalid');
      const st = await fsp.lstat(host);
      if (st.isDirectory()) await fsp.rmdir(host);
      else await fsp.unlink(host);
    });
  }

  readdir(path: string, cwd?: string): Promise<FsDirEntry[]> {
    return this.at('readdir', path, cwd, true, async (host) => {
      const entries: Dirent[] = await fsp.readdir(host, { withFileTypes: true });
      return entries.map((d) => ({ name: d.name, isDir: d.isDirectory() })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    });
  }

  async readFile(path: string, max: number, cwd?: string): Promise<Uint8Array> {
    const file = await this.open(path, 'r', cwd);
    try {
      const chunks: Uint8Array[] = [];
      let size = 0;
      for (;;) {
        const chunk = await file.read(1024 * 1024);
        if (chunk === null) break;
        size += chunk.length;
        if (size > max) throw new FsError(`read ${path}: file too large (max ${max} bytes)`, 'Internal');
        chunks.push(chunk);
      }
      return chunks.length === 1 ? chunks[0] : new Uint8Array(Buffer.concat(chunks, size));
    } catch (e) {
      throw fsErrorOf(e, 'read', path);
    } finally {
      await file.close();
    }
  }
}

/** An open file as a ByteStream: reads and writes at its own position, seekable, closed once. */
export class FileStream extends BaseStream implements FsFile {
  private position = 0;
  private closed = false;

  constructor(
    private readonly handle: fsp.FileHandle,
    private readonly mode: OpenMode,
    private readonly name: string,
  ) {
    super();
  }

  private check(): void {
    if (this.closed) throw new Error(STREAM_CLOSED);
  }

  override async read(max: number): Promise<Uint8Array | null> {
    this.check();
    if (this.mode !== 'r') throw Object.assign(new Error('bad file descriptor'), { code: 'EBADF' });
    // A buffer of its own for each read: the bytes become the caller's (a Lua string) without a copy; a short
    // read into a big buffer is copied out so the rest is not kept alive.
    const buf = Buffer.allocUnsafeSlow(max);
    const { bytesRead } = await this.handle.read(buf, 0, max, this.position);
    if (bytesRead === 0) return null;
    this.position += bytesRead;
    const bytes = new Uint8Array(buf.buffer, buf.byteOffset, bytesRead);
    return bytesRead * 2 < max ? bytes.slice() : bytes;
  }

  override async write(data: Uint8Array): Promise<number> {
    this.check();
    if (this.mode === 'r') throw Object.assign(new Error('bad file descriptor'), { code: 'EBADF' });
    let done = 0;
    while (done < data.length) {
      // Append mode writes at the end whatever the position (O_APPEND); the position follows.
      const { bytesWritten } = await this.handle.write(data, done, data.length - done, this.mode === 'a' ? null : this.position);
      done += bytesWritten;
      this.position += bytesWritten;
    }
    return done;
  }

  override async seek(whence: Whence, offset: number): Promise<number> {
    this.check();
    const base = whence === 'set' ? 0 : whence === 'cur' ? this.position : (await this.handle.stat()).size;
    const to = base + offset;
    if (to < 0) throw Object.assign(new Error('invalid argument'), { code: 'EINVAL' });
    this.position = to;
    return to;
  }

  override async flush(): Promise<void> {
    this.check();
    await this.handle.sync();
  }

  async fileStat(): Promise<FsStat> {
    this.check();
    return statOf(this.name, await this.handle.stat());
  }

  stat(): StreamInfo {
    this.check();
    return { size: fstatSync(this.handle.fd).size, position: this.position, readable: this.mode === 'r', writable: this.mode !== 'r', seekable: true };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }

  get isClosed(): boolean {
    return this.closed;
  }
}
