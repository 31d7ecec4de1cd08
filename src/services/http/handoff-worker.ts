/**
 * A worker thread's side of the HTTP handoff (handoff.ts): the http.service here listens on nothing; it runs
 * the handlers thread 1 hands it, each with a request made from the message, a body pulled from thread 1 a
 * chunk at a time, and the usual ResponseWriter (Go's buffering, sniffing, Content-Length) whose bytes go back
 * to thread 1 instead of to a socket, at most RESPONSE_WINDOW ahead of what the client took.
 */
import type { MessagePort } from 'worker_threads';
import { STREAM_CLOSED, type Maybe } from '../../lib/byte-stream';
import { HandlerBody, ResponseWriter, type HeaderMap, type ResponseSink } from './exchange';
import { callFunction, type HandlerEnv, type HandlerExchange } from './handler';
import { Outbox, RESPONSE_WINDOW, headerList, headerMap, movable, type RequestHead, type ToMain, type ToWorker } from './handoff-wire';
import { securityFrom } from '../security/portable';
import type { HttpRequestView } from '../../api/http';
import type { SecurityContext } from '../../lib/security';
import type { Value } from '../../kernel/value';
import type { ServiceThreads } from '../service';

type Post = (m: ToMain, transfer?: ArrayBuffer[]) => void;

/** The response's bytes to thread 1: the head rides with the first bytes (or the end) posted in the same turn. */
class PortSink implements ResponseSink {
  private head: { status: number; headers: HeaderMap } | null = null;
  private unacked = 0;
  private gone = false;
  private ended = false;
  private waiters: { resolve(): void; reject(e: Error): void }[] = [];
  /** The response's end, held until the handler is done so that both go in one message. */
  private last: Extract<ToMain, { t: 'res' }> | null = null;
  private lastTransfer: ArrayBuffer[] | undefined;

  constructor(
    private readonly id: number,
    private readonly post: Post,
  ) {}

  get closed(): boolean {
    return this.gone || this.ended;
  }

  writeHead(status: number, headers: HeaderMap): void {
    this.head = { status, headers };
    queueMicrotask(() => {
      if (this.head !== null) this.send(null, false);
    });
  }

  write(chunk: Uint8Array): boolean {
    this.send(chunk, false);
    this.unacked += chunk.length;
    return this.unacked < RESPONSE_WINDOW;
  }

  drained(): Promise<void> {
    if (this.gone) return Promise.reject(new Error('client disconnected'));
    if (this.unacked < RESPONSE_WINDOW) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  end(chunk?: Uint8Array): void {
    this.ended = true;
    this.send(chunk ?? null, true);
  }

  /** The handler is done, having cost `cost` ms here: its response's end goes now, saying so, or a bare `done`. */
  done(cost: number): void {
    const last = this.last;
    this.last = null;
    if (last === null) this.post({ t: 'done', id: this.id, cost });
    else this.post({ ...last, done: true, cost }, this.lastTransfer);
  }

  acked(bytes: number): void {
    this.unacked -= bytes;
    if (this.unacked >= RESPONSE_WINDOW) return;
    for (const w of this.waiters.splice(0)) w.resolve();
  }

  disconnected(): void {
    this.gone = true;
    for (const w of this.waiters.splice(0)) w.reject(new Error('client disconnected'));
  }

  private send(chunk: Uint8Array | null, end: boolean): void {
    const head = this.head === null ? null : { status: this.head.status, headers: headerList(this.head.headers) };
    this.head = null;
    const own = chunk === null || chunk.length === 0 ? null : movable(chunk);
    const m: Extract<ToMain, { t: 'res' }> = { t: 'res', id: this.id, head, data: own?.data ?? null, end, done: false, cost: 0 };
    if (!end) return this.post(m, own?.transfer);
    this.last = m;
    this.lastTransfer = own?.transfer;
  }
}

/** The request body, pulled from thread 1 as the handler reads it. */
class PulledBody extends HandlerBody {
  private ended = false;
  waiting: { resolve(c: Uint8Array | null): void; reject(e: Error): void } | null = null;

  constructor(
    private readonly id: number,
    size: number,
    private readonly post: Post,
  ) {
    super(size);
  }

  override read(max: number): Maybe<Uint8Array | null> {
    if (this.closed) throw new Error(STREAM_CLOSED);
    if (this.ended) return null;
    if (this.waiting !== null) throw new Error('a read of the request body is already waiting');
    return new Promise((resolve, reject) => {
      this.waiting = {
        resolve: (c) => {
          if (c === null) this.ended = true;
          resolve(c);
        },
        reject,
      };
      this.post({ t: 'pull', id: this.id, max: Math.max(1, max) });
    });
  }

  protected release(): void {
    if (!this.ended) this.post({ t: 'pull', id: this.id, max: 0 });
  }

  answer(m: Extract<ToWorker, { t: 'chunk' }>): void {
    const w = this.waiting;
    this.waiting = null;
    if (m.error !== null) w?.reject(new Error(m.error));
    else w?.resolve(m.data);
  }

  fail(): void {
    const w = this.waiting;
    this.waiting = null;
    w?.reject(new Error('client disconnected'));
  }
}

type HandedRequest = HttpRequestView & { readonly body: PulledBody | null };

/** The request as the message gave it; the body is pulled when taken. */
function handedRequest(head: RequestHead, id: number, post: Post): HandedRequest {
  let body: PulledBody | null = null;
  return {
    ...head,
    headers: headerMap(head.headers),
    params: head.params === null ? null : new Map(head.params),
    get body() {
      return body;
    },
    takeBody() {
      if (body !== null || head.contentLength === 0) return null;
      body = new PulledBody(id, head.contentLength, post);
      return body;
    },
  };
}

class HandedExchange implements HandlerExchange {
  readonly request: HandedRequest;
  readonly response: ResponseWriter;
  readonly sink: PortSink;
  readonly context: ReadonlyMap<string, Value> = new Map();
  private goneFns: (() => void)[] = [];

  constructor(
    m: Extract<ToWorker, { t: 'call' }>,
    post: Post,
    readonly security: SecurityContext | null,
  ) {
    this.request = handedRequest(m.request, m.id, post);
    this.sink = new PortSink(m.id, post);
    this.response = new ResponseWriter(this.sink, m.request.method === 'HEAD');
    for (const [k, v] of m.headers) this.response.headers.set(k, v);
  }

  whenGone(fn: () => void): () => void {
    this.goneFns.push(fn);
    return () => (this.goneFns = this.goneFns.filter((f) => f !== fn));
  }

  disconnected(): void {
    this.sink.disconnected();
    this.request.body?.fail();
    for (const fn of this.goneFns.splice(0)) fn();
  }
}

const hubs = new WeakMap<ServiceThreads, WorkerHub>();

class WorkerHub {
  private readonly servers = new Map<string, HandlerEnv>();
  private readonly calls = new Map<number, HandedExchange>();
  /** Per server: what takes the socket copy asked for, and what closes the copy when thread 1 asks. */
  private readonly takers = new Map<string, (fd: number | null) => void>();
  private readonly droppers = new Map<string, () => void>();
  private readonly post: Post;

  constructor(port: MessagePort) {
    const outbox = new Outbox<ToMain>(port);
    this.post = (m, transfer) => outbox.push(m, transfer);
    port.on('message', (batch: ToWorker[]) => {
      for (const m of batch) this.receive(m);
    });
  }

  serve(server: string, env: HandlerEnv): WorkerSide {
    this.servers.set(server, env);
    this.post({ t: 'ready', server });
    return {
      stop: () => {
        if (this.servers.get(server) !== env) return;
        this.servers.delete(server);
        this.takers.delete(server);
        this.droppers.delete(server);
        this.post({ t: 'down', server });
      },
      onDrop: (drop) => void this.droppers.set(server, drop),
      dropped: () => this.post({ t: 'dropped', server }),
      askSocket: (take) => {
        this.takers.set(server, take);
        this.post({ t: 'listen', server });
      },
      listening: (fd) => this.post({ t: 'listening', server, fd }),
      unused: (fd) => this.post({ t: 'unused', server, fd }),
    };
  }

  private receive(m: ToWorker): void {
    if (m.t === 'socket') {
      const take = this.takers.get(m.server);
      this.takers.delete(m.server);
      if (take !== undefined) take(m.fd);
      else if (m.fd !== null) this.post({ t: 'unused', server: m.server, fd: m.fd });
      return;
    }
    if (m.t === 'drop') {
      const drop = this.droppers.get(m.server);
      if (drop !== undefined) drop();
      else this.post({ t: 'dropped', server: m.server });
      return;
    }
    if (m.t !== 'call') {
      const x = this.calls.get(m.id);
      if (x === undefined) return;
      if (m.t === 'chunk') x.request.body?.answer(m);
      else if (m.t === 'ack') x.sink.acked(m.bytes);
      else x.disconnected();
      return;
    }
    const env = this.servers.get(m.server);
    // A registry changed here at run time may no longer have what thread 1 routes to.
    if (env === undefined || env.service.store.version.id !== 0) return this.post({ t: 'refused', id: m.id });
    const x = new HandedExchange(m, this.post, securityFrom(m.security, env.service.store.current));
    this.calls.set(m.id, x);
    let cost = 0;
    void callFunction(env, m.func, x, (ms) => (cost = ms)).finally(() => {
      this.calls.delete(m.id);
      x.sink.done(cost);
    });
  }
}

/** A worker's http.service `server` as thread 1 knows it. */
export interface WorkerSide {
  /** No longer takes handlers (nor a socket asked for). */
  stop(): void;
  /** Asks thread 1 for a copy of the listening socket; `take` gets it (null: none to be had). */
  askSocket(take: (fd: number | null) => void): void;
  /** Listens on the copy `fd` (it is this thread's to close from now on). */
  listening(fd: number): void;
  /** Will not listen on the copy `fd` (thread 1 closes it). */
  unused(fd: number): void;
  /** `drop` closes the copy listened on when thread 1's server stops; then `dropped` says so. */
  onDrop(drop: () => void): void;
  dropped(): void;
}

/** Takes handlers of http.service `server` from thread 1, and the socket copies it asks for. */
export function serveHandoff(threads: ServiceThreads, server: string, env: HandlerEnv): WorkerSide {
  let hub = hubs.get(threads);
  if (hub === undefined) {
    const port = threads.ports.get(1);
    if (port === undefined) throw new Error('a worker thread without a port to thread 1');
    hub = new WorkerHub(port);
    hubs.set(threads, hub);
  }
  return hub.serve(server, env);
}
