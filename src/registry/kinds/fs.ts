/**
 * `fs.directory`: a directory of the host the `fs` module may use, every path confined to it. A relative
 * `directory` is taken from the project directory, or, for an entry a module brings (`meta.module`) without
 * `base: project`, from the module's root directory, as Wippy resolves it.
 */
import { isAbsolute, resolve } from 'path';
import { kindDefinition, serviceBase } from '../kind';
import type { ServiceEntry } from '../types';

export interface FsDirectoryEntry extends ServiceEntry {
  kind: 'fs.directory';
  /** Absolute path of the directory. */
  directory: string;
  /** Create it (and its parents) at start when missing. */
  autoInit: boolean;
  /** Permissions for directories it creates; read bits without execute bits get them added, as in Wippy. */
  mode: number;
}

export const fsKinds = kindDefinition<FsDirectoryEntry>({
  kinds: ['fs.directory'],
  parse: (f, base, ctx) => {
    const directory = f.requiredString('directory');
    const where = f.oneOf('base', 'module', ['project', 'module']);
    const modeText = f.has('mode') ? f.requiredString('mode') : '0755';
    if (!/^[0-7]{1,4}$/.test(modeText)) f.typeError('mode', 'an octal permission string such as "0755"');
    let mode = parseInt(modeText, 8);
    if ((mode & 0o444) === 0o444 && (mode & 0o111) === 0) mode |= 0o111;
    const fromModule = where === 'module' && typeof base.meta.module === 'string' && ctx.moduleRoot !== undefined;
    return {
      ...serviceBase(f, base, false),
      kind: 'fs.directory',
      directory: isAbsolute(directory) ? resolve(directory) : resolve(fromModule ? (ctx.moduleRoot as string) : ctx.root, directory),
      autoInit: f.boolean('auto_init', false),
      mode,
    };
  },
});
