/**
 * The Prometheus exporter of `.wippy.yaml` `prometheus: {enabled, address}` (Wippy's boot component
 * `prometheus`): an HTTP server on `address` serving `/metrics` (the text exposition) and `/livez`.
 */
import { createServer, type Server } from 'http';
import type { AddressInfo } from 'net';
import type { MetricsSource } from './collector';

export interface Exporter {
  /** Where it listens (the real port when the address asked for port 0). */
  readonly address: AddressInfo;
  close(): Promise<void>;
}

/** Go's listen address: `host:port`, `:port` (every interface) or `[v6]:port`. */
export function parseAddress(address: string): { host: string | undefined; port: number } {
  const m = /^(?:\[([^\]]*)\]|([^:]*)):(\d+)$/.exec(address.trim());
  if (m === null) throw new Error(`prometheus.address "${address}": expected host:port`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`prometheus.address "${address}": port out of range`);
  const host = m[1] ?? m[2];
  return { host: host === '' ? undefined : host, port };
}

export function startExporter(metrics: MetricsSource, address: string): Promise<Exporter> {
  const { host, port } = parseAddress(address);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
    } else if (path === '/metrics') {
      metrics.text().then(
        (text) => res.writeHead(200, { 'Content-Type': metrics.contentType }).end(req.method === 'HEAD' ? undefined : text),
        (e: unknown) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${e instanceof Error ? e.message : String(e)}\n`),
      );
    } else if (path === '/livez') {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('(no liveness checks registered)\n');
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('404 page not found\n');
    }
  });
  // A scraper that stalls or never finishes its headers is cut, as Go's ReadHeaderTimeout (10 s) does.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.maxConnections = 256;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve({
        address: server.address() as AddressInfo,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
