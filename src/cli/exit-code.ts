/** The terminal process's outcome as the CLI's exit code and output (spec §1.3). */
import { LuaFloat, toPlain } from '../kernel/value';
import type { Outcome } from '../kernel/message';

export interface ExitReport {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function exitReport(outcome: Outcome): ExitReport {
  if (outcome.error !== null) return { code: 1, stdout: '', stderr: `${outcome.error.message}\n` };
  const v = outcome.value;
  if (typeof v === 'string' || v instanceof Uint8Array) return { code: 0, stdout: `${toPlain(v) as string}\n`, stderr: '' };
  const n = typeof v === 'number' ? v : v instanceof LuaFloat ? v.value : null;
  if (n !== null) return { code: Number.isFinite(n) ? Math.trunc(n) & 0xff : 1, stdout: '', stderr: '' };
  if (v === false) return { code: 1, stdout: '', stderr: '' };
  return { code: 0, stdout: '', stderr: '' };
}
