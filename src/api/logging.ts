/** Where the runtime's and the processes' log records go (console, pretty console, nowhere): chosen by the CLI or the embedder. */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogRecord {
  readonly level: LogLevel;
  readonly message: string;
  /** The dotted name of a `logger:named(...)` logger, or null. */
  readonly logger: string | null;
  readonly fields: Readonly<Record<string, unknown>>;
}

/** Where log records go (console, pretty console, nowhere); chosen by the CLI flags. */
export interface LogSink {
  enabled(level: LogLevel): boolean;
  write(record: LogRecord): void;
  /** A process's `print()` that `enabled('info')` kept out (PID of the process, when it has one): lets a quiet sink say where print went. */
  hiddenPrint?(pid: string | null): void;
}


/** One component's log: a record at `level` (a component writes under its own logger name). */
export type Log = (level: LogLevel, message: string, fields: Record<string, unknown>) => void;
