/**
 * The supervisor of one `process.service`: a PID on `node:control` that starts the process on
 * its host as parent and monitor, restarts it after failures with exponential backoff (Our decisions 2), never
 * restarts a normal return, and stops it with CANCEL "service stopping", then terminate after stop_timeout.
 */
import { CONTROL_HOST } from '../kernel/pid';
import type { Outcome } from '../kernel/message';
import type { ErrorValue } from '../kernel/value';
import { plainToValue } from '../engine/plain';
import { clip, type Node, type ProcessRecord } from '../kernel/node';
import { backoffDelay, type ProcessServiceEntry } from '../registry';
import type { LogLevel, LogSink } from '../api/logging';
import { after, type Timer } from '../util/timer';
import type { SecurityContext } from '../lib/security';

export type ServiceState = 'Unknown' | 'Starting' | 'Running' | 'Stopping' | 'Stopped' | 'Failed' | 'Exited';


export class ServiceSupervisor {
  state: ServiceState = 'Unknown';
  /** Consecutive failures; reset to 1 by a failure after a run that lasted stable_threshold. */
  failures = 0;
  /** Starts after the first (the live view's restart count). */
  restarts = 0;
  /** The last failure (message as shown, ms since the epoch), kept after a restart for the live view. */
  lastError: { message: string; at: number } | null = null;
  /** When the pending retry fires (ms since the epoch), or null when none is pending. */
  nextRetryAt: number | null = null;
  /** When the state last changed and when the process last started (ms since the epoch; 0: never). */
  changedAt = 0;
  lastStartAt = 0;
  private starts = 0;
  private control: ProcessRecord | null = null;
  private child: string | null = null;
  private startedAt = 0;
  private retry: Timer | null = null;
  private stopped: (() => void) | null = null;

  constructor(
    readonly entry: ProcessServiceEntry,
    private readonly node: Node,
    private readonly logs: LogSink,
    /** Called on every state change (tests and the runtime watch it). */
    private readonly onChange: (s: ServiceSupervisor) => void = () => undefined,
    /** How an error's text is shown in logs (the runtime names source files: `src/relay.lua:5 (app:relay)`). */
    private readonly shown: (text: string) => string = (text) => text,
    /** The actor and scope its process starts with (`lifecycle.security`), read at every start. */
    private readonly securityOf: (entry: ProcessServiceEntry) => SecurityContext | null = () => null,
  ) {}

  get id(): string {
    return this.entry.id;
  }

  get pid(): string | null {
    return this.child;
  }

  /** The supervisor's own PID (on node:control), the parent of the service's process. */
  get supervisorPid(): string | null {
    return this.control?.id ?? null;
  }

  /** Starts the process; false when it could not be started (the error is logged and the state is Failed). */
  start(): boolean {
    if (this.control === null) {
      this.control = this.node.createProcess(CONTROL_HOST, this.entry.id, null, { terminate: () => undefined });
    }
    if (this.starts++ > 0) this.restarts++;
    this.set('Starting');
    const r = this.node.spawn({
      entry: this.entry.process,
      host: this.entry.host,
      args: this.entry.input.map(plainToValue),
      parent: this.control.id,
      monitor: false,
      link: false,
      security: this.securityOf(this.entry),
    });
    if (!r.ok) {
      this.child = null;
      this.failed(r.error, 0);
      return false;
    }
    this.child = r.value;
    const child = r.value;
    this.node.onExit(child, (outcome) => this.exited(child, outcome));
    this.startedAt = performance.now();
    this.lastStartAt = Date.now();
    this.set('Running', { pid: r.value });
    return true;
  }

  /** Stops the service: CANCEL, then terminate after stop_timeout. `waiting` is told when it has to wait. */
  stop(waiting: (service: ServiceSupervisor, timeoutMs: number) => void = () => undefined): Promise<void> {
    this.retry?.cancel();
    this.retry = null;
    this.nextRetryAt = null;
    const child = this.child;
    if (child === null || this.control === null || this.node.process(child) === undefined) {
      if (this.state !== 'Exited' && this.state !== 'Failed') this.set('Stopped');
      return Promise.resolve();
    }
    this.set('Stopping');
    const done = new Promise<void>((resolve) => (this.stopped = resolve));
    this.node.cancel(this.control.id, child, 'service stopping');
    const timeoutMs = this.entry.lifecycle.stopTimeoutMs;
    const notice = after(Math.min(500, timeoutMs), () => waiting(this, timeoutMs));
    const force = after(timeoutMs, () => {
      this.lastError = { message: `stop timeout after ${timeoutMs / 1000}s`, at: Date.now() };
      this.set('Failed', { error: this.lastError.message });
      this.node.terminate(this.control?.id ?? '', child);
    });
    return done.finally(() => {
      notice.cancel();
      force.cancel();
    });
  }

  /** The kernel's notice that a child ended (a child from before a restart is no longer this service's). */
  private exited(child: string, { error }: Outcome): void {
    if (child !== this.child) return;
    const ranMs = performance.now() - this.startedAt;
    this.child = null;
    if (this.stopped !== null) {
      const resolve = this.stopped;
      this.stopped = null;
      if (this.state === 'Stopping') this.set('Stopped');
      resolve();
      return;
    }
    if (error !== null) this.failed(error, ranMs);
    else this.set('Exited');
  }

  /** Logged at ERROR, as Wippy's supervisor logs a service that failed; the traceback only at debug level. */
  private failed(error: ErrorValue, ranMs: number): void {
    const policy = this.entry.lifecycle.restart;
    this.failures = ranMs >= this.entry.lifecycle.stableThresholdMs ? 1 : this.failures + 1;
    const retry = policy.maxAttempts === 0 || this.failures < policy.maxAttempts;
    this.lastError = { message: clip(this.shown(error.message)), at: Date.now() };
    const why = {
      error: this.shown(error.message),
      ...(error.frames !== null && this.logs.enabled('debug') ? { traceback: this.shown(error.frames) } : {}),
    };
    if (!retry) {
      this.set('Failed', { ...why, attempts: this.failures, retrying: false }, 'error');
      return;
    }
    const delay = backoffDelay(policy, this.failures);
    this.set('Failed', { ...why, attempts: this.failures, next_delay_ms: Math.round(delay) }, 'error');
    this.nextRetryAt = Date.now() + delay;
    this.retry = after(delay, () => {
      this.retry = null;
      this.nextRetryAt = null;
      this.start();
    });
  }

  private set(state: ServiceState, fields: Record<string, unknown> = {}, level: LogLevel = state === 'Failed' ? 'warn' : 'info'): void {
    this.state = state;
    this.changedAt = Date.now();
    if (this.logs.enabled(level)) {
      this.logs.write({ level, message: `service ${state.toLowerCase()}`, logger: 'supervisor', fields: { service: this.id, ...fields } });
    }
    this.onChange(this);
  }
}
