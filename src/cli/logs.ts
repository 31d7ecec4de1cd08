/**
 * Log output chosen by the CLI flags and `.wippy.yaml`, in Wippy's formats: development lines on
 * stderr by default; with -c, console lines on stdout (seconds since start, coloured level, component name);
 * `logger.encoding: json` gives JSON lines on stdout. -v and --very-verbose mean debug level, -s nothing.
 * Under -x (or a command name) logs are quiet unless asked for: only what explains a failure reaches stderr.
 */
import chalk from 'chalk';
import type { LogLevel, LogRecord, LogSink } from '../api/logging';
import { SILENT } from '../modules/logger';
import { ErrorValue } from '../kernel/value';
import { printable } from '../util/printable';

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** chalk's detection does not read NO_COLOR (https://no-color.org): any non-empty value turns colour off. */
export const paint = new chalk.Instance({ level: process.env.NO_COLOR ? 0 : chalk.level });

const LEVEL_COLOUR: Record<LogLevel, chalk.Chalk> = {
  debug: paint.cyan,
  info: paint.green,
  warn: paint.yellow,
  error: paint.red,
};
const NAME_COLOURS: chalk.Chalk[] = [
  paint.blue, paint.magenta, paint.cyan, paint.yellow, paint.green, paint.red, paint.white,
  paint.blueBright, paint.magentaBright, paint.cyanBright, paint.yellowBright, paint.greenBright, paint.redBright,
];

export interface LogFlags {
  verbose?: boolean;
  veryVerbose?: boolean;
  console?: boolean;
  silent?: boolean;
}

/** The `logger` section of `.wippy.yaml` that wisp honours. */
export interface LoggerConfig {
  readonly level?: LogLevel;
  readonly encoding?: 'console' | 'json';
}

/**
 * The fields as one line of JSON with a space after each `:` and `,` (zap's console form). Strings keep their
 * contents: JSON escapes every newline inside a string, so the only raw newlines of the indented form are
 * between tokens, and only those are folded.
 */
export function fieldsText(fields: Readonly<Record<string, unknown>>): string {
  if (Object.keys(fields).length === 0) return '';
  const indented = JSON.stringify(fields, (_k, v: unknown) => (v instanceof Error || v instanceof ErrorValue ? v.message : v), 1);
  let out = '';
  for (const raw of indented.split('\n')) {
    const line = raw.trimStart();
    out += out.endsWith(',') ? ` ${line}` : line;
  }
  return out;
}

/** Seconds since `start`, right-aligned in six characters, as Wippy's console encoder writes them. */
export function elapsed(start: number, now: number): string {
  return `${((now - start) / 1000).toFixed(2).padStart(6)}s`;
}

function nameColour(name: string): chalk.Chalk {
  let hash = 0;
  for (const ch of name) hash = (hash * 31 + ch.codePointAt(0)!) | 0;
  return NAME_COLOURS[Math.abs(hash) % NAME_COLOURS.length];
}

// Messages, logger names and fields come from processes: printable() escapes their control characters (a
// message keeps its newlines and tabs), before the line gets its own colours.

export function consoleLine(r: LogRecord, since: string): string {
  const name = r.logger === null ? '' : `${nameColour(r.logger)(printable(r.logger).padEnd(12))}  `;
  const fields = printable(fieldsText(r.fields));
  const level = LEVEL_COLOUR[r.level](r.level.toUpperCase().padEnd(5));
  return `${paint.dim(since)}  ${level}  ${name}${printable(r.message, true)}${fields === '' ? '' : `  ${fields}`}\n`;
}

export function developmentLine(r: LogRecord, now = new Date()): string {
  const parts = [now.toISOString(), r.level.toUpperCase(), ...(r.logger === null ? [] : [printable(r.logger)]), printable(r.message, true)];
  const fields = printable(fieldsText(r.fields));
  if (fields !== '') parts.push(fields);
  return `${parts.join('\t')}\n`;
}

/** JSON escapes C0 controls itself; printable() adds DEL, C1 and the reordering marks (still valid JSON). */
export function jsonLine(r: LogRecord, now = new Date()): string {
  const head = { level: r.level, ts: now.toISOString(), ...(r.logger === null ? {} : { logger: r.logger }), msg: r.message };
  return `${printable(JSON.stringify({ ...head, ...r.fields }, (_k, v: unknown) => (v instanceof ErrorValue ? v.message : v)))}\n`;
}

/**
 * What a quiet run (-x, a command name) still shows on stderr: the registry's and config's warnings and the
 * ERROR lines of services failing (or not started), never the application's logs.
 */
function explainsFailure(r: LogRecord): boolean {
  if (r.logger === 'registry' || r.logger === 'config') return RANK[r.level] >= RANK.warn;
  return (r.logger === 'supervisor' || r.logger === 'runtime') && r.level === 'error' && 'service' in r.fields;
}

/** The sink for a set of flags; `quietByDefault` is true under -x and command names. */
export function logSink(flags: LogFlags, quietByDefault: boolean, config: LoggerConfig = {}, startedAt = Date.now()): LogSink {
  if (flags.silent) return SILENT;
  const debug = flags.verbose === true || flags.veryVerbose === true;
  if (quietByDefault && !flags.console && !debug) {
    return {
      enabled: (level) => RANK[level] >= RANK.warn,
      write: (record) => {
        if (explainsFailure(record)) process.stderr.write(consoleLine(record, elapsed(startedAt, Date.now())));
      },
    };
  }
  const min = debug ? RANK.debug : RANK[config.level ?? 'info'];
  const encoding = flags.console ? 'console' : config.encoding;
  const out = encoding === undefined ? process.stderr : process.stdout;
  const format =
    encoding === 'console'
      ? (r: LogRecord) => consoleLine(r, elapsed(startedAt, Date.now()))
      : encoding === 'json'
        ? (r: LogRecord) => jsonLine(r)
        : (r: LogRecord) => developmentLine(r);
  return {
    enabled: (level) => RANK[level] >= min,
    write: (record) => {
      if (RANK[record.level] >= min) out.write(format(record));
    },
  };
}
