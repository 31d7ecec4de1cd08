/**
 * What an `http.service` offers the `http` module: the request and response of the handler process that
 * serves it. The server spawns each handler with two context values (HTTP_SERVER_KEY, its entry id, and
 * HTTP_EXCHANGE_KEY, a token: src/registry/kinds/http.ts); the module asks the server's `http` facet for the exchange with that token.
 */
import type { ByteStream, Maybe } from '../lib/byte-stream';

export interface HttpRequestView {
  readonly method: string;
  /** The decoded path, without the query. */
  readonly path: string;
  /** The query text after `?` (still escaped), '' when none. */
  readonly rawQuery: string;
  readonly host: string;
  /** `ip:port` of the peer (or what `real_ip` set). */
  readonly remoteAddr: string;
  /** Headers under Go's canonical names (`Content-Type`), every value. */
  readonly headers: ReadonlyMap<string, readonly string[]>;
  /** From Content-Length; -1 when unknown (chunked). */
  readonly contentLength: number;
  /** The route's parameters; null when the request was not routed to an endpoint. */
  readonly params: ReadonlyMap<string, string> | null;
  /** Most bytes the body may have (the server's limit). */
  readonly maxBodyBytes: number;
  /** The body, readable once; null when the request has none (or it was taken already). */
  takeBody(): ByteStream | null;
}

export interface HttpResponseWriter {
  /** Status and headers are on their way: later header changes are refused. */
  readonly headersSent: boolean;
  /** The handler set or wrote something (Wippy's "handled"). */
  handled: boolean;
  /** Sets a header (a canonical name); false after headers were sent. */
  setHeader(name: string, value: string): boolean;
  header(name: string): string | undefined;
  /** Sends status and headers now (Go's WriteHeader); false when already sent. */
  writeHeader(status: number): boolean;
  /** Writes body bytes (sending a 200 first when needed); rejects when the client has gone. */
  write(data: Uint8Array): Maybe<void>;
  /** Pushes what is buffered to the client. */
  flush(): Maybe<void>;
}

export interface HttpExchange {
  readonly request: HttpRequestView;
  readonly response: HttpResponseWriter;
}

export interface HttpServerFacet {
  /** The exchange a handler process was spawned for, while it is in flight. */
  exchange(token: string): HttpExchange | undefined;
}

declare module './resources' {
  interface Facets {
    http: HttpServerFacet;
  }
}
