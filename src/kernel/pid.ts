/**
 * PIDs: `{host|0x00001}`, or `{node@host|0x00001}` in a cluster. One counter per node, shared by
 * every host and by internal PIDs (supervisors, exec watchers). Processes see PIDs as plain strings.
 */

/** The host of supervisors and other runtime-owned PIDs (`{node:control|0x…}`); no service may run on it. */
export const CONTROL_HOST = 'node:control';
/** The host `funcs` runs `function.lua` calls on (registry ids always hold a colon, so it cannot clash). */
export const FUNCTION_HOST = 'functions';

export interface Pid {
  /** Null on a standalone node: the node part is omitted. */
  readonly node: string | null;
  readonly host: string;
  readonly uniq: number;
}

/** At least 5 hex digits, widening to 6, 8 and 16 as the counter grows (Wippy's uniqid format). */
export function uniqHex(uniq: number): string {
  const hex = uniq.toString(16);
  const width = uniq <= 0xfffff ? 5 : uniq <= 0xffffff ? 6 : uniq <= 0xffffffff ? 8 : 16;
  return `0x${hex.padStart(width, '0')}`;
}

export function formatPid(pid: Pid): string {
  return `{${pid.node === null ? '' : `${pid.node}@`}${pid.host}|${uniqHex(pid.uniq)}}`;
}

/** Parses a PID string; null when it is not one (then it may be a registered name). */
export function parsePid(s: string): Pid | null {
  if (s.length < 5 || s[0] !== '{' || s[s.length - 1] !== '}') return null;
  const body = s.slice(1, -1);
  const bar = body.indexOf('|');
  if (bar < 0) return null;
  const where = body.slice(0, bar);
  const uniqText = body.slice(bar + 1).split('|')[0];
  if (!/^0x[0-9a-fA-F]+$/.test(uniqText)) return null;
  const at = where.indexOf('@');
  const node = at < 0 ? null : where.slice(0, at);
  const host = at < 0 ? where : where.slice(at + 1);
  if (host === '') return null;
  return { node, host, uniq: parseInt(uniqText.slice(2), 16) };
}

export class PidAllocator {
  private next: number;
  private take: (() => number) | null = null;

  /** `first` is above every PID of a cluster node's earlier incarnations, so those stay dead. */
  constructor(readonly node: string | null, first = 1) {
    this.next = first;
  }

  /**
   * Numbers from now on come from `take`: a counter in memory shared by the threads of one node
   * (src/cli/threads.ts), so that another thread can number a process it starts on this one.
   */
  drawFrom(take: () => number): void {
    this.take = take;
  }

  allocate(host: string): Pid {
    return { node: this.node, host, uniq: this.take === null ? this.next++ : this.take() };
  }
}
