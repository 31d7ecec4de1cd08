/**
 * The running `http.service`: a Node http.Server on the entry's address, its route table rebuilt from each
 * registry version (the listening socket stays), the limits against hostile clients, and a graceful stop
 * (stop accepting, let requests in flight finish within the grace, then close every connection and end the
 * handlers still running).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'http';
import type { Duplex } from 'stream';
import type { Socket } from 'net';
import { Exchange, NodeSink, SocketSink } from './exchange';
import { buildRoutes, type RouteTable } from './routes';
import { RelayHost } from './relay-host';
import { handoffFor, type Handoff } from './handoff';
import { listeningCopy } from './shared-socket';
import type { WorkerSide } from './handoff-worker';
import type { HandlerExchange } from './handler';
import type { HttpServiceEntry } from '../../registry/kinds/http';
import type { Registry } from '../../registry';
import type { ServiceContext } from '../service';
import type { HttpExchange } from '../../api/http';

export class HttpServer {
  private readonly server: Server;
  private routes: RouteTable;
  readonly exchanges = new Map<string, HandlerExchange>();
  /** Requests being dispatched (for a graceful stop). */
  private inFlight = 0;
  private idle: (() => void)[] = [];
  readonly relays: RelayHost;
  private refusedBefore = new Set<string>();
  /** Thread 1's with several threads: hands handlers to the others and copies of its socket (handoff.ts). */
  private readonly handoff: Handoff | null;
  /** Another thread's: accepting on a copy of thread 1's socket, or asking for one (shared-socket.ts). */
  private accepting: 'no' | 'asking' | 'yes' = 'no';
  private stopped = false;

  /** `worker`: on a thread other than 1, how this server reaches thread 1 (handoff-worker.ts). */
  constructor(
    private entry: HttpServiceEntry,
    private readonly ctx: ServiceContext,
    private readonly worker: WorkerSide | null = null,
  ) {
    this.relays = new RelayHost(entry.id, ctx.node);
    this.handoff = ctx.threads === undefined || worker !== null ? null : handoffFor(ctx.threads, entry.id, ctx);
    const l = entry.limits;
    const requestTimeout = entry.timeouts.readMs > 0 ? entry.timeouts.readMs : l.requestTimeoutMs;
    this.server = createServer({
      headersTimeout: Math.min(l.headersTimeoutMs, requestTimeout > 0 ? requestTimeout : l.headersTimeoutMs),
      requestTimeout,
      keepAliveTimeout: entry.timeouts.idleMs > 0 ? entry.timeouts.idleMs : l.idleTimeoutMs,
      maxHeaderSize: l.maxHeaderBytes,
      connectionsCheckingInterval: Math.min(1000, Math.max(100, l.headersTimeoutMs / 4)),
    });
    this.server.maxConnections = l.maxConnections;
    if (entry.timeouts.writeMs > 0) this.server.timeout = entry.timeouts.writeMs;
    this.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      // A thread that no longer accepts closes the connections it still has, one request at a time.
      if (this.worker !== null && this.accepting !== 'yes') res.shouldKeepAlive = false;
      this.dispatch(new Exchange(req, new NodeSink(res), l.maxBodyBytes));
    });
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const s = socket as Socket;
      s.on('error', () => undefined);
      this.dispatch(new Exchange(req, new SocketSink(s), l.maxBodyBytes, { socket: s, head }));
    });
    this.routes = this.build(ctx.store.current);
    if (worker !== null) {
      worker.onDrop(() => this.dropSocket());
      this.server.on('error', (e) => {
        this.ctx.log('warn', 'http.service: this thread cannot accept on the socket', { error: e.message });
        this.accepting = 'no';
      });
    }
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const failed = (e: NodeJS.ErrnoException): void => {
        reject(new Error(`http.service ${this.entry.id}: listen tcp ${this.entry.addr}: ${e.code === 'EADDRINUSE' ? 'address already in use' : e.message}`));
      };
      this.server.once('error', failed);
      this.server.listen({ port: this.entry.port, host: this.entry.host === '' ? undefined : this.entry.host }, () => {
        this.server.off('error', failed);
        this.server.on('error', (e) => this.ctx.failed(e));
        this.ctx.log('info', `service listening on ${this.entry.addr}`, { addr: this.entry.addr });
        this.handoff?.offer(() => listeningCopy(this.server));
        resolve();
      });
    });
  }

  /** The port it listens on (useful with `:0`). */
  get port(): number {
    const a = this.server.address();
    return typeof a === 'object' && a !== null ? a.port : this.entry.port;
  }

  exchange(token: string): HttpExchange | undefined {
    return this.exchanges.get(token);
  }

  follow(registry: Registry, entry: HttpServiceEntry): void {
    if (entry.addr !== this.entry.addr) throw new Error(`http.service ${entry.id}: the address changed from ${this.entry.addr} to ${entry.addr}`);
    this.entry = entry;
    this.routes = this.build(registry);
    this.followSocket();
  }

  /**
   * Another thread accepts on a copy of thread 1's socket while it is one of the entry's `host.threads` and no
   * middleware served holds the node's state (spec.md "Threads").
   */
  followSocket(): void {
    const { worker, ctx } = this;
    if (worker === null || ctx.threads === undefined) return;
    const wanted = !this.stopped && !this.routes.nodeState && ctx.threads.index <= (this.entry.threads ?? Number.POSITIVE_INFINITY);
    if (wanted && this.accepting === 'no') {
      this.accepting = 'asking';
      worker.askSocket((fd) => this.acceptOn(fd));
    } else if (!wanted && this.accepting !== 'no') {
      if (this.accepting === 'yes') this.server.close();
      this.accepting = 'no';
      this.server.closeIdleConnections();
    }
  }

  /** Thread 1's server stops: close the copy so that its address is free, and ask for the next server's. */
  private dropSocket(): void {
    const worker = this.worker as WorkerSide;
    if (this.accepting === 'yes') {
      this.server.close();
      this.server.closeIdleConnections();
      this.accepting = 'no';
    }
    worker.dropped();
    this.followSocket();
  }

  private acceptOn(fd: number | null): void {
    const worker = this.worker as WorkerSide;
    if (fd === null) return void (this.accepting = 'no');
    if (this.accepting !== 'asking') return worker.unused(fd);
    try {
      // The server's handle holds the descriptor once listen returns: closing the server closes it.
      this.server.listen({ fd });
    } catch (e) {
      this.accepting = 'no';
      this.ctx.log('warn', 'http.service: this thread cannot accept on the socket', { error: e instanceof Error ? e.message : String(e) });
      return worker.unused(fd);
    }
    this.accepting = 'yes';
    worker.listening(fd);
  }

  private build(registry: Registry): RouteTable {
    const table = buildRoutes(registry, this.entry.id, {
      service: this.ctx,
      serverId: this.entry.id,
      relays: this.relays,
      exchanges: this.exchanges,
      handlerTimeoutMs: this.entry.limits.handlerTimeoutMs,
      handoff: this.handoff,
    });
    const now = new Set<string>();
    // Thread 1 tells the user; the other threads build the same table.
    if (this.worker !== null) return table;
    for (const r of table.refused) {
      const key = `${r.id}\n${r.reason}`;
      now.add(key);
      if (!this.refusedBefore.has(key)) this.ctx.log('error', `router not served: ${r.reason}`, { router: r.id, error: r.reason });
    }
    this.refusedBefore = now;
    return table;
  }

  private dispatch(x: Exchange): void {
    this.inFlight++;
    const done = (): void => {
      if (!x.response.ended) x.response.end();
      if (--this.inFlight === 0) for (const fn of this.idle.splice(0)) fn();
    };
    this.route(x).then(done, (e: unknown) => {
      this.ctx.log('error', 'http handler failed', { path: x.request.path, error: e instanceof Error ? e.message : String(e) });
      x.response.fail(500, 'internal server error');
      done();
    });
  }

  private async route(x: Exchange): Promise<void> {
    const url = x.req.url ?? '/';
    const q = url.indexOf('?');
    const rawPath = q < 0 ? url : url.slice(0, q);
    const w = x.response;
    if (!rawPath.startsWith('/')) return w.fail(400, 'bad request');
    const m = this.routes.mux.match(x.request.method, rawPath, q < 0 ? '' : url.slice(q + 1));
    switch (m.kind) {
      case 'found':
        x.route = m.route.handler.endpoint === null ? null : { params: m.params, endpoint: m.route.handler.endpoint };
        return m.route.handler.handle(x);
      case 'redirect':
        w.setHeader('Location', m.location);
        if (x.request.method === 'GET' || x.request.method === 'HEAD') {
          w.setHeader('Content-Type', 'text/html; charset=utf-8');
          w.writeHeader(301);
          await w.write(Buffer.from(`<a href="${htmlEscape(m.location)}">Moved Permanently</a>.\n\n`));
        } else {
          w.writeHeader(301);
        }
        return;
      case 'methodNotAllowed':
        w.setHeader('Allow', m.allow.join(', '));
        return w.fail(405, 'Method Not Allowed');
      case 'notFound':
        return w.fail(404, '404 page not found');
    }
  }

  /** Stops accepting, waits up to `graceMs` for requests in flight, then closes every connection. */
  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    this.accepting = 'no';
    const withdrawn = this.handoff?.withdraw();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    if (this.inFlight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, graceMs - 50));
        this.idle.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    for (const x of this.exchanges.values()) x.response.fail(503, 'server shutting down');
    this.handoff?.stopping();
    this.relays.closeAll();
    this.server.closeAllConnections();
    await closed;
    await withdrawn;
  }
}

function htmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&#34;').replace(/'/g, '&#39;');
}
