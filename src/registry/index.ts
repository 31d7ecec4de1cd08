/**
 * The registry layer: `wippy.lock` + definition files → validated, typed entries.
 *
 * Choices made where the spec is silent:
 * - A bare number given as a duration is nanoseconds, as Wippy's Go decoder reads it; a
 *   non-zero number under 1ms draws a warning, since `start_timeout: 10` is almost
 *   certainly a mistake. Negative durations are rejected.
 * - Lifecycle defaults fill only absent fields; an explicit `0` (say `jitter: 0`) is kept.
 * - `file:///abs` is an absolute host path; relative `file://` paths must stay inside the
 *   project directory (or the source directory, if the lock file puts it elsewhere).
 * - `lifecycle.requires` may only name hosts and services, and `imports` only
 *   `library.lua` entries; anything else is a load error.
 * - Unknown `lifecycle`/`restart` keys are warnings (a typo would silently keep a service
 *   down); other unknown entry fields are ignored, as in Wippy.
 * - Files are loaded in `fs.WalkDir` order; on a duplicate id the later file is reported.
 */
export * from './types';
export { RegistryError, displayPath } from './errors';
export { Registry } from './registry';
export { loadProject, LOCK_FILE_NAME } from './loader';
export { LIFECYCLE_DEFAULTS } from './lifecycle';
export { HOST_DEFAULTS } from './entries';
export { CONTROL_HOST } from './references';
export { startLevels, stopLevels, dependenciesOf } from './dependencies';
export {
  readLockFile,
  writeLockFile,
  renderLockFile,
  DEFAULT_SRC_DIR,
  DEFAULT_MODULES_DIR,
} from './lockfile';
export type { LockFile, LockDirectoryOptions } from './lockfile';
