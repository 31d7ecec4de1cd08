/**
 * The messages between thread 1, which owns an http.service's socket, and a worker thread that runs one of its
 * requests' handler or accepts on a copy of the socket (handoff.ts on thread 1, handoff-worker.ts on the
 * worker), over the services port of `ServiceThreads`. Every message about a request names it by a number
 * thread 1 chose; byte chunks travel in buffers of their own, moved to the other thread (a view of Node's
 * shared pool would be copied whole).
 */
import type { MessagePort } from 'worker_threads';
import type { PortableSecurity } from '../security/portable';
import type { HeaderMap } from './exchange';

/** Most body bytes thread 1 sends for one pull. */
export const PULL_MAX = 64 * 1024;
/** Response bytes a worker sends ahead of thread 1's acknowledgements (written to the client) before it waits. */
export const RESPONSE_WINDOW = 256 * 1024;

export type HeaderList = [string, string[]][];

export interface RequestHead {
  readonly method: string;
  readonly path: string;
  readonly rawQuery: string;
  readonly host: string;
  readonly remoteAddr: string;
  readonly headers: HeaderList;
  readonly contentLength: number;
  readonly params: [string, string][] | null;
  readonly maxBodyBytes: number;
}

export type ToWorker =
  | {
      readonly t: 'call';
      readonly id: number;
      readonly server: string;
      readonly func: string;
      readonly request: RequestHead;
      /** The response headers middleware set before the handler runs (CORS). */
      readonly headers: HeaderList;
      readonly security: PortableSecurity | null;
    }
  /** The answer to a pull: bytes, the end (null), or the error reading failed with. */
  | { readonly t: 'chunk'; readonly id: number; readonly data: Uint8Array | null; readonly error: string | null }
  /** Response bytes thread 1 has written to the client. */
  | { readonly t: 'ack'; readonly id: number; readonly bytes: number }
  /** The client went away (or the server stops): end the handler. */
  | { readonly t: 'gone'; readonly id: number }
  /** The answer to `listen`: the worker's own copy of the listening descriptor, or null (shared-socket.ts). */
  | { readonly t: 'socket'; readonly server: string; readonly fd: number | null }
  /** Thread 1's server stops: close the copy (then say `dropped`), so that the address can be listened on again. */
  | { readonly t: 'drop'; readonly server: string };

export type ToMain =
  /** The worker's http.service `server` takes handlers (ready) or no longer does (down). */
  | { readonly t: 'ready'; readonly server: string }
  | { readonly t: 'down'; readonly server: string }
  /**
   * The worker's http.service `server` would accept on the socket (listen); it accepts on the copy `fd` it was
   * given, which is its own to close from then on (listening); or it will not use that copy (unused: thread 1
   * closes it). Only thread 1 closes a copy a worker does not listen on, so none is closed twice. `dropped`
   * answers `drop`: the worker's copy is closed.
   */
  | { readonly t: 'listen'; readonly server: string }
  | { readonly t: 'dropped'; readonly server: string }
  | { readonly t: 'listening' | 'unused'; readonly server: string; readonly fd: number }
  /** Up to `max` more body bytes; 0 closes the body (the rest is drained on thread 1). */
  | { readonly t: 'pull'; readonly id: number; readonly max: number }
  | {
      readonly t: 'res';
      readonly id: number;
      /** Status and headers, once: with `end`, a whole response; without, the start of a streamed one. */
      readonly head: { readonly status: number; readonly headers: HeaderList } | null;
      readonly data: Uint8Array | null;
      readonly end: boolean;
      /** The handler process ended too (nothing more comes for this request). */
      readonly done: boolean;
      /** With `done`: what the handler cost its thread (ms, callFunction's figure); else 0. */
      readonly cost: number;
    }
  /** The handler process ended (after its last `res`), with nothing more to send; `cost` as in `res`. */
  | { readonly t: 'done'; readonly id: number; readonly cost: number }
  /** The worker cannot run it (its registry changed, its server stops): thread 1 runs it itself. */
  | { readonly t: 'refused'; readonly id: number };

/**
 * What one thread posts to another, sent as one array per turn of the event loop: under load the requests of
 * a turn (one per connection that had data) share one post and one wake-up of the other thread.
 */
export class Outbox<T> {
  private batch: T[] = [];
  private transfer: ArrayBuffer[] = [];
  private readonly flushBound = (): void => this.flush();

  constructor(private readonly port: MessagePort) {}

  push(message: T, transfer?: readonly ArrayBuffer[]): void {
    if (this.batch.length === 0) setImmediate(this.flushBound);
    this.batch.push(message);
    if (transfer !== undefined) this.transfer.push(...transfer);
  }

  private flush(): void {
    const batch = this.batch;
    const transfer = this.transfer;
    this.batch = [];
    this.transfer = [];
    if (batch.length > 0) this.port.postMessage(batch, transfer);
  }
}

export const headerList = (headers: ReadonlyMap<string, readonly string[]>): HeaderList => [...headers].map(([k, v]) => [k, [...v]]);

export function headerMap(list: HeaderList): HeaderMap {
  return new Map(list.map(([k, v]) => [k, [...v]]));
}

/** `data` in a buffer of its own, with the list that moves it. */
export function movable(data: Uint8Array): { data: Uint8Array; transfer: ArrayBuffer[] } {
  const own = new Uint8Array(data);
  return { data: own, transfer: [own.buffer] };
}
