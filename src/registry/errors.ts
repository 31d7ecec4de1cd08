import * as path from 'path';

/**
 * A user-caused registry problem. `message` is a single line meant to be shown as is
 * (`src/_index.yaml: entry app:relay: missing required field "source"`), so callers
 * print `err.message` and never the stack.
 */
export class RegistryError extends Error {
  /** Absolute path of the file at fault, when there is one. */
  readonly file?: string;
  /** Entry id (`ns:name`) at fault, when known. */
  readonly entry?: string;
  /** 1-based line: of a syntax error, or of the entry at fault. */
  readonly line?: number;

  constructor(message: string, where: { file?: string; entry?: string; line?: number } = {}) {
    super(message);
    this.name = 'RegistryError';
    if (where.file !== undefined) this.file = where.file;
    if (where.entry !== undefined) this.entry = where.entry;
    if (where.line !== undefined) this.line = where.line;
  }
}

/** Path as shown to users: relative to the project dir, `/`-separated; absolute if outside it. */
export function displayPath(root: string, file: string): string {
  const rel = path.relative(root, file);
  if (rel === '' || rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) return file;
  return rel.split(path.sep).join('/');
}

/** Short human description of a YAML value's type, for "must be X, got Y" messages. */
export function describe(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'string') return `string ${JSON.stringify(truncate(value))}`;
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${String(value)}`;
  if (value instanceof Date) return 'timestamp';
  if (typeof value === 'object') return 'mapping';
  return typeof value;
}

function truncate(s: string): string {
  const oneLine = s.replace(/\r?\n/g, '\\n');
  return oneLine.length > 40 ? `${oneLine.slice(0, 37)}...` : oneLine;
}

export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/**
 * Where a message is about: the file and, once known, the entry. Builds messages and
 * errors in the one format so every layer reports problems the same way.
 */
export class Site {
  constructor(
    readonly root: string,
    readonly file: string,
    readonly entry?: string,
    private readonly warningSink?: string[],
    /** The line the entry starts on, named when a message gives no line of its own. */
    readonly line?: number,
  ) {}

  forEntry(entry: string, line?: number): Site {
    return new Site(this.root, this.file, entry, this.warningSink, line);
  }

  format(msg: string, line: number | undefined = this.line): string {
    const where = displayPath(this.root, this.file) + (line !== undefined ? `:${line}` : '');
    return this.entry !== undefined ? `${where}: entry ${this.entry}: ${msg}` : `${where}: ${msg}`;
  }

  error(msg: string, line: number | undefined = this.line): RegistryError {
    return new RegistryError(this.format(msg, line), { file: this.file, entry: this.entry, line });
  }

  warn(msg: string): void {
    this.warningSink?.push(this.format(msg));
  }
}
