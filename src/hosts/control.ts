/**
 * The control socket (`<project>/.wisp/control.sock`): how `wisp top` and `wisp ps` reach a running `wisp run`.
 * Read-only: a client sends one JSON request a line (`{"op":"snapshot"}`, optionally with `sort`, `filter`
 * and `limit`) and gets one JSON line back.
 * The directory is owner-only (0700) and so is the socket (0600). Idle, it is a listening socket and nothing
 * else: no timer, no work until a client asks.
 */
import { chmodSync, existsSync, lstatSync, mkdirSync, unlinkSync } from 'fs';
import { createConnection, createServer, type Server, type Socket } from 'net';
import { join, relative } from 'path';
import { parseQuery, type ProcessQuery } from './snapshot';
import type { SystemSnapshot } from '../api/system';

export const CONTROL_DIR = '.wisp';
export const CONTROL_SOCKET = 'control.sock';
/** A request line longer than this is not one of ours: the connection is dropped. */
const MAX_REQUEST = 4096;
/** Request bytes read and not yet answered beyond which the connection is dropped (reading pauses long before). */
const MAX_PENDING = 1024 * 1024;
/** Clients at once (`wisp top` and `wisp ps` take one each). */
const MAX_CLIENTS = 64;

export function controlSocketPath(projectRoot: string): string {
  return join(projectRoot, CONTROL_DIR, CONTROL_SOCKET);
}

/**
 * The path to hand to bind/connect: relative to the working directory when that is shorter, because a Unix
 * socket path may have at most 107 bytes and projects can live deep.
 */
export function socketAddress(path: string, cwd = process.cwd()): string {
  const rel = relative(cwd, path);
  return rel.length < path.length ? rel : path;
}

/** `{"op":"snapshot"}`, optionally with a ProcessQuery's fields: `sort`, `filter`, `limit`. */
export type ControlRequest = { readonly op: 'snapshot' } & Partial<ProcessQuery>;
export type ControlReply = { readonly ok: true; readonly snapshot: SystemSnapshot } | { readonly ok: false; readonly error: string };

export class ControlSocket {
  private readonly clients = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly path: string,
    private readonly snapshot: (query: ProcessQuery) => SystemSnapshot | Promise<SystemSnapshot>,
  ) {
    server.on('connection', (socket) => this.serve(socket));
  }

  /**
   * Opens the socket for `snapshot`. Resolves with a reason instead when it cannot: another `wisp run` is
   * live on this project, or the directory cannot be made private.
   */
  static async open(projectRoot: string, snapshot: (query: ProcessQuery) => SystemSnapshot | Promise<SystemSnapshot>): Promise<ControlSocket | { reason: string; taken: boolean }> {
    const path = controlSocketPath(projectRoot);
    const dir = join(projectRoot, CONTROL_DIR);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = lstatSync(dir);
    if (!st.isDirectory() || (typeof process.getuid === 'function' && st.uid !== process.getuid())) {
      return { reason: `${dir} is not a directory owned by this user`, taken: false };
    }
    chmodSync(dir, 0o700);
    if (existsSync(path)) {
      if (await answers(path)) return { reason: `another wisp run is using ${path}`, taken: true };
      // Left by a run that was killed. (Two runs booting in the same instant over a stale file can both get
      // here; then the later one's socket replaces the earlier's. Without a stale file, EADDRINUSE decides.)
      try {
        unlinkSync(path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
    const server = createServer({ allowHalfOpen: false });
    server.maxConnections = MAX_CLIENTS;
    const address = socketAddress(path);
    const previous = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(address, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (e) {
      // Two runs booting at once: the other bound it between our check and our listen.
      if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') return { reason: `another wisp run is using ${path}`, taken: true };
      throw e;
    } finally {
      process.umask(previous);
    }
    chmodSync(path, 0o600);
    server.unref(); // the runtime decides when to exit, not an idle socket
    return new ControlSocket(server, path, snapshot);
  }

  /** Closes the socket and removes its file. */
  close(): Promise<void> {
    for (const c of this.clients) c.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Removes the socket file now (process exit, where close() would never finish). */
  removeNow(): void {
    try {
      unlinkSync(this.path);
    } catch {
      // already gone
    }
  }

  /**
   * One connection: each request line gets its answer in order, but the next line is read only once the last
   * answer has drained, so a client that sends many requests without reading the answers holds one answer's
   * memory, not one per request. An answer gathered from several threads comes later: the lines after it wait.
   */
  private serve(socket: Socket): void {
    this.clients.add(socket);
    socket.on('close', () => this.clients.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setEncoding('utf8');
    let buffer = '';
    let answering = false;
    const answerLines = (): void => {
      while (!answering && !socket.destroyed) {
        const nl = buffer.indexOf('\n');
        if (nl < 0 || socket.writableNeedDrain) break;
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        const reply = this.answer(line);
        if (!(reply instanceof Promise)) {
          socket.write(`${JSON.stringify(reply)}\n`);
          continue;
        }
        // Nothing more is read meanwhile: a client pipelining requests waits, as for a drain.
        answering = true;
        socket.pause();
        void reply.then((r) => {
          answering = false;
          if (socket.destroyed) return;
          socket.resume();
          socket.write(`${JSON.stringify(r)}\n`);
          answerLines();
        });
      }
      if (socket.writableNeedDrain && !socket.isPaused()) {
        socket.pause();
        socket.once('drain', () => {
          socket.resume();
          answerLines();
        });
      }
    };
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      answerLines();
      // A line longer than a request is not one of ours; nor is more unread input than a paused socket lets in.
      if (buffer.length > MAX_PENDING || buffer.length - (buffer.lastIndexOf('\n') + 1) > MAX_REQUEST) socket.destroy();
    });
  }

  private answer(line: string): ControlReply | Promise<ControlReply> {
    let request: unknown;
    try {
      request = JSON.parse(line);
    } catch {
      return { ok: false, error: 'a request is one JSON object a line' };
    }
    if (request === null || typeof request !== 'object' || Array.isArray(request)) return { ok: false, error: 'a request is one JSON object a line' };
    const { op, ...query } = request as Record<string, unknown>;
    if (op === 'snapshot') {
      const parsed = parseQuery(query);
      if (typeof parsed === 'string') return { ok: false, error: parsed };
      const snapshot = this.snapshot(parsed);
      if (!(snapshot instanceof Promise)) return { ok: true, snapshot };
      return snapshot.then(
        (s): ControlReply => ({ ok: true, snapshot: s }),
        (e: unknown): ControlReply => ({ ok: false, error: e instanceof Error ? e.message : String(e) }),
      );
    }
    return { ok: false, error: `unknown op ${JSON.stringify(op)} (the control socket is read-only: op "snapshot")` };
  }
}

/** Whether a live server answers on `path` (a stale socket file refuses the connection). */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection(socketAddress(path));
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}
