/**
 * One server's route table from the registry: Wippy's routes (src/registry/kinds/http.ts httpRoutes) with
 * handlers: each endpoint calls its function through the router's middleware, then its post-middleware;
 * the automatic OPTIONS answers 204 through the router's middleware; a static mount serves files. A router
 * whose middleware cannot be made (an unknown name, a bad option) is left out with its endpoints, and the
 * reason is reported, so the rest of the server still serves.
 */
import { ServeMux } from '../../lib/servemux';
import { httpRoutes, type HttpRouterEntry } from '../../registry/kinds/http';
import { callFunction, type HandlerEnv, type HandoffEnv } from './handler';
import { staticHandler } from './static';
import { MIDDLEWARE, type Handler, type Middleware, type MiddlewareEnv } from './middleware';
import type { Registry } from '../../registry';
import type { Exchange } from './exchange';

/** What a pattern leads to: the handler, and the endpoint it calls (its params are route info). */
export interface RouteTarget {
  readonly handle: Handler;
  readonly endpoint: string | null;
}

export interface RouteTable {
  readonly mux: ServeMux<RouteTarget>;
  /** Routers (or static mounts) left out, with why. */
  readonly refused: readonly { readonly id: string; readonly reason: string }[];
  /** A middleware served holds the node's state (types.ts `nodeState`). */
  readonly nodeState: boolean;
}

const BY_NAME = new Map(MIDDLEWARE.map((m) => [m.name, m]));

type Wrap = (next: Handler) => Handler;

function chain(names: readonly string[], options: Readonly<Record<string, string>>, env: MiddlewareEnv, seen: Set<Middleware>): Wrap {
  const wraps: Wrap[] = names.map((name) => {
    const m = BY_NAME.get(name);
    if (m === undefined) throw new Error(`middleware not found: ${name} (wisp has ${[...BY_NAME.keys()].join(', ')})`);
    seen.add(m);
    try {
      return m.make(options, env);
    } catch (e) {
      throw new Error(`middleware ${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  });
  // The first named runs first (outermost).
  return (next) => wraps.reduceRight((h, wrap) => wrap(h), next);
}

export function buildRoutes(registry: Registry, serverId: string, env: MiddlewareEnv & HandlerEnv & HandoffEnv): RouteTable {
  const refused: { id: string; reason: string }[] = [];
  const used = new Set<Middleware>();
  const chains = new Map<string, { pre: Wrap; post: Wrap } | null>();
  const chainsOf = (router: HttpRouterEntry): { pre: Wrap; post: Wrap } | null => {
    let c = chains.get(router.id);
    if (c !== undefined) return c;
    try {
      c = { pre: chain(router.middleware, router.options, env, used), post: chain(router.postMiddleware, router.postOptions, env, used) };
    } catch (e) {
      refused.push({ id: router.id, reason: e instanceof Error ? e.message : String(e) });
      c = null;
    }
    chains.set(router.id, c);
    return c;
  };
  const mux = new ServeMux<RouteTarget>();
  for (const spec of httpRoutes(serverId, registry.entries())) {
    if (spec.kind === 'static') {
      let wrap: Wrap;
      try {
        wrap = chain(spec.mount.middleware, spec.mount.options, env, used);
      } catch (e) {
        refused.push({ id: spec.mount.id, reason: e instanceof Error ? e.message : String(e) });
        continue;
      }
      mux.add(spec.pattern, { handle: wrap(staticHandler(spec.mount, env.service)), endpoint: null });
      continue;
    }
    const c = chainsOf(spec.router);
    if (c === null) continue;
    if (spec.kind === 'options') {
      const handle = c.pre(async (x) => {
        x.response.writeHeader(204);
        x.response.end();
      });
      mux.add(spec.pattern, { handle, endpoint: null });
      continue;
    }
    const { endpoint } = spec;
    const here = (x: Exchange, cost?: (ms: number) => void): Promise<void> => callFunction(env, endpoint.func, x, cost);
    const { handoff } = env;
    const call = c.post(handoff === null ? here : (x) => handoff.call(endpoint.func, x, (cost) => here(x, cost)));
    mux.add(spec.pattern, { handle: c.pre(call), endpoint: endpoint.id });
  }
  return { mux, refused, nodeState: [...used].some((m) => m.nodeState === true) };
}
