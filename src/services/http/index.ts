/**
 * The `http.service` service (spec.md beside this file): a server per entry, serving the routers, endpoints
 * and static mounts that name it, following registry changes without closing its socket. `http.router`,
 * `http.endpoint` and `http.static` are configuration the server reads; they run nothing themselves. On a
 * worker thread of `wisp run --threads N` it accepts on a copy of thread 1's socket (shared-socket.ts) and runs
 * the handlers thread 1 hands it.
 */
import { serviceDefinition } from '../service';
import { HttpServer } from './server';
import { serveHandoff } from './handoff-worker';
import type { HandlerEnv, HandlerExchange } from './handler';
import type { HttpServiceEntry } from '../../registry/kinds/http';
import '../../api/http';

export const httpServices = serviceDefinition<HttpServiceEntry>({
  kinds: ['http.service'],
  start: async (entry, ctx) => {
    if (ctx.threads !== undefined && ctx.threads.index !== 1) {
      const exchanges = new Map<string, HandlerExchange>();
      const env: { -readonly [K in keyof HandlerEnv]: HandlerEnv[K] } = { service: ctx, serverId: entry.id, exchanges, handlerTimeoutMs: entry.limits.handlerTimeoutMs };
      const side = serveHandoff(ctx.threads, entry.id, env);
      const server = new HttpServer(entry, ctx, side);
      server.followSocket();
      return {
        facets: { http: { exchange: (token: string) => server.exchange(token) ?? exchanges.get(token) } },
        registryChanged: (registry, changed) => {
          env.handlerTimeoutMs = (changed as HttpServiceEntry).limits.handlerTimeoutMs;
          server.follow(registry, changed as HttpServiceEntry);
        },
        stop: async (graceMs) => {
          side.stop();
          await server.stop(graceMs);
        },
      };
    }
    const server = new HttpServer(entry, ctx);
    await server.listen();
    return {
      facets: { http: { exchange: (token: string) => server.exchange(token) } },
      registryChanged: (registry, changed) => server.follow(registry, changed as HttpServiceEntry),
      stop: (graceMs) => server.stop(graceMs),
    };
  },
});
