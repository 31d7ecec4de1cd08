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
import { didYouMean } from '../util/suggest';
import { WIPPY_KINDS } from './wippy-kinds';

export const LOCK_FILE_NAME = 'wippy.lock';

export interface LoadOptions {
  /** The environment Wippy's loader reads (`SKIP_*_TESTS`, `SKIP_TEST_DIRS`); none by default. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The kinds it knows (default: wisp's own). */
  readonly kinds?: KindTable;
  /**
   * Keep going past an entry's own mistakes (a bad field, a broken reference): the entry is left out and
   * its one-line error kept in `registry.skipped`, so the tools that show a registry can show a broken one.
   */
  readonly tolerant?: boolean;
}

/**
 * Loads `dir/wippy.lock` and every definition file under its `directories.src`, which must be
 * inside `dir`: nothing outside the project directory (and the replacement directories it names) is read.
 * Throws `RegistryError` (one-line message) on the first problem; non-fatal problems
 * (unknown kinds, `lifecycle` on a `process.lua`, …) end up in `registry.warnings`.
 * The directories `replacements` names stand in for hub modules: their definition files (under `src/` when
 * there is one) load after the project's, under their own namespaces, each entry marked `meta.module`, each
 * module's files confined to its directory. Hub modules (`directories.modules`, `.wapp` packs) are not loaded. `overrides` (`-o`) change entries as
 * written, before they are checked; one that names no entry is an error. `env` says which test directories
 * to leave out, as Wippy's loader reads its own environment (`SKIP_*_TESTS`, `SKIP_TEST_DIRS`).
 */
export function loadProject(dir: string, overrides: readonly Override[] = [], options: LoadOptions = {}): Registry {
  const { env = {}, kinds = DEFAULT_KINDS, tolerant = false } = options;
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
  const sources: LoadPath[] = [{ dir: srcDir, files, field: `source directory "${lock.directories.src}"` }];
  for (const r of lock.replacements) {
    // A replacement is the user's own directory standing in for a hub module: it may lie outside the project,
    // and its files are confined to it as the project's are to the project.
    const moduleRoot = path.resolve(root, r.to);
    let moduleFiles: ProjectFiles;
    try {
      moduleFiles = new ProjectFiles(moduleRoot);
      moduleFiles.directory(moduleRoot);
    } catch (err) {
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      const why = `${LOCK_FILE_NAME}: replacement directory "${r.to}" for ${r.from} ${missing ? 'not found' : ioReason(err)}`;
      if (!missing) throw new RegistryError(why, { file: lockPath });
      warnings.push(`${why}, module not loaded`);
      continue;
    }
    const src = path.join(moduleRoot, 'src');
    const dir = fs.existsSync(src) && fs.statSync(src).isDirectory() ? src : moduleRoot;
    sources.push({ dir, files: moduleFiles, field: `replacement directory "${r.to}"`, module: { name: r.from, root: moduleRoot } });
  }

  const entries: Entry[] = [];
  const records: EntryRecord[] = [];
  const definedIn = new Map<string, string>();
  const skippedWhy = new Map<string, string>();
  const overridden = new Set<string>();
  for (const source of sources) {
    for (const file of definitionFilesOf(root, source, lockPath, env)) {
      const site = new Site(root, file, undefined, warnings);
      for (const raw of readDefinitionFile(site, source.files)) {
        const id = `${raw.namespace}:${raw.name}`;
        const es = site.forEntry(id, raw.line);
        const previous = definedIn.get(id);
        if (previous !== undefined) throw es.error(`duplicate id, already defined in ${displayPath(root, previous)}`);
        definedIn.set(id, file);
        // Wippy marks what a module brings with the module's name (module-relative resources use it).
        if (source.module !== undefined && raw.meta.module === undefined) raw.meta = { ...raw.meta, module: source.module.name };
        applyOverrides(raw, overrides, overridden);
        records.push({ id, kind: raw.kind, meta: raw.meta, data: raw.data, file, ...(raw.line !== undefined ? { line: raw.line } : {}) });
        if (!kinds.has(raw.kind)) {
          const data = DATA_KINDS.has(raw.kind);
          const why = es.format(data ? `a ${raw.kind} holds data only` : unknownKind(raw.kind, kinds));
          if (!data) warnings.push(why);
          skippedWhy.set(id, why);
          continue;
        }
        try {
          entries.push(buildEntry(raw, raw.kind as EntryKind | ServiceKind, es, source.files, source.dir, kinds, source.module?.root));
        } catch (err) {
          if (!tolerant || !(err instanceof RegistryError) || err.entry !== id) throw err;
          skippedWhy.set(id, err.message);
        }
      }
    }
  }
  checkAllUsed(overrides, overridden);
  const usable = checkReferences(root, entries, skippedWhy, tolerant);
  kinds.check(usable, root);
  return new Registry(root, usable, warnings, srcDir, records, skippedWhy, kinds);
}

/** Why an entry of an unknown kind was left out: the nearest known kind when it looks like a typo (not a kind of Wippy's), else them all. */
function unknownKind(kind: string, kinds: KindTable): string {
  const hint = WIPPY_KINDS.has(kind) ? '' : didYouMean(kind, kinds.names());
  return hint !== '' ? `unknown kind "${kind}"${hint}, entry skipped` : `unknown kind "${kind}", entry skipped (supported: ${kinds.names().join(', ')})`;
}

/**
 * Kinds Wippy defines for data that nothing runs (`registry.entry`: its api/registry): kept as records for the
 * registry module, without the unknown-kind warning.
 */
const DATA_KINDS: ReadonlySet<string> = new Set(['registry.entry']);

/** A directory of definition files: the project's source directory, or a module's (a lock file replacement). */
interface LoadPath {
  readonly dir: string;
  /** The gate its files are read through. */
  readonly files: ProjectFiles;
  /** How the lock file names it, for errors. */
  readonly field: string;
  /** The module it belongs to (name and root directory), for a replacement. */
  readonly module?: { readonly name: string; readonly root: string };
}

function definitionFilesOf(root: string, source: LoadPath, lockPath: string, env: Readonly<Record<string, string | undefined>>): string[] {
  try {
    source.files.directory(source.dir);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : ioReason(err);
    throw new RegistryError(`${LOCK_FILE_NAME}: ${source.field} ${reason}`, { file: lockPath });
  }
  try {
    return source.files.definitionFiles(source.dir, skippedDirectories(env));
  } catch (err) {
    const at = err instanceof RefusedPath ? err.path : ((err as NodeJS.ErrnoException).path ?? source.dir);
    const what = err instanceof RefusedPath ? '' : 'cannot read directory: ';
    throw new RegistryError(`${displayPath(root, at)}: ${what}${ioReason(err)}`, { file: at });
  }
}
