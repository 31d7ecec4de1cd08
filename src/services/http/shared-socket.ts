/**
 * One listening socket that every thread accepts on (spec.md "Threads"). Node 20 can neither hand a socket to
 * a worker thread nor set SO_REUSEPORT, but a worker can listen on a descriptor number. Each worker gets a
 * duplicate of thread 1's listening descriptor: the same socket, so the kernel gives each connection to
 * whichever thread accepts it first, and a worker closing its copy (it stops, it dies) leaves thread 1's open.
 * dup(2) and close(2) are reached through koffi (a prebuilt FFI), loaded only when a worker asks; where they
 * cannot be (not Linux, no libc.so.6), workers do not listen and thread 1 serves alone.
 */
import type { Server } from 'net';

interface Libc {
  dup(fd: number): number;
  close(fd: number): number;
}

let libc: Libc | null | undefined;

function load(): Libc | null {
  if (libc !== undefined) return libc;
  libc = null;
  if (process.platform !== 'linux') return libc;
  try {
    const koffi = require('koffi') as typeof import('koffi');
    const lib = koffi.load('libc.so.6');
    libc = { dup: lib.func('int dup(int)') as (fd: number) => number, close: lib.func('int close(int)') as (fd: number) => number };
  } catch {
    libc = null;
  }
  return libc;
}

/** A copy of `server`'s listening descriptor for another thread to listen on, or null (not listening, no dup). */
export function listeningCopy(server: Server): number | null {
  const fd = (server as unknown as { _handle?: { fd?: unknown } | null })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return null;
  const c = load();
  const copy = c === null ? -1 : c.dup(fd);
  return copy >= 0 ? copy : null;
}

/** Closes a copy nobody will listen on. */
export function closeCopy(fd: number): void {
  load()?.close(fd);
}
