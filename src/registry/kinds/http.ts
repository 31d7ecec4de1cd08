/**
 * Wippy's HTTP kinds: `http.service` (a server on `addr`, supervised), and the configuration kinds it serves:
 * `http.router` (`meta.server`, `prefix`, middleware), `http.endpoint` (`meta.router`, method, path, func)
 * and `http.static` (`meta.server`, path, an `fs.directory` or a plain `directory`). `httpRoutes` turns a
 * registry's entries into one server's route patterns, as Wippy's router Build does; the registry refuses a
 * version whose patterns conflict (`check`), so a server never has to.
 */
import { isAbsolute, resolve } from 'path';
import { kindDefinition, serviceBase } from '../kind';
import { Site, describe, isMapping } from '../errors';
import { qualify, type Entry, type ServiceEntry } from '../types';
import type { Fields } from '../fields';
import { ServeMux, PatternError, RouteConflict } from '../../lib/servemux';

/** Wisp's limits against hostile clients (Wippy leaves most unset); `limits:` on the entry overrides them. */
export interface HttpLimits {
  /** Whole request headers must arrive within this (slowloris). */
  readonly headersTimeoutMs: number;
  /** The whole request (headers and body) must arrive within this. */
  readonly requestTimeoutMs: number;
  /** A keep-alive connection idle this long is closed. */
  readonly idleTimeoutMs: number;
  /** A handler still running after this gets a 503 and is terminated (0: none). */
  readonly handlerTimeoutMs: number;
  /** Most header bytes per request. */
  readonly maxHeaderBytes: number;
  /** Most body bytes a handler may read (Wippy's `http.request{max_body}` default). */
  readonly maxBodyBytes: number;
  /** Most open connections; more are closed at once. */
  readonly maxConnections: number;
}

export interface HttpServiceEntry extends ServiceEntry {
  kind: 'http.service';
  /** `host:port`; an empty host listens on every interface. */
  readonly host: string;
  readonly port: number;
  readonly addr: string;
  /** Go's Read/Write/IdleTimeout; 0 = none. */
  readonly timeouts: { readonly readMs: number; readonly writeMs: number; readonly idleMs: number };
  readonly limits: HttpLimits;
  /**
   * `host.threads`, wisp's own (src/services/http/spec.md "Threads"): under `wisp run --threads N`, how many
   * of the node's threads accept on the socket (thread 1 and the ones after it). Absent: all of them.
   */
  readonly threads?: number;
}

export interface HttpRouterEntry extends ServiceEntry {
  kind: 'http.router';
  readonly server: string;
  readonly prefix: string;
  readonly middleware: readonly string[];
  readonly options: Readonly<Record<string, string>>;
  readonly postMiddleware: readonly string[];
  readonly postOptions: Readonly<Record<string, string>>;
}

/** Context values of a handler process: the server's entry id and its exchange's token (src/api/http.ts). */
export const HTTP_SERVER_KEY = 'http.server';
export const HTTP_EXCHANGE_KEY = 'http.exchange';

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE'] as const;

export interface HttpEndpointEntry extends ServiceEntry {
  kind: 'http.endpoint';
  readonly router: string;
  readonly method: string;
  readonly path: string;
  /** Full id of the function.lua to call (not checked to exist: a missing one is a 500 at request time). */
  readonly func: string;
}

export interface HttpStaticEntry extends ServiceEntry {
  kind: 'http.static';
  readonly server: string;
  readonly path: string;
  /** Full id of an fs.directory, or '' when `directory` is given. */
  readonly fs: string;
  /** An absolute host directory (used when `fs` is ''). */
  readonly directory: string;
  readonly spa: boolean;
  readonly index: string;
  readonly cache: string;
  readonly middleware: readonly string[];
  readonly options: Readonly<Record<string, string>>;
}

export type HttpEntry = HttpServiceEntry | HttpRouterEntry | HttpEndpointEntry | HttpStaticEntry;

const DEFAULT_LIMITS: HttpLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 300_000,
  idleTimeoutMs: 60_000,
  handlerTimeoutMs: 0,
  maxHeaderBytes: 1 << 20,
  maxBodyBytes: 125_829_120,
  maxConnections: 20_000,
};

/** Middleware options: a flat map whose values YAML may have typed (numbers, booleans) are read as text. */
function optionMap(f: Fields, key: string): Record<string, string> {
  if (!f.has(key)) return {};
  const v = f.data[key];
  if (!isMapping(v)) f.typeError(key, 'a mapping of strings');
  const out: Record<string, string> = {};
  for (const [k, s] of Object.entries(v)) {
    if (typeof s === 'string' || typeof s === 'number' || typeof s === 'boolean') out[k] = String(s);
    else if (Array.isArray(s) && s.every((x) => typeof x === 'string')) out[k] = s.join(',');
    else throw f.site.error(`field "${f.path(key)}.${k}" must be a string, got ${describe(s)}`);
  }
  return out;
}

function metaRef(f: Fields, base: { meta: Record<string, unknown>; namespace: string }, key: string): string {
  const v = base.meta[key];
  if (typeof v !== 'string' || v === '') throw f.site.error(`missing required field "meta.${key}"`);
  return qualify(v, base.namespace);
}

function requiredPath(f: Fields): string {
  const path = f.requiredString('path');
  if (!path.startsWith('/')) throw f.site.error(`field "path" must start with "/", got "${path}"`);
  return path;
}

function splitAddr(f: Fields, addr: string): { host: string; port: number } {
  const colon = addr.lastIndexOf(':');
  const port = Number(addr.slice(colon + 1));
  if (colon < 0 || !Number.isInteger(port) || port < 0 || port > 65535) throw f.site.error(`field "addr" must be host:port (":8080"), got "${addr}"`);
  let host = addr.slice(0, colon);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return { host, port };
}

export const httpKinds = kindDefinition<HttpEntry>({
  kinds: ['http.service', 'http.router', 'http.endpoint', 'http.static'],
  parse: (f, base, ctx): HttpEntry => {
    switch (base.kind) {
      case 'http.service': {
        const addr = f.requiredString('addr');
        const t = f.sub('timeouts');
        const l = f.sub('limits');
        const d = DEFAULT_LIMITS;
        const threads = f.sub('host').integer('threads', undefined, 1);
        return {
          ...serviceBase(f, base, true),
          kind: 'http.service',
          addr,
          ...splitAddr(f, addr),
          timeouts: { readMs: t.durationMs('read', 0), writeMs: t.durationMs('write', 0), idleMs: t.durationMs('idle', 0) },
          limits: {
            headersTimeoutMs: l.durationMs('headers_timeout', d.headersTimeoutMs),
            requestTimeoutMs: l.durationMs('request_timeout', d.requestTimeoutMs),
            idleTimeoutMs: l.durationMs('idle_timeout', d.idleTimeoutMs),
            handlerTimeoutMs: l.durationMs('handler_timeout', d.handlerTimeoutMs),
            maxHeaderBytes: l.integer('max_header_bytes', d.maxHeaderBytes, 1024),
            maxBodyBytes: l.integer('max_body_bytes', d.maxBodyBytes, 0),
            maxConnections: l.integer('max_connections', d.maxConnections, 1),
          },
          ...(threads !== undefined ? { threads } : {}),
        };
      }
      case 'http.router': {
        const server = metaRef(f, base, 'server');
        return {
          ...serviceBase(f, base, false, [{ field: 'meta.server', id: server, kinds: ['http.service'] }]),
          kind: 'http.router',
          server,
          prefix: f.has('prefix') ? f.requiredString('prefix') : '',
          middleware: f.stringList('middleware'),
          options: optionMap(f, 'options'),
          postMiddleware: f.stringList('post_middleware'),
          postOptions: optionMap(f, 'post_options'),
        };
      }
      case 'http.endpoint': {
        const router = metaRef(f, base, 'router');
        const method = f.requiredString('method');
        if (!(HTTP_METHODS as readonly string[]).includes(method)) throw f.site.error(`field "method" must be one of ${HTTP_METHODS.join(', ')} (upper case), got "${method}"`);
        return {
          ...serviceBase(f, base, false, [{ field: 'meta.router', id: router, kinds: ['http.router'] }]),
          kind: 'http.endpoint',
          router,
          method,
          path: requiredPath(f),
          func: qualify(f.requiredString('func'), base.namespace),
        };
      }
      case 'http.static': {
        const server = metaRef(f, base, 'server');
        const fs = f.has('fs') ? qualify(f.requiredString('fs'), base.namespace) : '';
        const dir = f.has('directory') ? f.requiredString('directory') : '';
        if (fs === '' && dir === '') throw f.site.error('missing required field "fs" (an fs.directory) or "directory"');
        // Wippy moved `options.spa/index/cache` to `static_options`; both are read.
        const opts = f.has('static_options') ? f.sub('static_options') : f.sub('options');
        const refs = [{ field: 'meta.server', id: server, kinds: ['http.service'] }];
        if (fs !== '') refs.push({ field: 'fs', id: fs, kinds: ['fs.directory'] });
        return {
          ...serviceBase(f, base, false, refs),
          kind: 'http.static',
          server,
          path: requiredPath(f),
          fs,
          directory: dir === '' ? '' : isAbsolute(dir) ? resolve(dir) : resolve(ctx.root, dir),
          spa: opts.has('spa') ? opts.data.spa === true || opts.data.spa === 'true' : false,
          index: opts.has('index') ? String(opts.data.index) : 'index.html',
          cache: opts.has('cache') ? String(opts.data.cache) : '',
          middleware: f.stringList('middleware'),
          options: f.has('static_options') ? optionMap(f, 'options') : {},
        };
      }
      default:
        throw f.site.error(`unknown http kind ${base.kind}`);
    }
  },
  check: (entries, root) => {
    for (const server of entries) {
      if (server.kind !== 'http.service') continue;
      try {
        buildCheckMux(httpRoutes(server.id, entries));
      } catch (e) {
        if (!(e instanceof RouteConflict || e instanceof PatternError || e instanceof HttpRouteError)) throw e;
        const culprit = e instanceof HttpRouteError ? e.entry : server;
        throw new Site(root, culprit.file, culprit.id).error(e.message);
      }
    }
  },
});

export class HttpRouteError extends Error {
  constructor(
    message: string,
    readonly entry: Entry,
  ) {
    super(message);
  }
}

/** One route pattern of a server and what serves it. */
export type HttpRouteSpec =
  | { readonly kind: 'endpoint'; readonly pattern: string; readonly router: HttpRouterEntry; readonly endpoint: HttpEndpointEntry }
  /** Wippy's automatic `OPTIONS` for a path that has routes: 204, wrapped in the router's middleware. */
  | { readonly kind: 'options'; readonly pattern: string; readonly router: HttpRouterEntry }
  | { readonly kind: 'static'; readonly pattern: string; readonly mount: HttpStaticEntry };

/** The routes of server `serverId` in `entries`, as Wippy's router Build makes them. */
export function httpRoutes(serverId: string, entries: readonly Entry[]): HttpRouteSpec[] {
  const routers = new Map<string, HttpRouterEntry>();
  const prefixes = new Map<string, HttpRouterEntry>();
  const out: HttpRouteSpec[] = [];
  for (const e of entries) {
    if (e.kind !== 'http.router' || (e as HttpRouterEntry).server !== serverId) continue;
    const r = e as HttpRouterEntry;
    const same = prefixes.get(r.prefix);
    if (same !== undefined) throw new HttpRouteError(`router prefix "${r.prefix}" already used by router ${same.id} on server ${serverId}`, r);
    prefixes.set(r.prefix, r);
    routers.set(r.id, r);
  }
  const optionPaths = new Set<string>();
  const explicit = new Set<string>();
  const endpoints: { router: HttpRouterEntry; endpoint: HttpEndpointEntry; path: string }[] = [];
  for (const e of entries) {
    if (e.kind !== 'http.endpoint') continue;
    const endpoint = e as HttpEndpointEntry;
    const router = routers.get(endpoint.router);
    if (router === undefined) continue;
    const path = router.prefix.replace(/\/$/, '') + endpoint.path;
    endpoints.push({ router, endpoint, path });
    if (endpoint.method === 'OPTIONS') explicit.add(path);
  }
  for (const { router, endpoint, path } of endpoints) {
    out.push({ kind: 'endpoint', pattern: `${endpoint.method} ${path}`, router, endpoint });
    if (endpoint.method === 'OPTIONS' || explicit.has(path) || optionPaths.has(path)) continue;
    optionPaths.add(path);
    out.push({ kind: 'options', pattern: `OPTIONS ${path}`, router });
  }
  const mounts = new Map<string, HttpStaticEntry>();
  for (const e of entries) {
    if (e.kind !== 'http.static' || (e as HttpStaticEntry).server !== serverId) continue;
    const mount = e as HttpStaticEntry;
    const path = mount.path.endsWith('/') ? mount.path : `${mount.path}/`;
    const same = mounts.get(path);
    if (same !== undefined) throw new HttpRouteError(`static path "${mount.path}" already mounted by ${same.id} on server ${serverId}`, mount);
    mounts.set(path, mount);
    out.push({ kind: 'static', pattern: path, mount });
  }
  return out;
}

function ownerOf(spec: HttpRouteSpec): string {
  return spec.kind === 'endpoint' ? spec.endpoint.id : spec.kind === 'static' ? spec.mount.id : `${spec.router.id} automatic OPTIONS`;
}

function entryOf(spec: HttpRouteSpec): Entry {
  return spec.kind === 'endpoint' ? spec.endpoint : spec.kind === 'static' ? spec.mount : spec.router;
}

/** Builds the route table, throwing an HttpRouteError naming the entry whose pattern does not fit. */
export function buildCheckMux(specs: readonly HttpRouteSpec[]): ServeMux<HttpRouteSpec> {
  const mux = new ServeMux<HttpRouteSpec>();
  for (const spec of specs) {
    try {
      mux.add(spec.pattern, spec, ownerOf);
    } catch (e) {
      if (e instanceof RouteConflict || e instanceof PatternError) throw new HttpRouteError(e.message, entryOf(spec));
      throw e;
    }
  }
  return mux;
}
