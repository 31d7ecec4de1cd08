/**
 * Host processes as Wippy's native executor runs them: the command string split as its parseCommand splits
 * it (spaces, single and double quotes; no shell in between), the executable found on the runtime's PATH,
 * and an environment holding only what the executor and the call give (no inherited variables).
 *
 * Each process leads a process group of its own, and the group goes with it: when the process exits, or is
 * killed, or the runtime ends, whatever it forked and left behind is killed too (SIGKILL to the group), so
 * nothing it started outlives it.
 */
import { spawn, type ChildProcess } from 'child_process';
import { PassThrough } from 'stream';
import { accessSync, constants, statSync } from 'fs';
import { delimiter, join } from 'path';
import { ReadableByteStream } from './byte-stream';

/** A command an executor's whitelist does not allow. */
export class ExecRefused extends Error {}

/** Splits a command string into the executable and its arguments, with Wippy's quoting rules. */
export function parseCommand(cmd: string): string[] {
  if (cmd === '') return [''];
  const text = cmd.trim();
  if (text === '') return [];
  if (text === '""' || text === "''") return [''];
  const parts: string[] = [];
  let current = '';
  let quote: string | null = null;
  for (const c of text) {
    if (c === '"' || c === "'") {
      if (quote === c) {
        quote = null;
        if (current === '') parts.push('');
      } else if (quote === null) quote = c;
      else current += c;
    } else if (c === ' ' && quote === null) {
      if (current !== '') parts.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  if (quote !== null) {
    // An unbalanced quote is kept as text at the start of the last part.
    parts.push(current === '' ? quote : quote + current);
    return parts;
  }
  if (current !== '') parts.push(current);
  return parts;
}

/** Go's exec.LookPath on the runtime's own PATH: a name with a slash is used as it is. */
export function lookPath(name: string): string {
  if (name.includes('/')) return name;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      if (statSync(candidate).isFile()) {
        accessSync(candidate, constants.X_OK);
        return candidate;
      }
    } catch {
      // not here
    }
  }
  throw new Error(`exec: "${name}": executable file not found in $PATH`);
}

export interface ProcessOptions {
  readonly workDir: string;
  readonly env: Readonly<Record<string, string>>;
  /** Holds the process while it runs (its executor's set, so the executor can kill what it started). */
  readonly running?: Set<NativeProcess>;
}

/** How long a group told to stop (SIGTERM) has before it is killed. */
export const TERM_GRACE_MS = 1000;

const live = new Set<NativeProcess>();
let exitHookInstalled = false;

/** Kills every live group: the runtime is going away and leaves nothing behind. */
export function killAllProcesses(): void {
  for (const p of live) p.killGroup('SIGKILL');
}

export type ExitStatus = { readonly code: number } | { readonly error: Error };

export class NativeProcess {
  private child: ChildProcess | null = null;
  private exitStatus: ExitStatus | null = null;
  private readonly waiters: ((s: ExitStatus) => void)[] = [];
  private killTimer: NodeJS.Timeout | null = null;
  // The pipes exist before the process does (Lua may ask for stdout before start); the child's pipes are
  // piped into them, which keeps the backpressure: a full PassThrough pauses the child's pipe.
  private readonly out = new PassThrough();
  private readonly err = new PassThrough();
  private stdoutStream: ReadableByteStream | null = null;
  private stderrStream: ReadableByteStream | null = null;

  constructor(
    readonly command: string,
    private readonly options: ProcessOptions,
  ) {}

  get started(): boolean {
    return this.child !== null || this.exitStatus !== null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts it; resolves once the executable runs, rejects when it cannot be started. */
  start(): Promise<void> {
    const parts = parseCommand(this.command);
    let file: string;
    try {
      if (parts.length === 0 || parts[0] === '') throw new Error('exec: no command');
      file = lookPath(parts[0]);
    } catch (e) {
      this.exitStatus = { error: e as Error };
      this.out.end();
      this.err.end();
      return Promise.reject(e);
    }
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.on('exit', killAllProcesses);
    }
    const child = spawn(file, parts.slice(1), {
      argv0: parts[0],
      cwd: this.options.workDir === '' ? undefined : this.options.workDir,
      env: { ...this.options.env },
      detached: true, // its own process group (setsid), so the group can be killed as one
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });
    this.child = child;
    live.add(this);
    this.options.running?.add(this);
    // Nobody may be reading: errors on the pipes (EPIPE when the process has gone) are not the runtime's.
    child.stdin?.on('error', () => undefined);
    child.stdout?.pipe(this.out);
    child.stderr?.pipe(this.err);
    child.on('exit', (code, signal) => {
      this.finish({ code: code ?? (signal !== null ? -1 : 0) });
    });
    return new Promise((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', (e) => {
        this.finish({ error: e });
        this.out.end();
        this.err.end();
        reject(e);
      });
    });
  }

  private finish(status: ExitStatus): void {
    if (this.exitStatus !== null && this.child === null) return;
    // The leader is gone: what it left in its group goes with it.
    this.killGroup('SIGKILL');
    live.delete(this);
    this.options.running?.delete(this);
    if (this.killTimer !== null) clearTimeout(this.killTimer);
    this.killTimer = null;
    this.exitStatus ??= status;
    this.child = null;
    for (const w of this.waiters.splice(0)) w(this.exitStatus);
  }

  /** The exit code (-1 when a signal ended it), once it has exited. */
  wait(): Promise<ExitStatus> {
    if (this.exitStatus !== null && this.child === null) return Promise.resolve(this.exitStatus);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Sends `signal` to the process's whole group. */
  signal(signal: NodeJS.Signals | number): void {
    const child = this.child;
    if (child === null || child.pid === undefined) throw new Error('process is not running');
    process.kill(-child.pid, signal);
  }

  /** Signals the group, ignoring a group that is gone already. */
  killGroup(signal: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // gone
    }
  }

  /** SIGTERM to the group, then SIGKILL after the grace period if it is still there; SIGKILL at once when forced. */
  stop(force: boolean): void {
    if (this.child === null) return;
    if (force) return this.killGroup('SIGKILL');
    this.killGroup('SIGTERM');
    this.killTimer ??= setTimeout(() => this.killGroup('SIGKILL'), TERM_GRACE_MS);
    this.killTimer.unref();
  }

  /** Writes to its stdin; resolves once the pipe took it (a full pipe holds the writer back). */
  writeStdin(data: Uint8Array): Promise<void> {
    const stdin = this.child?.stdin;
    if (stdin === null || stdin === undefined || stdin.destroyed) return Promise.reject(new Error('process is not running'));
    return new Promise((resolve, reject) => stdin.write(data, (e) => (e === null || e === undefined ? resolve() : reject(e))));
  }

  /** Its stdout as a stream, pulled as read: a process that writes faster than Lua reads is held back by the pipe. */
  stdout(): ReadableByteStream {
    return (this.stdoutStream ??= new ReadableByteStream(this.out));
  }

  stderr(): ReadableByteStream {
    return (this.stderrStream ??= new ReadableByteStream(this.err));
  }
}
