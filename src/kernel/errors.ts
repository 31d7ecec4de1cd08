/**
 * The errors the kernel's rules produce, made in one place: the local node, the cluster router, the hosts and
 * the CLI use these rather than restating a message (a caller that compares text is reading this catalogue).
 */
import { ErrorValue } from './value';

/** The reason a process ended from outside gets (the engine raises it inside the dying thread). */
export const TERMINATION_REASON = 'process terminated';

export const kernelErrors = {
  processNotFound: (): ErrorValue => new ErrorValue('process not found', 'NotFound'),
  hostNotFound: (): ErrorValue => new ErrorValue('host not found', 'NotFound'),
  nameNotRegistered: (): ErrorValue => new ErrorValue('name not registered', 'NotFound'),
  pidNotRegistered: (): ErrorValue => new ErrorValue('pid not registered', 'NotFound'),
  nameEmpty: (): ErrorValue => new ErrorValue('name cannot be empty', 'Invalid'),
  nameTaken: (): ErrorValue => new ErrorValue('name already registered', 'AlreadyExists'),
  atTopic: (): ErrorValue => new ErrorValue('cannot send to @ topics', 'Invalid'),
  alreadyMonitoring: (): ErrorValue => new ErrorValue('already monitoring pid', 'AlreadyExists'),
  watchSelf: (): ErrorValue => new ErrorValue('cannot monitor or link a process to itself', 'Invalid'),
  mailboxFull: (pid: string, limit: number): ErrorValue => new ErrorValue(`mailbox full: ${pid} has ${limit} unread messages`, 'Unavailable', true),
  /** A process ended from outside (process.terminate, shutdown). */
  terminated: (): ErrorValue => new ErrorValue(TERMINATION_REASON, 'Internal'),
  /** What an untrapped link does to the survivor. */
  linkedProcessFailed: (): ErrorValue => new ErrorValue('linked process failed', 'Internal'),
  nodeDown: (node: string): ErrorValue => new ErrorValue(`node down: ${node}`, 'Unavailable', true),
} as const;

/** Whether `error` is the kernel's "ended from outside" (not a failure of the process's own). */
export function isTermination(error: ErrorValue | null): boolean {
  return error !== null && error.kind === 'Internal' && error.message === TERMINATION_REASON;
}
