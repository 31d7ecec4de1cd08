/**
 * What a PID looks like in the tests' runs. The CLI tests run `wisp run` as a child that inherits `WISP_THREADS`;
 * with threads, a PID carries its thread's node (`{t2@app:processes|0x00003}`, in a cluster `{b.t2@...}`, thread 1
 * there being the node itself, `{b@...}`); on one thread a PID is exactly as it always was.
 */

/**
 * The thread count the tests run with: `WISP_THREADS` (default 1), as `wisp run` reads it. A test's `process.env`
 * is jest's copy: a child sees what a setup file set there only when spawned with `env: process.env`.
 */
export const TEST_THREADS = Number(process.env.WISP_THREADS ?? '1');

export interface PidParts {
  /** The PID's number as a pattern (default: any, `0x` and at least five hex digits). */
  uniq?: string;
  /** The thread it must be on (default: any thread, when the tests run with threads). */
  thread?: number;
  /** The cluster node it runs on (default: none, a standalone node). */
  node?: string;
}

const escaped = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function nodePart({ thread, node }: PidParts): string {
  const threadName = thread === undefined ? 't\\d+' : `t${thread}`;
  if (node === undefined) return TEST_THREADS > 1 ? `${threadName}@` : '';
  if (TEST_THREADS === 1 || thread === 1) return `${escaped(node)}@`;
  return thread === undefined ? `${escaped(node)}(?:\\.t\\d+)?@` : `${escaped(node)}\\.${threadName}@`;
}

/**
 * A pattern for a PID of `host`: on one thread exactly `{host|0x...}`; with threads the node part is required.
 * Use `.source` to put it into a larger pattern.
 */
export function pidPattern(host: string, parts: PidParts = {}): RegExp {
  return new RegExp(`\\{${nodePart(parts)}${escaped(host)}\\|${parts.uniq ?? '0x[0-9a-f]{5,}'}\\}`);
}

/** The exact text of the PID numbered `uniq` on `host` of thread `thread` (standalone): `{t1@app:terminal|0x00001}`, on one thread `{app:terminal|0x00001}`. */
export function pidText(host: string, uniq: string, thread: number): string {
  return `{${TEST_THREADS > 1 ? `t${thread}@` : ''}${host}|${uniq}}`;
}

/** This process's environment without `WISP_THREADS`: a child `wisp run` in it runs on one thread, as by default. */
export function oneThreadEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.WISP_THREADS;
  return env;
}
