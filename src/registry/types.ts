/**
 * The typed registry model. Entries are validated and defaulted at load
 * time, so consumers never see raw YAML: durations are milliseconds, references are full
 * `ns:name` ids and `file://` values are already replaced by the file contents.
 */

export const ENTRY_KINDS = [
  'terminal.host',
  'process.host',
  'process.lua',
  'function.lua',
  'library.lua',
  'process.service',
  'env.storage.memory',
  'env.storage.os',
  'env.storage.router',
  'env.storage.file',
  'env.storage.static',
  'env.variable',
] as const;

export type EntryKind = (typeof ENTRY_KINDS)[number];

export type Meta = Record<string, unknown>;

export interface BaseEntry {
  /** `namespace:name`; split at the first `:`. */
  id: string;
  namespace: string;
  name: string;
  kind: EntryKind | ServiceKind;
  /** File-level meta with the entry's own meta merged over it (shallow). */
  meta: Meta;
  /** Absolute path of the definition file. */
  file: string;
  /** The line the entry starts on in it (absent for entries added at run time). */
  line?: number;
}

export interface RestartPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
  backoffFactor: number;
  jitter: number;
  /** 0 means retry forever. */
  maxAttempts: number;
}

export interface Lifecycle {
  autoStart: boolean;
  /** Full ids of the services that must be running first (`requires` + legacy `depends_on`). */
  requires: string[];
  startup: 'required' | 'optional';
  startTimeoutMs: number;
  stopTimeoutMs: number;
  stableThresholdMs: number;
  restart: RestartPolicy;
  /** `security:` the actor the service runs as and its policies (absent: none, the runtime's mode decides). */
  security?: LifecycleSecurity;
}

/** Wippy's security.Config: an actor, and the policies (by id and by group) of its scope. */
export interface LifecycleSecurity {
  readonly actor: { readonly id: string; readonly meta: Readonly<Record<string, unknown>> };
  /** Full ids. */
  readonly policies: readonly string[];
  readonly groups: readonly string[];
}

export interface TerminalHostEntry extends BaseEntry {
  kind: 'terminal.host';
  hideLogs: boolean;
  lifecycle: Lifecycle;
}

export interface ProcessHostEntry extends BaseEntry {
  kind: 'process.host';
  /** Absent means "one per CPU" (Wippy's NumCPU default); the host decides. */
  workers?: number;
  /**
   * wisp's own (src/cluster/spec.md "Placement"): under `wisp run --threads N`, the host's processes run on this
   * many of the node's threads, each spawn on the least loaded of them. Absent: a child runs on its spawner's
   * thread.
   */
  threads?: number;
  queueSize: number;
  localQueueSize: number;
  lifecycle: Lifecycle;
}

export interface LuaCode {
  /**
   * The Lua source as the bytes Lua compiles: a `file://` source exactly as on disk (raw bytes in string
   * literals stay raw), an inline one as UTF-8.
   */
  source: Uint8Array;
  /** Absolute path of the file `source` was read from, for Lua error messages. */
  sourcePath?: string;
  /** Names `require()` may load from the runtime's built-in modules. */
  modules: string[];
  /** `require(alias)` → full id of a `library.lua` entry. */
  imports: Record<string, string>;
}

export interface ProcessLuaEntry extends BaseEntry, LuaCode {
  kind: 'process.lua';
  /** Key of the function in the table the chunk returns. */
  method: string;
}

/** A stateless call: each `funcs.call` runs `method` in a fresh sandboxed environment. */
export interface FunctionLuaEntry extends BaseEntry, LuaCode {
  kind: 'function.lua';
  method: string;
}

export interface LibraryLuaEntry extends BaseEntry, LuaCode {
  kind: 'library.lua';
}

export interface ProcessServiceEntry extends BaseEntry {
  kind: 'process.service';
  /** Full id of the `process.lua` entry to run. */
  process: string;
  /** Full id of the host (`process.host` or `terminal.host`) to run it on. */
  host: string;
  /** Positional arguments for the process's method. */
  input: unknown[];
  lifecycle: Lifecycle;
}

/** An environment storage: memory (read/write, per runtime), os (the process environment, read-only). */
export interface EnvStorageEntry extends BaseEntry {
  kind: 'env.storage.memory' | 'env.storage.os';
}

/** A `.env` file: KEY=VALUE lines, `#` comments; read on every get, rewritten in place on set. */
export interface EnvFileStorageEntry extends BaseEntry {
  kind: 'env.storage.file';
  /** Absolute path (a relative `file_path` is taken from the project directory). */
  filePath: string;
  autoCreate: boolean;
  fileMode: number;
  dirMode: number;
}

/** Fixed values from the entry, read-only. */
export interface EnvStaticStorageEntry extends BaseEntry {
  kind: 'env.storage.static';
  values: Record<string, string>;
}

/** Reads from the first of `storages` that has a name, writes to the first one. */
export interface EnvRouterEntry extends BaseEntry {
  kind: 'env.storage.router';
  /** Full ids of env storages, in order. */
  storages: string[];
}

/** A name `env.get`/`env.set` may use, bound to a storage. */
export interface EnvVariableEntry extends BaseEntry {
  kind: 'env.variable';
  /** The variable's name in its storage (Wippy's `variable`; the entry id when empty). */
  variable: string;
  /** Full id of the env storage. */
  storage: string;
  /** Returned when the storage has no (or an empty) value; '' means none. */
  default: string;
  readonly: boolean;
}

/**
 * The families of kinds that services define (src/registry/kinds/): an HTTP server, a database, a store, a
 * queue, a directory, ... No core kind starts with one of these, so `entry.kind === 'process.lua'` still
 * narrows an Entry to its core type.
 */
export const SERVICE_FAMILIES = ['http', 'db', 'store', 'queue', 'fs', 'exec', 'template', 'security', 'contract', 'metrics', 'cloudstorage', 'config'] as const;
export type ServiceKind = `${(typeof SERVICE_FAMILIES)[number]}.${string}`;

/** A reference from one entry to another, checked once every entry is loaded. */
export interface EntryRef {
  /** The field it was read from, for messages (`meta.server`, `database`). */
  readonly field: string;
  /** The full id it names. */
  readonly id: string;
  /** The kinds it may name (empty: any kind). */
  readonly kinds: readonly string[];
}

/**
 * An entry of a kind a service defines. Its kind's definition (src/registry/kinds/) validates the fields into
 * a subtype of this; the service that runs it (src/services/) reads that subtype.
 */
export interface ServiceEntry extends BaseEntry {
  kind: ServiceKind;
  /** For kinds the runtime starts and stops, as Wippy's services (`lifecycle:`); absent for configuration kinds. */
  lifecycle?: Lifecycle;
  /** The entries it names; a running one that is a service starts after them. */
  refs: readonly EntryRef[];
}

export type Entry =
  | ServiceEntry
  | EnvStorageEntry
  | EnvFileStorageEntry
  | EnvStaticStorageEntry
  | EnvRouterEntry
  | EnvVariableEntry
  | TerminalHostEntry
  | ProcessHostEntry
  | ProcessLuaEntry
  | FunctionLuaEntry
  | LibraryLuaEntry
  | ProcessServiceEntry;

/** Entries that run Lua: spawned as processes or called as functions. */
export type RunnableLuaEntry = ProcessLuaEntry | FunctionLuaEntry;

/** Entries that hold Lua source: compiled at boot, importable, compile-checked when a change adds them. */
export type LuaEntry = RunnableLuaEntry | LibraryLuaEntry;
export const LUA_KINDS: readonly EntryKind[] = ['library.lua', 'function.lua', 'process.lua'];

export function isLuaEntry(entry: Entry): entry is LuaEntry {
  return (LUA_KINDS as readonly string[]).includes(entry.kind);
}

/**
 * An entry as the registry module shows it, of any kind (unknown kinds too): `data` is every field but
 * `name`, `kind` and `meta`, as written.
 */
export interface EntryRecord {
  readonly id: string;
  readonly kind: string;
  readonly meta: Meta;
  readonly data: Record<string, unknown>;
  /** The definition file it was loaded from (absent for entries added at run time). */
  readonly file?: string;
  /** The line the entry starts on in that file. */
  readonly line?: number;
}

export type HostEntry = TerminalHostEntry | ProcessHostEntry;

/** A service entry of a kind the runtime starts and stops. */
export type LifecycleServiceEntry = ServiceEntry & { lifecycle: Lifecycle };

/** Entries the supervisor starts and stops: they carry a lifecycle. */
export type ServiceLikeEntry = HostEntry | ProcessServiceEntry | LifecycleServiceEntry;

export type EntryOfKind<K extends EntryKind> = Extract<Entry, { kind: K }>;

export const HOST_KINDS: readonly EntryKind[] = ['terminal.host', 'process.host'];
export const SERVICE_KINDS: readonly EntryKind[] = ['terminal.host', 'process.host', 'process.service'];

export function isEntryKind(kind: string): kind is EntryKind {
  return (ENTRY_KINDS as readonly string[]).includes(kind);
}

/** Whether `kind` names a service family's kind (defined or not: `http.nonsense` is a service kind too). */
export function isServiceKind(kind: string): kind is ServiceKind {
  const dot = kind.indexOf('.');
  return dot > 0 && dot < kind.length - 1 && (SERVICE_FAMILIES as readonly string[]).includes(kind.slice(0, dot));
}

export function isServiceEntry(entry: Entry): entry is ServiceEntry {
  return isServiceKind(entry.kind);
}

export function isHost(entry: Entry): entry is HostEntry {
  return (HOST_KINDS as readonly string[]).includes(entry.kind);
}

export function isServiceLike(entry: Entry): entry is ServiceLikeEntry {
  return (SERVICE_KINDS as readonly string[]).includes(entry.kind) || (isServiceEntry(entry) && entry.lifecycle !== undefined);
}

/** Qualifies a bare name with a namespace; ids are split at the first `:`. */
export function qualify(ref: string, namespace: string): string {
  return ref.includes(':') ? ref : `${namespace}:${ref}`;
}
