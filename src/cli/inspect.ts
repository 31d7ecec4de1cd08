/**
 * `wisp run --inspect [host:]port`: an HTTP server with the snapshot as JSON (`/api/snapshot`, with `sort`,
 * `filter` and `limit` parameters) and a page that shows it live (`/`). Read-only, GET only. On a loopback address it answers only requests whose Host header
 * names a loopback address, so a web page elsewhere cannot read it through DNS rebinding.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'http';
import type { AddressInfo } from 'net';
import { parseQuery, type ProcessQuery } from '../hosts/snapshot';
import type { SystemSnapshot } from '../api/system';
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
  if (m === null || port > 65535) throw new UsageError(`--inspect ${text}: expected PORT or HOST:PORT (e.g. 127.0.0.1:9229)`);
  const host = m[1] === undefined ? '127.0.0.1' : m[1].replace(/^\[|\]$/g, '');
  return { host, port };
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\]|::1)$/i;

const ASSETS: Record<string, { type: string; body: string }> = {
  '/': { type: 'text/html; charset=utf-8', body: PAGE_HTML },
  '/inspect.css': { type: 'text/css; charset=utf-8', body: PAGE_CSS },
  '/inspect.js': { type: 'text/javascript; charset=utf-8', body: PAGE_SCRIPT },
};

export class Inspector {
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(address: InspectAddress, snapshot: (query: ProcessQuery) => SystemSnapshot): Promise<Inspector> {
    const loopback = LOOPBACK.test(address.host);
    const server = createServer((req, res) => serve(req, res, loopback, snapshot));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) => {
        const why = e.code === 'EADDRINUSE' ? 'address in use' : e.code === 'EACCES' ? 'permission denied' : e.message;
        reject(new UsageError(`--inspect ${address.host}:${address.port}: ${why}`));
      });
      server.listen(address.port, address.host, () => resolve());
    });
    server.unref();
    const bound = server.address() as AddressInfo;
    const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
    return new Inspector(server, `http://${host}:${bound.port}/`);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function serve(req: IncomingMessage, res: ServerResponse, loopback: boolean, snapshot: (query: ProcessQuery) => SystemSnapshot): void {
  const headers = {
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'self'; frame-ancestors 'none'",
  };
  const hostHeader = (req.headers.host ?? '').replace(/:\d+$/, '');
  if (loopback && !LOOPBACK.test(hostHeader)) {
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
    res.writeHead(200, { ...headers, 'content-type': 'application/json' }).end(JSON.stringify(snapshot(query)));
    return;
  }
  const asset = ASSETS[path];
  if (asset === undefined) {
    res.writeHead(404, { ...headers, 'content-type': 'text/plain' }).end('not found\n');
    return;
  }
  res.writeHead(200, { ...headers, 'content-type': asset.type }).end(asset.body);
}
