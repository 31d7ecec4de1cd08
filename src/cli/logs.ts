/**
 * Log output chosen by the CLI flags (spec §2.1): development lines on stderr by default, colourful console
 * lines on stdout with -c, debug level with -v, nothing with -s (and nothing under -x unless asked).
 */
import chalk from 'chalk';
import type { LogLevel, LogRecord, LogSink } from '../modules/logger';
import { SILENT } from '../modules/logger';

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
const PAINT: Record<LogLevel, (s: string) => string> = {
  debug: chalk.magenta,
  info: chalk.blue,
  warn: chalk.yellow,
  error: chalk.red,
};

export interface LogFlags {
  verbose?: boolean;
  console?: boolean;
  silent?: boolean;
}

function fieldsText(fields: Readonly<Record<string, unknown>>, spaced: boolean): string {
  if (Object.keys(fields).length === 0) return '';
  const json = JSON.stringify(fields, (_k, v: unknown) => (v instanceof Error ? v.message : v));
  return spaced ? json.replace(/","/g, '", "').replace(/":/g, '": ') : json;
}

export function consoleLine(r: LogRecord): string {
  const name = r.logger === null ? '' : `${chalk.dim(r.logger)}  `;
  const fields = fieldsText(r.fields, true);
  return `${PAINT[r.level](r.level.toUpperCase().padEnd(5))} ${name}${r.message}${fields === '' ? '' : `  ${chalk.dim(fields)}`}\n`;
}

export function developmentLine(r: LogRecord, now = new Date()): string {
  const parts = [now.toISOString(), r.level.toUpperCase(), ...(r.logger === null ? [] : [r.logger]), r.message];
  const fields = fieldsText(r.fields, false);
  if (fields !== '') parts.push(fields);
  return `${parts.join('\t')}\n`;
}

/** The sink for a set of flags; `quietByDefault` is true under -x and command names. */
export function logSink(flags: LogFlags, quietByDefault: boolean): LogSink {
  if (flags.silent || (quietByDefault && !flags.console && !flags.verbose)) return SILENT;
  const min = flags.verbose ? RANK.debug : RANK.info;
  const out = flags.console ? process.stdout : process.stderr;
  const format = flags.console ? consoleLine : (r: LogRecord) => developmentLine(r);
  return {
    enabled: (level) => RANK[level] >= min,
    write: (record) => {
      if (RANK[record.level] >= min) out.write(format(record));
    },
  };
}
