/**
 * The embedding API's public shapes: what `import ... from 'wisp-lua'` sees. Only plain data, these interfaces
 * and LuaError cross it; the kernel's, engine's and registry's own types stay inside.
 */
import type { LuaData, LuaError } from './values';
import type { WispModule } from './module';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** One log record: the runtime's own, a Lua process's `logger` call or its `print`. */
export interface LogRecord {
  readonly level: LogLevel;
  readonly message: string;
  /** The dotted name of a `logger:named(...)` logger or a runtime part ("runtime", "service"), or null. */
  readonly logger: string | null;
  readonly fields: Readonly<Record<string, unknown>>;
}

/** An event on the node's event bus (Wippy's `events` module: system, kind, path, data). */
export interface BusEvent {
  readonly system: string;
  readonly kind: string;
  readonly path: string;
  readonly data: LuaData;
}

/** A message a JavaScript mailbox received. */
export interface ReceivedMessage {
  /** The sender's PID, or "" when it has none. */
  readonly from: string;
  readonly topic: string;
  /** The first payload (what Lua's `msg:payload():data()` reads), null when none was sent. */
  readonly data: LuaData;
  /** Every payload the sender passed. */
  readonly payloads: readonly LuaData[];
}

/** A process event: a monitored process ended ("pid.exit"), a linked one failed ("pid.link.down"), a CANCEL ("pid.cancel"). */
export interface ProcessEvent {
  readonly kind: 'pid.exit' | 'pid.link.down' | 'pid.cancel' | (string & Record<never, never>);
  /** The PID the event is about (the process that ended, the one that cancelled). */
  readonly from: string;
  /** An exit's result value (EXIT, LINK_DOWN). */
  readonly result?: LuaData;
  /** An exit's error (EXIT, LINK_DOWN of a failed process). */
  readonly error?: LuaError;
  /** A CANCEL's reason. */
  readonly reason?: string;
}

/**
 * A process driven by JavaScript: a real PID that Lua processes send to (`process.send(pid, topic, data)`),
 * look up by name, monitor and link. `for await (const msg of mailbox)` reads its messages until it is closed.
 */
export interface Mailbox extends AsyncIterable<ReceivedMessage> {
  /** Its PID (`{js|0x00007}`): Lua replies to it with `process.send(msg:from(), ...)`. */
  readonly pid: string;
  /** False once closed, or terminated by the runtime (shutdown, `process.terminate`). */
  readonly alive: boolean;
  /** The next message; rejects with a LuaError (kind "Canceled") once the mailbox is closed and drained. */
  receive(): Promise<ReceivedMessage>;
  /** The next process event, or null once the mailbox is closed. */
  nextEvent(): Promise<ProcessEvent | null>;
  /** Its process events as an async iterable (EXIT of monitored processes, LINK_DOWN of linked ones, CANCEL). */
  events(): AsyncIterable<ProcessEvent>;
  /** Sends to a PID or a registered name, from this PID; throws a LuaError when it cannot be delivered. */
  send(dest: string, topic: string, ...payloads: unknown[]): void;
  /** Takes a local name; throws a LuaError when it is taken. */
  register(name: string): void;
  /** `dest`'s exit arrives in `events()`. */
  monitor(dest: string): void;
  /** `dest`'s failure arrives in `events()` as "pid.link.down" (a mailbox traps its links). */
  link(dest: string): void;
  /** Ends the process normally: names released, monitors told; what was received can still be read. */
  close(): void;
}

/** An entry given in code: the fields a `_index.yaml` entry has (`source` holds the Lua text itself). */
export interface EntryDefinition {
  readonly name: string;
  readonly kind: string;
  readonly [field: string]: unknown;
}

/** A namespace of entries given in code, as one `_index.yaml` would declare them. */
export interface NamespaceDefinition {
  readonly namespace: string;
  readonly entries: readonly EntryDefinition[];
}

export interface RuntimeOptions {
  /** The lowest level of log records reported (default "info"). */
  readonly logLevel?: LogLevel;
  /**
   * Where records go when no `onLog` listener is attached: "stderr" (one line each, the default) or "silent".
   */
  readonly logsWithoutListener?: 'stderr' | 'silent';
  /** Lua modules written in TypeScript (`defineModule`), `require`d by entries that list them in `modules:`. */
  readonly modules?: readonly WispModule[];
  /** `-o`-style field overrides, `ns:entry:field=value` (project directories only). */
  readonly overrides?: readonly string[];
  /** Unread messages a process (a mailbox too) may hold before sends to it fail (default 100,000). */
  readonly mailboxLimit?: number;
  /** The environment the registry loader reads (`SKIP_*_TESTS`); default: none. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface SpawnOptions {
  /** The host to run on (default: the entry's `meta.default_host`, else the project's only `process.host`). */
  readonly host?: string;
  /** Arguments passed to the entry's method. */
  readonly args?: readonly unknown[];
  /** A local name the process takes before it runs. */
  readonly name?: string;
  /** A mailbox that gets the process's EXIT in its `events()`. */
  readonly monitor?: Mailbox;
}

/** The outcome of a process: its return value, or the error it failed with. */
export type ProcessOutcome = { readonly ok: true; readonly value: LuaData } | { readonly ok: false; readonly error: LuaError };

/** A running (or ready to boot) wisp node with its hosts, services and processes. */
export interface WispRuntime {
  /** The project directory (for entries given in code, a temporary one removed at shutdown). */
  readonly root: string;
  /** Warnings the registry loader reported (unknown kinds, ...). */
  readonly warnings: readonly string[];
  /** Starts every `auto_start` host and service, dependencies first; resolves when they have started (again: the same promise). */
  boot(): Promise<void>;
  /** Stops services (CANCEL, then their stop_timeout), then every remaining process; closes every mailbox. */
  shutdown(): Promise<void>;
  /** Spawns a `process.lua` entry; returns its PID. Throws a LuaError when it cannot start. */
  spawn(entry: string, options?: SpawnOptions): string;
  /**
   * Resolves with how the process ended. A process spawned by `spawn()` keeps its outcome until the first
   * `wait()` (the latest 10,000); any other PID that is not running gives a "not found" error at once.
   */
  wait(pid: string): Promise<ProcessOutcome>;
  /** The PID holding a registered name, or null. */
  lookup(name: string): string | null;
  /** Whether a PID is running. */
  isAlive(pid: string): boolean;
  /** Sends from no PID; throws a LuaError when it cannot be delivered. */
  send(dest: string, topic: string, ...payloads: unknown[]): void;
  /** Delivers a CANCEL event to a process (a graceful stop request). */
  cancel(dest: string, reason?: string): void;
  /** Kills a process. */
  terminate(dest: string): void;
  /** A new JavaScript process with its mailbox, optionally under a registered name. */
  mailbox(name?: string): Mailbox;
  /** Calls a `function.lua` entry with `args`; resolves with its result, rejects with a LuaError. */
  call(entry: string, ...args: unknown[]): Promise<LuaData>;
  /** Calls `listener` with every log record at or above the log level; returns the unsubscribe function. */
  onLog(listener: (record: LogRecord) => void): () => void;
  /**
   * Calls `listener` with every bus event whose system and kind match (`*` or "" for all, a trailing `*` for
   * a prefix); returns the unsubscribe function.
   */
  onEvent(system: string, kind: string, listener: (event: BusEvent) => void): () => void;
  /** Publishes an event on the bus, as Lua's `events.send` would. */
  publish(event: { readonly system: string; readonly kind: string; readonly path?: string; readonly data?: unknown }): void;
}
