/**
 * The `fs` facet of an `fs.directory` entry: a host directory with every path confined to it
 * (`ConfinedDirectory` in src/lib/confined-dir.ts). The `fs` module uses it, and so can other services:
 * `http.static` can serve files with `stat` and `openRead`, which refuse any path that leads out of the
 * directory (a `FsError` of kind Invalid, `path traversal not allowed`) or names a directory.
 *
 *   const volume = ctx.resources.get('app:public', 'fs');   // FsVolume or an ErrorValue
 *   const { file, stat } = await volume.openRead('/index.html');
 *   // file is a ByteStream (read(max) until null), stat.size / stat.modified for headers; close it after.
 */
export type { FsVolume, FsFile, FsStat, FsDirEntry, OpenMode, FsErrorKind } from '../lib/confined-dir';
import type { FsVolume } from '../lib/confined-dir';

declare module './resources' {
  interface Facets {
    fs: FsVolume;
  }
}
