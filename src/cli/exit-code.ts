/** The terminal process's outcome as the CLI's exit code and output. */
import { LuaFloat } from '../kernel/value';
import type { Outcome } from '../kernel/message';
import { valueToPlain } from '../engine/plain';

export interface ExitReport {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ReportOptions {
  /** How error text is shown (the CLI names source files: `src/cli.lua:3 (app:cli)`). */
  readonly shown?: (text: string) => string;
  /** Add the Lua traceback after an error's message (-v, --very-verbose). */
  readonly traceback?: boolean;
}

export function exitReport(outcome: Outcome, options: ReportOptions = {}): ExitReport {
  const shown = options.shown ?? ((text: string) => text);
  if (outcome.error !== null) {
    const frames = options.traceback ? outcome.error.frames : null;
    return { code: 1, stdout: '', stderr: `${shown(outcome.error.message)}\n${frames === null ? '' : `${shown(frames)}\n`}` };
  }
  const v = outcome.value;
  if (typeof v === 'string' || v instanceof Uint8Array) return { code: 0, stdout: `${valueToPlain(v) as string}\n`, stderr: '' };
  const n = typeof v === 'number' ? v : v instanceof LuaFloat ? v.value : null;
  if (n !== null) return { code: Number.isFinite(n) ? Math.trunc(n) & 0xff : 1, stdout: '', stderr: '' };
  if (v === false) return { code: 1, stdout: '', stderr: '' };
  return { code: 0, stdout: '', stderr: '' };
}
