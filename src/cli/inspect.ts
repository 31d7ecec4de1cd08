/**
 * `wisp run --observe [host:]port`, the observer: an HTTP server with the snapshot as JSON (`/api/snapshot`, with
 * `sort`, `filter` and `limit` parameters), one process's details (`/api/process?pid=`), the last five minutes of
 * totals (`/api/history`), and a page that shows them live (`/`). Read-only, GET only.
 * - A request that came in on a loopback address (whatever the address was spelled as: `127.1`, `0x7f000001`,
 *   `[::ffff:127.0.0.1]`) is answered only if its Host header names a loopback address too, so a web page
 *   elsewhere cannot read it through DNS rebinding.
 * - Each connection is answered one request at a time: the next answer is built only once the previous one has
 *   been written out, at most 32 requests may wait, and a connection idle (or not reading) for 30 s is closed;
 *   at most 16 connections at once. So a client pipelining requests without reading the answers costs one
 *   answer's memory, not one per request.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'http';
import { BlockList, isIP, type AddressInfo, type Socket } from 'net';
import { parseQuery, type ProcessQuery } from '../hosts/snapshot';
import type { HistoryPoint, ProcessDetails, SystemSnapshot } from '../api/system';
import { PAGE_CSS, PAGE_HTML, PAGE_SCRIPT } from './inspect-page';
import { UsageError } from './errors';

export interface InspectAddress {
  readonly host: string;
  readonly port: number;
}

/** `PORT`, `HOST:PORT` or `[v6]:PORT`; the host defaults to 127.0.0.1. */
export function parseInspectAddress(text: string): InspectAddress {
  const m = /^(?:(\[[0-9a-fA-F:.]+\]|[^:[\]]+):)?(\d{1,5})$/.exec(text);
  const port = m === null ? NaN : Number(m[2]);
  if (m === null || port > 65535) throw new UsageError(`--observe ${text}: expected PORT or HOST:PORT (e.g. 127.0.0.1:8090)`);
  const host = m[1] === undefined ? '127.0.0.1' : m[1].replace(/^\[|\]$/g, '');
  return { host, port };
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4'); // IPv4-mapped IPv6 addresses (::ffff:127.0.0.1) match too
LOOPBACK.addAddress('::1', 'ipv6');

/** Whether `address` (an IP address as the OS reports it) is a loopback address. */
export function isLoopbackAddress(address: string): boolean {
  return LOOPBACK.check(address, address.includes(':') ? 'ipv6' : 'ipv4');
}

/** Whether a Host header names a loopback address: `localhost`, or an IP address in any spelling a URL takes. */
export function isLoopbackHost(header: string): boolean {
  let hostname: string;
  try {
    hostname = new URL(`http://${header}`).hostname;
  } catch {
    return false;
  }
  if (hostname === 'localhost') return true;
  const ip = hostname.replace(/^\[|\]$/g, '');
  return isIP(ip) !== 0 && isLoopbackAddress(ip);
}

/** Requests waiting on one connection beyond which it is closed (a client that does not read its answers). */
const MAX_WAITING = 32;
const MAX_CONNECTIONS = 16;
const IDLE_MS = 30_000;

const ASSETS: Record<string, { type: string; body: string }> = {
  '/': { type: 'text/html; charset=utf-8', body: PAGE_HTML },
  '/inspect.css': { type: 'text/css; charset=utf-8', body: PAGE_CSS },
  '/inspect.js': { type: 'text/javascript; charset=utf-8', body: PAGE_SCRIPT },
};

/** What the observer reads from the runtime. */
export interface ObservedRuntime {
  /** With several threads, gathered from each (later). */
  snapshot(query: ProcessQuery): SystemSnapshot | Promise<SystemSnapshot>;
  details(pid: string): ProcessDetails | null | Promise<ProcessDetails | null>;
}

/** The charts' span: one point a second for the last five minutes. */
const HISTORY_POINTS = 300;
const HISTORY_EVERY_MS = 1000;

export class Inspector {
  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly sampler: NodeJS.Timeout,
  ) {}

  static async start(address: InspectAddress, runtime: ObservedRuntime): Promise<Inspector> {
    // Sampled while the observer is on, so the charts cover the last minutes even for a page opened just now.
    const history: HistoryPoint[] = [];
    let sampling = false;
    const sample = (): void => {
      if (sampling) return; // the last one is still being gathered from the threads
      sampling = true;
      void Promise.resolve(runtime.snapshot({ sort: 'pid', filter: '', limit: 0 }))
        .then(({ node }) => {
          if (history.length >= HISTORY_POINTS) history.shift();
          history.push({ at: node.at, processes: node.processes, messages: node.messages, heap_used: node.heap_used });
        })
        .catch(() => undefined) // a point missed; the next second tries again
        .finally(() => (sampling = false));
    };
    sample();
    const sampler = setInterval(sample, HISTORY_EVERY_MS).unref();
    const server = createServer((req, res) => inTurn(req, res, () => serve(req, res, runtime, history)));
    server.maxConnections = MAX_CONNECTIONS;
    server.setTimeout(IDLE_MS, (socket: Socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) => {
        clearInterval(sampler);
        const why = e.code === 'EADDRINUSE' ? 'address in use' : e.code === 'EACCES' ? 'permission denied' : e.message;
        reject(new UsageError(`--observe ${address.host}:${address.port}: ${why}`));
      });
      server.listen(address.port, address.host, () => resolve());
    });
    server.unref();
    const bound = server.address() as AddressInfo;
    const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
    return new Inspector(server, `http://${host}:${bound.port}/`, sampler);
  }

  close(): Promise<void> {
    clearInterval(this.sampler);
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** One connection's requests, answered one at a time. */
interface Lane {
  readonly waiting: (() => void)[];
  busy: boolean;
}
const lanes = new WeakMap<Socket, Lane>();

/** Answers on `req`'s connection once the answers before it are written out; closes a connection too far behind. */
function inTurn(req: IncomingMessage, res: ServerResponse, answer: () => void): void {
  const socket = req.socket;
  let lane = lanes.get(socket);
  if (lane === undefined) lanes.set(socket, (lane = { waiting: [], busy: false }));
  if (lane.waiting.length >= MAX_WAITING) {
    socket.destroy();
    return;
  }
  const current = lane;
  current.waiting.push(() => {
    current.busy = true;
    // 'finish' once the answer is handed to the OS, 'close' if the connection went first.
    let done = false;
    const next = (): void => {
      if (done) return;
      done = true;
      current.busy = false;
      pump(current);
    };
    res.once('finish', next);
    res.once('close', next);
    answer();
  });
  pump(current);
}

function pump(lane: Lane): void {
  if (!lane.busy) lane.waiting.shift()?.();
}

function serve(req: IncomingMessage, res: ServerResponse, runtime: ObservedRuntime, history: readonly HistoryPoint[]): void {
  const headers = {
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'self'; frame-ancestors 'none'",
  };
  // Decided on the address the request came in on, not on how --observe spelled it.
  if (isLoopbackAddress(req.socket.localAddress ?? '') && !isLoopbackHost(req.headers.host ?? '')) {
    res.writeHead(403, { ...headers, 'content-type': 'text/plain' }).end('forbidden: Host must be a loopback address\n');
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { ...headers, allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('read-only\n');
    return;
  }
  const url = new URL(req.url ?? '/', 'http://inspector');
  const path = url.pathname;
  if (path === '/api/snapshot') {
    const params: Record<string, unknown> = Object.fromEntries(url.searchParams);
    if (typeof params.limit === 'string') params.limit = /^\d+$/.test(params.limit) ? Number(params.limit) : -1;
    const query = parseQuery(params);
    if (typeof query === 'string') {
      res.writeHead(400, { ...headers, 'content-type': 'text/plain' }).end(`${query}\n`);
      return;
    }
    void Promise.resolve(runtime.snapshot(query)).then(
      (snapshot) => res.writeHead(200, { ...headers, 'content-type': 'application/json' }).end(JSON.stringify(snapshot)),
      (e: unknown) => res.writeHead(503, { ...headers, 'content-type': 'text/plain' }).end(`${e instanceof Error ? e.message : String(e)}\n`),
    );
    return;
  }
  if (path === '/api/process') {
    const pid = url.searchParams.get('pid') ?? '';
    void Promise.resolve(pid.length > 200 ? null : runtime.details(pid)).then(
      (details) => {
        if (details === null) res.writeHead(404, { ...headers, 'content-type': 'text/plain' }).end('no such process\n');
        else res.writeHead(200, { ...headers, 'content-type': 'application/json' }).end(JSON.stringify(details));
      },
      (e: unknown) => res.writeHead(503, { ...headers, 'content-type': 'text/plain' }).end(`${e instanceof Error ? e.message : String(e)}\n`),
    );
    return;
  }
  if (path === '/api/history') {
    res.writeHead(200, { ...headers, 'content-type': 'application/json' }).end(JSON.stringify(history));
    return;
  }
  const asset = ASSETS[path];
  if (asset === undefined) {
    res.writeHead(404, { ...headers, 'content-type': 'text/plain' }).end('not found\n');
    return;
  }
  res.writeHead(200, { ...headers, 'content-type': asset.type }).end(asset.body);
}
