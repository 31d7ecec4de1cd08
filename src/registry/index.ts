/**
 * The registry layer: `wippy.lock` + definition files → validated, typed entries.
 *
 * Choices made where the spec is silent:
 * - A bare number given as a duration is nanoseconds, as Wippy's Go decoder reads it; a
 *   non-zero number under 1ms draws a warning, since `start_timeout: 10` is almost
 *   certainly a mistake. Negative durations are rejected.
 * - Lifecycle defaults fill only absent fields; an explicit `0` (say `jitter: 0`) is kept.
 * - Nothing outside the project directory is read (symbolic links resolved): `directories.src`
 *   must be inside it, links out of it are refused, and so are files that are not regular files
 *   (FIFOs, devices). Links to directories inside the project are followed, each directory once.
 * - `file://rel` is relative to the definition file and may reach anywhere in the project (Wippy:
 *   only the source directory); `file:///p` is `p` in the source directory, as in Wippy.
 * - YAML aliases may expand a document by at most 100 000 nodes and to 1000 levels (yaml.ts).
 * - Namespaces and names cannot hold `:`, `/`, blanks; namespaces no empty dot parts (names.ts).
 * - `lifecycle.requires` may only name hosts and services, and `imports` only
 *   `library.lua` entries; anything else is a load error.
 * - Unknown `lifecycle`/`restart` keys are warnings (a typo would silently keep a service
 *   down); other unknown entry fields are ignored, as in Wippy.
 * - Files are loaded in `fs.WalkDir` order; on a duplicate id the later file is reported.
 * - Directories are left out as Wippy's loader leaves them out: node_modules, and test directories its
 *   environment names (`SKIP_TEMPORAL_TESTS`, ..., `SKIP_TEST_DIRS`; project-files.ts).
 */
export * from './types';
export { RegistryError, displayPath } from './errors';
export { Registry } from './registry';
export { withSourceFiles } from './locations';
export { parseOverride, overrideValue, type Override } from './overrides';
export { MAX_CHANGES, MAX_ENTRIES, MAX_VERSIONS, RegistryStore, UnsupportedChange, delta, splitId } from './store';
export type { ChangeOp, ChangeKind, Version, EntryCheck, StoreChange, StoreLeader } from './store';
export { loadProject, LOCK_FILE_NAME, type LoadOptions } from './loader';
export { LIFECYCLE_DEFAULTS, backoffDelay } from './lifecycle';
export { HOST_DEFAULTS } from './entries';
export { CONTROL_HOST } from './references';
export { startLevels, stopLevels, dependenciesOf } from './dependencies';
export { KindTable, KIND_DEFINITIONS, DEFAULT_KINDS } from './kinds';
export { kindDefinition, serviceBase, type KindDefinition, type KindContext, type ServiceBase } from './kind';
export { Fields } from './fields';
export {
  readLockFile,
  writeLockFile,
  renderLockFile,
  DEFAULT_SRC_DIR,
  DEFAULT_MODULES_DIR,
} from './lockfile';
export type { LockFile, LockDirectoryOptions } from './lockfile';
export { ProjectFiles, Refused, ioReason, readRegularFile } from './project-files';
export type { TemplateSetEntry, TemplateJetEntry, TemplateDelimiters } from './kinds/template';
export type { ContractDefinitionEntry, ContractBindingEntry, ContractMethod, ContractSchema, BoundContract } from './kinds/contract';
export { bindingProblem, defaultBindingOf } from './kinds/contract';
export type { SecurityPolicyEntry, TokenStoreEntry } from './kinds/security';
