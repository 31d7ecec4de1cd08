import * as fs from 'fs';
import * as path from 'path';
import { buildEntry } from './entries';
import { RegistryError, Site, displayPath } from './errors';
import { findDefinitionFiles, readDefinitionFile } from './files';
import { ioReason } from './interpolate';
import { readLockFile } from './lockfile';
import { checkReferences } from './references';
import { Registry } from './registry';
import { ENTRY_KINDS, Entry, isEntryKind } from './types';

export const LOCK_FILE_NAME = 'wippy.lock';

/**
 * Loads `dir/wippy.lock` and every definition file under its `directories.src`.
 * Throws `RegistryError` (one-line message) on the first problem; non-fatal problems
 * (unknown kinds, `lifecycle` on a `process.lua`, …) end up in `registry.warnings`.
 * Hub modules (`directories.modules`, `.wapp` packs) are not loaded.
 */
export function loadProject(dir: string): Registry {
  const root = path.resolve(dir);
  const lockPath = path.join(root, LOCK_FILE_NAME);
  const warnings: string[] = [];
  if (!fs.existsSync(lockPath)) {
    // Wippy does the same: "no lock file found, starting with empty registry".
    warnings.push(`no ${LOCK_FILE_NAME} found in ${root}, starting with an empty registry`);
    return new Registry(root, [], warnings);
  }

  const lock = readLockFile(lockPath);
  if (lock.modules.length > 0) {
    warnings.push(
      `${LOCK_FILE_NAME}: ${lock.modules.length} hub module(s) listed under "modules" are not supported and were not loaded`,
    );
  }
  const srcDir = path.resolve(root, lock.directories.src);
  if (!fs.existsSync(srcDir) || !fs.statSync(srcDir).isDirectory()) {
    throw new RegistryError(
      `${LOCK_FILE_NAME}: source directory "${lock.directories.src}" not found`,
      { file: lockPath },
    );
  }

  let files: string[];
  try {
    files = findDefinitionFiles(srcDir);
  } catch (err) {
    const at = (err as NodeJS.ErrnoException).path ?? srcDir;
    throw new RegistryError(`${displayPath(root, at)}: cannot read directory: ${ioReason(err)}`, { file: at });
  }

  // Relative file:// paths may reach anywhere in the project, or in src when the lock
  // file points it outside the project.
  const roots = [root, srcDir];
  const entries: Entry[] = [];
  const definedIn = new Map<string, string>();
  const skipped = new Map<string, string>();
  for (const file of files) {
    const site = new Site(root, file, undefined, warnings);
    for (const raw of readDefinitionFile(site)) {
      const id = `${raw.namespace}:${raw.name}`;
      const es = site.forEntry(id);
      const previous = definedIn.get(id);
      if (previous !== undefined) throw es.error(`duplicate id, already defined in ${displayPath(root, previous)}`);
      definedIn.set(id, file);
      if (!isEntryKind(raw.kind)) {
        es.warn(`unknown kind "${raw.kind}", entry skipped (supported: ${ENTRY_KINDS.join(', ')})`);
        skipped.set(id, raw.kind);
        continue;
      }
      entries.push(buildEntry(raw, raw.kind, es, roots));
    }
  }
  checkReferences(root, entries, skipped);
  return new Registry(root, entries, warnings, srcDir);
}
