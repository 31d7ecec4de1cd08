import * as fs from 'fs';
import * as path from 'path';
import { buildEntry } from './entries';
import { RegistryError, Site, displayPath } from './errors';
import { readDefinitionFile } from './files';
import { ioReason, ProjectFiles, RefusedPath, skippedDirectories } from './project-files';
import { readLockFile } from './lockfile';
import { checkReferences } from './references';
import { applyOverrides, checkAllUsed, type Override } from './overrides';
import { Registry } from './registry';
import { Entry, EntryRecord, type EntryKind, type ServiceKind } from './types';
import { DEFAULT_KINDS, type KindTable } from './kinds';

export const LOCK_FILE_NAME = 'wippy.lock';

export interface LoadOptions {
  /** The environment Wippy's loader reads (`SKIP_*_TESTS`, `SKIP_TEST_DIRS`); none by default. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The kinds it knows (default: wisp's own). */
  readonly kinds?: KindTable;
}

/**
 * Loads `dir/wippy.lock` and every definition file under its `directories.src`, which must be
 * inside `dir`: nothing outside the project directory is ever read.
 * Throws `RegistryError` (one-line message) on the first problem; non-fatal problems
 * (unknown kinds, `lifecycle` on a `process.lua`, …) end up in `registry.warnings`.
 * Hub modules (`directories.modules`, `.wapp` packs) are not loaded. `overrides` (`-o`) change entries as
 * written, before they are checked; one that names no entry is an error. `env` says which test directories
 * to leave out, as Wippy's loader reads its own environment (`SKIP_*_TESTS`, `SKIP_TEST_DIRS`).
 */
export function loadProject(dir: string, overrides: readonly Override[] = [], options: LoadOptions = {}): Registry {
  const { env = {}, kinds = DEFAULT_KINDS } = options;
  const root = path.resolve(dir);
  const lockPath = path.join(root, LOCK_FILE_NAME);
  const warnings: string[] = [];
  if (!fs.existsSync(lockPath)) {
    // Wippy does the same: "no lock file found, starting with empty registry".
    warnings.push(`no ${LOCK_FILE_NAME} found in ${root}, starting with an empty registry`);
    checkAllUsed(overrides, new Set());
    return new Registry(root, [], warnings, undefined, undefined, undefined, kinds);
  }

  const lock = readLockFile(lockPath);
  if (lock.modules.length > 0) {
    warnings.push(
      `${LOCK_FILE_NAME}: ${lock.modules.length} hub module(s) listed under "modules" are not supported and were not loaded`,
    );
  }
  const files = new ProjectFiles(root);
  const srcDir = path.resolve(root, lock.directories.src);
  try {
    files.directory(srcDir);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : ioReason(err);
    throw new RegistryError(`${LOCK_FILE_NAME}: source directory "${lock.directories.src}" ${reason}`, { file: lockPath });
  }

  let definitionFiles: string[];
  try {
    definitionFiles = files.definitionFiles(srcDir, skippedDirectories(env));
  } catch (err) {
    const at = err instanceof RefusedPath ? err.path : ((err as NodeJS.ErrnoException).path ?? srcDir);
    const what = err instanceof RefusedPath ? '' : 'cannot read directory: ';
    throw new RegistryError(`${displayPath(root, at)}: ${what}${ioReason(err)}`, { file: at });
  }

  const entries: Entry[] = [];
  const records: EntryRecord[] = [];
  const definedIn = new Map<string, string>();
  const skipped = new Map<string, string>();
  const skippedWhy = new Map<string, string>();
  const overridden = new Set<string>();
  for (const file of definitionFiles) {
    const site = new Site(root, file, undefined, warnings);
    for (const raw of readDefinitionFile(site, files)) {
      const id = `${raw.namespace}:${raw.name}`;
      const es = site.forEntry(id);
      const previous = definedIn.get(id);
      if (previous !== undefined) throw es.error(`duplicate id, already defined in ${displayPath(root, previous)}`);
      definedIn.set(id, file);
      applyOverrides(raw, overrides, overridden);
      records.push({ id, kind: raw.kind, meta: raw.meta, data: raw.data, file });
      if (!kinds.has(raw.kind)) {
        const why = es.format(`unknown kind "${raw.kind}", entry skipped (supported: ${kinds.names().join(', ')})`);
        warnings.push(why);
        skipped.set(id, raw.kind);
        skippedWhy.set(id, why);
        continue;
      }
      entries.push(buildEntry(raw, raw.kind as EntryKind | ServiceKind, es, files, srcDir, kinds));
    }
  }
  checkAllUsed(overrides, overridden);
  checkReferences(root, entries, skipped);
  return new Registry(root, entries, warnings, srcDir, records, skippedWhy, kinds);
}
