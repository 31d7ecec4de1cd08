/**
 * The `http.service` service (spec.md beside this file): a server per entry, serving the routers, endpoints
 * and static mounts that name it, following registry changes without closing its socket. `http.router`,
 * `http.endpoint` and `http.static` are configuration the server reads; they run nothing themselves.
 */
import { serviceDefinition } from '../service';
import { HttpServer } from './server';
import type { HttpServiceEntry } from '../../registry/kinds/http';
import '../../api/http';

export const httpServices = serviceDefinition<HttpServiceEntry>({
  kinds: ['http.service'],
  start: async (entry, ctx) => {
    const server = new HttpServer(entry, ctx);
    await server.listen();
    return {
      facets: { http: { exchange: (token: string) => server.exchange(token) } },
      registryChanged: (registry, changed) => server.follow(registry, changed as HttpServiceEntry),
      stop: (graceMs) => server.stop(graceMs),
    };
  },
});
