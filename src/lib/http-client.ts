/**
 * Outgoing HTTP requests as Go's net/http client makes them for Wippy's `http_client` (spec:
 * src/modules/http_client/spec.md), on undici: the same request shapes (query merged and re-encoded, form,
 * multipart, cookies, basic auth, transparent gzip), redirects as Go follows them, one deadline for the whole
 * exchange, a bounded response body, Go-canonical header names and Go-like error texts.
 *
 * Hostile peers are bounded: at most MAX_IN_FLIGHT exchanges run at once (more wait for a turn, their deadline
 * running), a buffered body may not pass its limit (nor all buffered bodies together BUFFERED_BUDGET), a
 * streamed body is pulled only as fast as it is read, and open response streams are limited per process and
 * in all (an error past the limit, so one process's streams never hold up another's requests).
 */
import { Agent, request, type Dispatcher } from 'undici';
import { randomBytes } from 'crypto';
import { createGunzip } from 'zlib';
import type { Readable } from 'stream';
import { ReadableByteStream, type ByteStream } from './byte-stream';
import { canonicalHeaderKey } from './http-header';
import { messageOf } from './message';

/** Go's http.Client timeout in Wippy's client pool. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** Exchanges running at once across the runtime; more wait for a turn. */
export const MAX_IN_FLIGHT = 256;
/** Bytes all buffered (not streamed) response bodies may hold together. */
export const BUFFERED_BUDGET = 512 * 1024 * 1024;
/** Go's default for following redirects. */
const MAX_REDIRECTS = 10;
/** Response streams open at once in the runtime, and per owner (a process). */
export const MAX_OPEN_STREAMS = 1024;
export const MAX_STREAMS_PER_OWNER = 64;
/** Agents kept for distinct unix sockets (each has its own connection pool). */
const MAX_SOCKET_AGENTS = 32;

export interface FileUpload {
  readonly field: string;
  readonly filename: string;
  readonly data: Uint8Array;
}

export interface HttpRequest {
  readonly method: string;
  readonly url: string;
  /** In the order given; a name given twice is sent twice (Go's Header.Add). */
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Uint8Array | null;
  readonly query: readonly (readonly [string, string])[];
  readonly cookies: readonly (readonly [string, string])[];
  readonly form: readonly (readonly [string, string])[];
  readonly files: readonly FileUpload[];
  readonly auth: { readonly user: string; readonly pass: string } | null;
  /** Milliseconds for the whole exchange, body included; 0: the default. */
  readonly timeoutMs: number;
  readonly stream: boolean;
  /** Largest buffered body; larger is an error. */
  readonly maxBody: number;
  readonly unixSocket: string | null;
}

export interface HttpResponse {
  readonly status: number;
  /** The final URL, after redirects. */
  readonly url: string;
  /** First value of each header, by Go-canonical name. */
  readonly headers: ReadonlyMap<string, string>;
  readonly cookies: ReadonlyMap<string, string>;
  /** The body when buffered. */
  readonly body: Uint8Array | null;
  /** The body when streamed. */
  readonly stream: ByteStream | null;
}

/** An exchange that failed; `message` is what Lua sees (Go's wording where it has one). */
export class HttpClientError extends Error {}

// No cap per origin, as Go's transport has none: the turns below bound exchanges, MAX_OPEN_STREAMS open bodies.
const defaultAgent = new Agent({ keepAliveTimeout: 90_000, headersTimeout: 0, bodyTimeout: 0 });
const socketAgents = new Map<string, Agent>();

function agentFor(unixSocket: string | null): Dispatcher {
  if (unixSocket === null) return defaultAgent;
  let agent = socketAgents.get(unixSocket);
  if (agent === undefined) {
    if (socketAgents.size >= MAX_SOCKET_AGENTS) {
      const [oldest, old] = socketAgents.entries().next().value as [string, Agent];
      socketAgents.delete(oldest);
      void old.close().catch(() => {});
    }
    agent = new Agent({ connect: { socketPath: unixSocket }, headersTimeout: 0, bodyTimeout: 0 });
  } else socketAgents.delete(unixSocket);
  socketAgents.set(unixSocket, agent); // most recently used last
  return agent;
}

/** Turns for exchanges: a counting semaphore. */
class Turns {
  private used = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}

  take(signal: AbortSignal): Promise<void> {
    if (this.used < this.limit) {
      this.used++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const go = (): void => {
        signal.removeEventListener('abort', quit);
        this.used++;
        resolve();
      };
      const quit = (): void => {
        const i = this.waiting.indexOf(go);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(signal.reason);
      };
      signal.addEventListener('abort', quit, { once: true });
      this.waiting.push(go);
    });
  }

  give(): void {
    this.used--;
    const next = this.waiting.shift();
    if (next !== undefined) next();
  }
}

const turns = new Turns(MAX_IN_FLIGHT);
let buffered = 0;

/** Open response streams, in all and by owner. */
let openStreams = 0;
const streamsOf = new WeakMap<object, number>();

/** Counts a response stream to be opened for `owner`; false past a limit. `release` undoes it. */
function reserveStream(owner: object): boolean {
  const mine = streamsOf.get(owner) ?? 0;
  if (openStreams >= MAX_OPEN_STREAMS || mine >= MAX_STREAMS_PER_OWNER) return false;
  openStreams++;
  streamsOf.set(owner, mine + 1);
  return true;
}

function releaseStream(owner: object): void {
  openStreams--;
  streamsOf.set(owner, (streamsOf.get(owner) ?? 1) - 1);
}

/** Go's url.Error operation: the method with only its first letter upper case ("Get", "Post"). */
function op(method: string): string {
  return method.charAt(0).toUpperCase() + method.slice(1).toLowerCase();
}

/** Go's url.QueryEscape (space as `+`). */
export function queryEscape(s: string | Uint8Array): string {
  const bytes = typeof s === 'string' ? Buffer.from(s, 'utf8') : Buffer.from(s);
  let out = '';
  for (const b of bytes) {
    if ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x2d || b === 0x5f || b === 0x2e || b === 0x7e) out += String.fromCharCode(b);
    else if (b === 0x20) out += '+';
    else out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Go's url.QueryUnescape as bytes; null for a bad escape (Go's message is made by the caller). */
export function queryUnescape(s: Uint8Array): Uint8Array | { bad: string } {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const b = s[i];
    if (b === 0x25) {
      const hex = Buffer.from(s.subarray(i + 1, i + 3)).toString('latin1');
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) return { bad: Buffer.from(s.subarray(i, i + 3)).toString('latin1') };
      out.push(parseInt(hex, 16));
      i += 2;
    } else out.push(b === 0x2b ? 0x20 : b);
  }
  return new Uint8Array(out);
}

/** Go's url.Values.Encode: keys sorted, each value query-escaped. */
function encodeValues(values: Map<string, string[]>): string {
  return [...values.keys()]
    .sort()
    .flatMap((k) => (values.get(k) ?? []).map((v) => `${queryEscape(k)}=${queryEscape(v)}`))
    .join('&');
}

/** Go's url.ParseQuery (lenient: a malformed pair is skipped). */
function parseQuery(raw: string): Map<string, string[]> {
  const values = new Map<string, string[]>();
  for (const part of raw.split('&')) {
    if (part === '' || part.includes(';')) continue;
    const eq = part.indexOf('=');
    const [k, v] = eq < 0 ? [part, ''] : [part.slice(0, eq), part.slice(eq + 1)];
    const key = unescapeText(k);
    const value = unescapeText(v);
    if (key === null || value === null) continue;
    const list = values.get(key);
    if (list === undefined) values.set(key, [value]);
    else list.push(value);
  }
  return values;
}

function unescapeText(s: string): string | null {
  const r = queryUnescape(Buffer.from(s, 'utf8'));
  return r instanceof Uint8Array ? Buffer.from(r).toString('utf8') : null;
}

/** The URL with `query` set over its own query (Go: q.Set per key, then Encode, which sorts). */
function withQuery(url: URL, query: HttpRequest['query']): URL {
  if (query.length === 0) return url;
  const values = parseQuery(url.search.slice(1));
  for (const [k, v] of query) values.set(k, [v]);
  const out = new URL(url.href);
  out.search = encodeValues(values);
  return out;
}

/** Go's multipart quoting of names in Content-Disposition. */
function escapeQuotes(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

/** The request body and the Content-Type it implies (Go: files, else form, else body). */
function encodeBody(req: HttpRequest): { body: Uint8Array | null; contentType: string | null } {
  if (req.files.length > 0) {
    const boundary = randomBytes(30).toString('hex');
    const parts: Buffer[] = [];
    const open = (headers: string): void => void parts.push(Buffer.from(`${parts.length === 0 ? '' : '\r\n'}--${boundary}\r\n${headers}\r\n\r\n`));
    for (const [k, v] of req.form) {
      open(`Content-Disposition: form-data; name="${escapeQuotes(k)}"`);
      parts.push(Buffer.from(v));
    }
    for (const f of req.files) {
      // Go's CreateFormFile: always application/octet-stream.
      open(`Content-Disposition: form-data; name="${escapeQuotes(f.field)}"; filename="${escapeQuotes(f.filename)}"\r\nContent-Type: application/octet-stream`);
      parts.push(Buffer.from(f.data));
    }
    parts.push(Buffer.from(`\r\n--${boundary}--\r\n`));
    return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
  }
  if (req.form.length > 0) {
    const values = new Map<string, string[]>();
    for (const [k, v] of req.form) values.set(k, [v]);
    return { body: Buffer.from(encodeValues(values)), contentType: 'application/x-www-form-urlencoded' };
  }
  return { body: req.body !== null && req.body.length > 0 ? req.body : null, contentType: null };
}

/** Header names compared as Go does (canonical form). */
function hasHeader(headers: [string, string][], name: string): boolean {
  const c = canonicalHeaderKey(name);
  return headers.some(([k]) => canonicalHeaderKey(k) === c);
}

function withoutHeaders(headers: [string, string][], names: string[]): [string, string][] {
  const drop = new Set(names);
  return headers.filter(([k]) => !drop.has(canonicalHeaderKey(k)));
}

/** Go's rule for keeping credentials on a redirect: same host, or a subdomain of the original one. */
function sameOrSubdomain(original: URL, next: URL): boolean {
  const a = original.hostname.toLowerCase();
  const b = next.hostname.toLowerCase();
  return a === b || b.endsWith(`.${a}`);
}

/** A Node or undici error in Go's words, for the url.Error Go would return. */
function describe(e: unknown, url: URL): string {
  const err = e as NodeJS.ErrnoException & { cause?: unknown };
  const cause = (err.cause ?? err) as NodeJS.ErrnoException & { address?: string; port?: number };
  const host = url.port === '' ? `${url.hostname}:${url.protocol === 'https:' ? 443 : 80}` : `${url.hostname}:${url.port}`;
  switch (cause.code) {
    case 'ECONNREFUSED':
      return `dial tcp ${cause.address !== undefined ? `${cause.address}:${cause.port}` : host}: connect: connection refused`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `dial tcp: lookup ${url.hostname}: no such host`;
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return `read tcp ${host}: connection reset by peer`;
    case 'ENOENT':
      return `dial unix: connect: no such file or directory`;
    case 'UND_ERR_HEADERS_OVERFLOW':
      return 'net/http: server response headers exceeded the limit';
    default:
      return messageOf(cause);
  }
}

const TIMEOUT_HEADERS = 'context deadline exceeded (Client.Timeout exceeded while awaiting headers)';
const TIMEOUT_BODY = 'context deadline exceeded (Client.Timeout or context cancellation while reading body)';

/**
 * Sends one request, following redirects; resolves with the response or rejects with an HttpClientError.
 * `owner` (the process) is what the per-owner limit of open response streams counts by.
 */
export async function send(req: HttpRequest, cancel?: AbortSignal, owner: object = defaultAgent): Promise<HttpResponse> {
  let url: URL;
  try {
    url = withQuery(new URL(req.url), req.query);
  } catch {
    throw new HttpClientError(`parse "${req.url}": invalid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new HttpClientError(`${op(req.method)} "${req.url}": unsupported protocol scheme "${url.protocol.replace(/:$/, '')}"`);

  const timeoutMs = req.timeoutMs > 0 ? req.timeoutMs : DEFAULT_TIMEOUT_MS;
  const deadline = new AbortController();
  const timedOut = new HttpClientError(TIMEOUT_HEADERS);
  const timer = setTimeout(() => deadline.abort(timedOut), timeoutMs);
  const onCancel = (): void => deadline.abort(new HttpClientError('context canceled'));
  cancel?.addEventListener('abort', onCancel, { once: true });
  const done = (): void => {
    clearTimeout(timer);
    cancel?.removeEventListener('abort', onCancel);
  };

  if (req.stream && !reserveStream(owner)) {
    done();
    throw new HttpClientError(`${op(req.method)} "${url.href}": too many open response streams (at most ${MAX_STREAMS_PER_OWNER} per process, ${MAX_OPEN_STREAMS} in all)`);
  }
  let streamed = false;
  try {
    await turns.take(deadline.signal);
  } catch (e) {
    done();
    if (req.stream) releaseStream(owner);
    throw e instanceof HttpClientError ? new HttpClientError(`${op(req.method)} "${url.href}": ${e.message}`) : e;
  }
  try {
    const { body, contentType } = encodeBody(req);
    let headers: [string, string][] = [];
    if (contentType !== null) headers.push(['Content-Type', contentType]);
    for (const [k, v] of req.headers) headers.push([canonicalHeaderKey(k), v]);
    if (req.cookies.length > 0) headers.push(['Cookie', req.cookies.map(([k, v]) => `${k}=${v}`).join('; ')]);
    if (req.auth !== null) headers.push(['Authorization', `Basic ${Buffer.from(`${req.auth.user}:${req.auth.pass}`).toString('base64')}`]);
    if (!hasHeader(headers, 'User-Agent')) headers.push(['User-Agent', 'Go-http-client/1.1']);
    const decompress = !hasHeader(headers, 'Accept-Encoding') && req.method !== 'HEAD';
    if (decompress) headers.push(['Accept-Encoding', 'gzip']);

    let method = req.method;
    let payload = body;
    const first = url;
    for (let redirects = 0; ; redirects++) {
      let res: Dispatcher.ResponseData;
      try {
        res = await request(url, {
          method: method as Dispatcher.HttpMethod,
          headers: headers.flat(),
          body: payload === null ? null : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength),
          dispatcher: agentFor(req.unixSocket),
          signal: deadline.signal,
          headersTimeout: 0,
          bodyTimeout: 0,
        });
      } catch (e) {
        throw new HttpClientError(`${op(method)} "${url.href}": ${e instanceof HttpClientError ? e.message : describe(e, url)}`);
      }
      const location = res.headers.location;
      const redirect = [301, 302, 303, 307, 308].includes(res.statusCode) && typeof location === 'string' && location !== '';
      if (redirect) {
        res.body.dump().catch(() => {});
        if (redirects + 1 > MAX_REDIRECTS) throw new HttpClientError(`${op(method)} "${new URL(location, url).href}": stopped after ${MAX_REDIRECTS} redirects`);
        const next = new URL(location, url);
        if (res.statusCode <= 303) {
          if (method !== 'GET' && method !== 'HEAD') method = 'GET';
          payload = null;
          headers = withoutHeaders(headers, ['Content-Type', 'Content-Length']);
        }
        if (!sameOrSubdomain(first, next)) headers = withoutHeaders(headers, ['Authorization', 'Www-Authenticate', 'Cookie', 'Cookie2']);
        headers = withoutHeaders(headers, ['Referer']);
        if (!(url.protocol === 'https:' && next.protocol === 'http:')) headers.push(['Referer', url.href]);
        url = next;
        continue;
      }
      const responseHeaders = canonicalHeaders(res.headers);
      const cookies = parseSetCookies(res.headers['set-cookie']);
      let source: Readable = res.body;
      if (decompress && responseHeaders.get('Content-Encoding')?.toLowerCase() === 'gzip') {
        const gunzip = createGunzip();
        source.on('error', (e) => gunzip.destroy(e));
        gunzip.on('close', () => source.destroy());
        source = source.pipe(gunzip);
        responseHeaders.delete('Content-Encoding');
        responseHeaders.delete('Content-Length');
      }
      if (req.stream) {
        // The deadline keeps running while the body is read, as Go's Client.Timeout does.
        timedOut.message = TIMEOUT_BODY;
        const length = Number(responseHeaders.get('Content-Length') ?? -1);
        const stream = new ReadableByteStream(source, Number.isFinite(length) && length >= 0 ? length : -1);
        // The turn is given back now (finally, below); the stream counts against MAX_OPEN_STREAMS until closed.
        source.once('close', () => {
          done();
          releaseStream(owner);
        });
        streamed = true;
        return { status: res.statusCode, url: url.href, headers: responseHeaders, cookies, body: null, stream };
      }
      timedOut.message = TIMEOUT_BODY;
      const data = await readLimited(source, req.maxBody);
      return { status: res.statusCode, url: url.href, headers: responseHeaders, cookies, body: data, stream: null };
    }
  } finally {
    turns.give();
    if (!streamed) {
      done();
      if (req.stream) releaseStream(owner);
    }
  }
}

/** Reads a whole body, failing past `max` bytes (or past the runtime's budget for buffered bodies). */
async function readLimited(source: Readable, max: number): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of source) {
      const b = chunk as Buffer;
      size += b.length;
      if (size > max) throw new HttpClientError(`response body too large (max ${max} bytes)`);
      if (buffered + b.length > BUFFERED_BUDGET) throw new HttpClientError(`response body too large (response bodies being read exceed ${BUFFERED_BUDGET} bytes)`);
      buffered += b.length;
      chunks.push(b);
    }
  } catch (e) {
    source.destroy();
    if (e instanceof HttpClientError) throw e;
    throw new HttpClientError(bodyError(e));
  } finally {
    for (const c of chunks) buffered -= c.length;
  }
  return new Uint8Array(Buffer.concat(chunks, size));
}

/** Why reading a body failed, in Go's words where Go has them (a connection cut mid-body: "unexpected EOF"). */
function bodyError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'ERR_STREAM_PREMATURE_CLOSE') return 'unexpected EOF';
  if (code === 'Z_DATA_ERROR' || code === 'Z_BUF_ERROR') return 'gzip: invalid header';
  return messageOf(e);
}

/** undici's lower-case headers as Go's: canonical names, first value; Transfer-Encoding is not a header in Go. */
function canonicalHeaders(raw: Record<string, string | string[] | undefined>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(raw)) {
    if (v === undefined || k === 'transfer-encoding') continue;
    const first = Array.isArray(v) ? v[0] : v;
    if (first !== undefined) out.set(canonicalHeaderKey(k), first);
  }
  return out;
}

/** Go's resp.Cookies(): name → value of each valid Set-Cookie (the last one wins), quotes removed. */
function parseSetCookies(raw: string | string[] | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]) {
    const pair = line.split(';', 1)[0].trim();
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const name = pair.slice(0, eq).trim();
    let value = pair.slice(eq + 1).trim();
    if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) continue;
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    out.set(name, value);
  }
  return out;
}
