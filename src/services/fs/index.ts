/**
 * The `fs.directory` service: a configuration kind, made at boot (or when a change adds it). It checks the
 * directory (creating it when `auto_init`) and offers the `fs` facet, a ConfinedDirectory.
 */
import { ConfinedDirectory } from '../../lib/confined-dir';
import { serviceDefinition } from '../service';
import type { FsDirectoryEntry } from '../../registry/kinds/fs';
import '../../api/fs';

export const fsServices = serviceDefinition<FsDirectoryEntry>({
  kinds: ['fs.directory'],
  start: async (entry) => {
    let volume: ConfinedDirectory;
    try {
      volume = await ConfinedDirectory.open(entry.directory, entry.mode, entry.autoInit);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const reason = err.code === 'ENOENT' ? 'does not exist (set auto_init: true to create it)' : err.code === 'EACCES' ? 'is not accessible' : err.message;
      throw new Error(`fs.directory ${entry.id}: directory ${entry.directory} ${reason}`);
    }
    return { facets: { fs: volume }, stop: async () => undefined };
  },
});
