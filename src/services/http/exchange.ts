/**
 * One request and its response as Go's net/http gives them to Wippy's handlers: `writeHeader` commits the
 * status and a snapshot of the headers (later header changes are refused), a body without a Content-Type is
 * sniffed, up to 2 KiB is buffered so a small response goes out whole with a Content-Length, and what goes
 * out after that is streamed with backpressure. The bytes reach a `ResponseSink`: a Node ServerResponse, or
 * the raw socket of an upgrade request that was not upgraded.
 */
import type { IncomingMessage, ServerResponse } from 'http';
import type { Socket } from 'net';
import { STATUS_CODES } from 'http';
import { BaseStream, ReadableByteStream, STREAM_CLOSED, type ByteStream, type Maybe, type StreamInfo } from '../../lib/byte-stream';
import { canonicalHeaderKey } from '../../lib/http-header';
import type { HttpExchange, HttpRequestView, HttpResponseWriter } from '../../api/http';
import type { Value } from '../../kernel/value';
import { detectContentType } from './sniff';
import type { SecurityContext } from '../../lib/security';

/** Go's bufferBeforeChunkingSize. */
const BUFFER_BEFORE_STREAMING = 2048;

export type HeaderMap = Map<string, string[]>;

export interface ResponseSink {
  /** The client is gone (or the response ended). */
  readonly closed: boolean;
  writeHead(status: number, headers: HeaderMap): void;
  /** False: wait for `drained()` before writing more. */
  write(chunk: Uint8Array): boolean;
  drained(): Promise<void>;
  end(chunk?: Uint8Array): void;
}

export class NodeSink implements ResponseSink {
  constructor(readonly res: ServerResponse) {}

  /** A request body the handler left unread (a 1 GB upload) is not drained for keep-alive: the connection closes. */
  private closeWhenBodyLeft(): void {
    const req = this.res.req;
    if (!req.complete) this.res.shouldKeepAlive = false;
  }

  get closed(): boolean {
    return this.res.writableEnded || this.res.destroyed;
  }

  writeHead(status: number, headers: HeaderMap): void {
    this.closeWhenBodyLeft();
    const out: Record<string, string[]> = {};
    for (const [k, v] of headers) out[k] = v;
    this.res.writeHead(status, out);
  }

  write(chunk: Uint8Array): boolean {
    return this.res.write(chunk);
  }

  drained(): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = (): void => {
        this.res.off('drain', done);
        this.res.off('close', gone);
        resolve();
      };
      const gone = (): void => {
        this.res.off('drain', done);
        this.res.off('close', gone);
        reject(new Error('client disconnected'));
      };
      this.res.on('drain', done);
      this.res.on('close', gone);
    });
  }

  end(chunk?: Uint8Array): void {
    if (chunk === undefined) this.res.end();
    else this.res.end(chunk);
  }
}

/** An upgrade request answered as plain HTTP on its socket (then closed). */
export class SocketSink implements ResponseSink {
  private ended = false;
  constructor(private readonly socket: Socket) {}

  get closed(): boolean {
    return this.ended || this.socket.destroyed;
  }

  writeHead(status: number, headers: HeaderMap): void {
    let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'status'}\r\n`;
    for (const [k, vs] of headers) for (const v of vs) head += `${k}: ${v}\r\n`;
    if (!headers.has('Connection')) head += 'Connection: close\r\n';
    this.socket.write(head + '\r\n');
  }

  write(chunk: Uint8Array): boolean {
    return this.socket.write(chunk);
  }

  drained(): Promise<void> {
    return new Promise((resolve) => this.socket.once('drain', resolve));
  }

  end(chunk?: Uint8Array): void {
    this.ended = true;
    if (chunk !== undefined) this.socket.end(chunk);
    else this.socket.end();
  }
}

export class ResponseWriter implements HttpResponseWriter {
  readonly headers: HeaderMap = new Map();
  handled = false;
  status = 0;
  /** Headers as they were when the status was committed. */
  private committed: HeaderMap | null = null;
  private buffer: Uint8Array[] = [];
  private buffered = 0;
  private streaming = false;
  private finished = false;
  /** Bytes of body handed to the sink. */
  written = 0;
  /** Runs when headers are about to go out (middleware that rewrites them: compress). */
  beforeHead: ((status: number, headers: HeaderMap) => void)[] = [];
  /**
   * Asked just before headers go out; true means the middleware took the connection over (a relay's
   * upgrade): nothing is written here, and the response counts as ended.
   */
  takeOver: ((status: number, headers: HeaderMap) => boolean) | null = null;

  constructor(
    public sink: ResponseSink,
    private readonly noBody: boolean,
  ) {}

  get headersSent(): boolean {
    return this.committed !== null;
  }

  get ended(): boolean {
    return this.finished;
  }

  setHeader(name: string, value: string): boolean {
    if (this.committed !== null) return false;
    this.headers.set(canonicalHeaderKey(name), [value]);
    return true;
  }

  addHeader(name: string, value: string): void {
    if (this.committed !== null) return;
    const key = canonicalHeaderKey(name);
    const list = this.headers.get(key);
    if (list === undefined) this.headers.set(key, [value]);
    else list.push(value);
  }

  deleteHeader(name: string): void {
    if (this.committed === null) this.headers.delete(canonicalHeaderKey(name));
  }

  header(name: string): string | undefined {
    return this.headers.get(canonicalHeaderKey(name))?.[0];
  }

  writeHeader(status: number): boolean {
    if (this.committed !== null) return false;
    this.status = status;
    this.committed = new Map([...this.headers].map(([k, v]) => [k, [...v]]));
    return true;
  }

  write(data: Uint8Array): Maybe<void> {
    if (this.finished || this.sink.closed) return Promise.reject(new Error('client disconnected'));
    this.writeHeader(200);
    if (data.length === 0) return;
    if (!this.streaming) {
      this.buffer.push(data);
      this.buffered += data.length;
      if (this.buffered <= BUFFER_BEFORE_STREAMING) return;
      return this.startStreaming();
    }
    return this.push(data);
  }

  flush(): Maybe<void> {
    if (this.finished) return;
    this.writeHeader(200);
    if (!this.streaming) return this.startStreaming();
  }

  /** Ends the response: sends what is buffered (whole, with a Content-Length when nothing went out yet). */
  end(): void {
    if (this.finished) return;
    if (this.sink.closed) {
      this.finished = true;
      return;
    }
    this.writeHeader(200);
    if (!this.streaming && this.takenOver()) return;
    this.finished = true;
    if (this.streaming) {
      this.sink.end();
      return;
    }
    const body = this.buffered === 0 ? undefined : Buffer.concat(this.buffer, this.buffered);
    this.buffer = [];
    const headers = this.outgoing(body);
    if (!headers.has('Transfer-Encoding') && bodyAllowed(this.status) && !headers.has('Content-Length')) headers.set('Content-Length', [String(body?.length ?? 0)]);
    this.sink.writeHead(this.status, headers);
    this.written += body?.length ?? 0;
    this.sink.end(this.noBody ? undefined : body);
  }

  /** Go's http.Error: replaces whatever was set, when nothing was sent yet. */
  fail(status: number, text: string): void {
    if (this.committed !== null) return;
    this.headers.delete('Content-Length');
    this.headers.set('Content-Type', ['text/plain; charset=utf-8']);
    this.headers.set('X-Content-Type-Options', ['nosniff']);
    this.writeHeader(status);
    this.buffer = [Buffer.from(`${text}\n`)];
    this.buffered = this.buffer[0].length;
    this.end();
  }

  /** Whether a relay took the connection: then this writer is done. */
  private takenOver(): boolean {
    if (this.takeOver === null || !this.takeOver(this.status, this.committed ?? this.headers)) return false;
    this.finished = true;
    this.buffer = [];
    return true;
  }

  private startStreaming(): Maybe<void> {
    if (this.takenOver()) return Promise.reject(new Error('connection taken over by a relay'));
    this.streaming = true;
    const body = Buffer.concat(this.buffer, this.buffered);
    this.buffer = [];
    this.buffered = 0;
    this.sink.writeHead(this.status, this.outgoing(body));
    if (body.length === 0) return;
    return this.push(body);
  }

  private push(data: Uint8Array): Maybe<void> {
    this.written += data.length;
    if (this.noBody) return;
    if (this.sink.write(data)) return;
    return this.sink.drained();
  }

  /** The committed headers, with the sniffed Content-Type a body without one gets, as Go sends them. */
  private outgoing(firstBytes: Uint8Array | undefined): HeaderMap {
    const headers = this.committed ?? new Map();
    if (!headers.has('Content-Type') && !headers.has('Transfer-Encoding') && bodyAllowed(this.status) && firstBytes !== undefined && firstBytes.length > 0) {
      headers.set('Content-Type', [detectContentType(firstBytes)]);
    }
    for (const fn of this.beforeHead) fn(this.status, headers);
    return headers;
  }
}

function bodyAllowed(status: number): boolean {
  return !((status >= 100 && status < 200) || status === 204 || status === 304);
}

/** A request body a handler reads once, of a known size or -1; closing it lets go of the rest (`release`). */
export abstract class HandlerBody extends BaseStream {
  protected closed = false;

  constructor(protected readonly size: number) {
    super();
  }

  stat(): StreamInfo {
    if (this.closed) throw new Error(STREAM_CLOSED);
    return { size: this.size, position: -1, readable: true, writable: false, seekable: false };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.release();
  }

  protected abstract release(): void;
}

/** The body from this thread's socket; closing it drains the rest instead of killing the connection. */
export class RequestBody extends HandlerBody {
  private readonly inner: ReadableByteStream;
  private read_ = 0;

  constructor(
    private readonly req: IncomingMessage,
    size: number,
    private readonly max: number,
  ) {
    super(size);
    this.inner = new ReadableByteStream(req, size);
  }

  override read(max: number): Maybe<Uint8Array | null> {
    if (this.closed) throw new Error(STREAM_CLOSED);
    const r = this.inner.read(max);
    if (r instanceof Promise) return r.then((c) => this.count(c));
    return this.count(r);
  }

  private count(chunk: Uint8Array | null): Uint8Array | null {
    if (chunk !== null) {
      this.read_ += chunk.length;
      if (this.read_ > this.max) throw new Error('request body too large');
    }
    return chunk;
  }

  protected release(): void {
    this.req.removeAllListeners('readable');
    this.req.resume();
  }
}

export interface RouteInfo {
  params: ReadonlyMap<string, string>;
  /** The endpoint entry id the request was routed to. */
  endpoint: string;
}

/** One request in flight: what a handler and the middleware around it see. */
export class Exchange implements HttpExchange {
  readonly request: RequestInfo;
  readonly response: ResponseWriter;
  route: RouteInfo | null = null;
  /** The actor and scope `token_auth` found for the request; the endpoint's function runs with them. */
  security: SecurityContext | null = null;
  /** Set by `real_ip`. */
  remoteAddr: string;
  /**
   * Context values middleware gives the handler process (token_auth's actor and scope): merged under the
   * server's own keys when the handler is spawned.
   */
  readonly context = new Map<string, Value>();

  constructor(
    readonly req: IncomingMessage,
    sink: ResponseSink,
    readonly maxBodyBytes: number,
    /** The raw socket and head bytes of an upgrade request. */
    readonly upgrade: { readonly socket: Socket; readonly head: Buffer } | null = null,
  ) {
    const socket = req.socket;
    const ip = socket.remoteAddress ?? '';
    this.remoteAddr = `${ip.includes(':') ? `[${ip}]` : ip}:${socket.remotePort ?? 0}`;
    this.response = new ResponseWriter(sink, req.method === 'HEAD');
    this.request = new RequestInfo(this);
  }

  whenGone(fn: () => void): () => void {
    const socket = this.req.socket;
    socket.once('close', fn);
    return () => socket.off('close', fn);
  }
}

class RequestInfo implements HttpRequestView {
  readonly method: string;
  readonly path: string;
  readonly rawQuery: string;
  private headerMap: Map<string, string[]> | null = null;
  private bodyTaken = false;

  constructor(private readonly x: Exchange) {
    const req = x.req;
    this.method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const rawPath = q < 0 ? url : url.slice(0, q);
    this.rawQuery = q < 0 ? '' : url.slice(q + 1);
    let path = rawPath;
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      // Go keeps an undecodable path as sent
    }
    this.path = path;
  }

  get host(): string {
    return this.x.req.headers.host ?? '';
  }

  get remoteAddr(): string {
    return this.x.remoteAddr;
  }

  get headers(): ReadonlyMap<string, readonly string[]> {
    if (this.headerMap === null) {
      const map = new Map<string, string[]>();
      const raw = this.x.req.rawHeaders;
      for (let i = 0; i + 1 < raw.length; i += 2) {
        const key = canonicalHeaderKey(raw[i]);
        // Go moves Host out of the header map into r.Host.
        if (key === 'Host') continue;
        const list = map.get(key);
        if (list === undefined) map.set(key, [raw[i + 1]]);
        else list.push(raw[i + 1]);
      }
      this.headerMap = map;
    }
    return this.headerMap;
  }

  get contentLength(): number {
    const cl = this.x.req.headers['content-length'];
    if (cl !== undefined && /^\d+$/.test(cl)) return Number(cl);
    return this.x.req.headers['transfer-encoding'] !== undefined ? -1 : 0;
  }

  get params(): ReadonlyMap<string, string> | null {
    return this.x.route?.params ?? null;
  }

  get maxBodyBytes(): number {
    return this.x.maxBodyBytes;
  }

  takeBody(): ByteStream | null {
    if (this.bodyTaken) return null;
    const req = this.x.req;
    if (this.contentLength === 0) return null;
    this.bodyTaken = true;
    return new RequestBody(req, this.contentLength, this.x.maxBodyBytes);
  }
}
