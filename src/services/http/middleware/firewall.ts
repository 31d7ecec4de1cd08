/**
 * `endpoint_firewall` and `resource_firewall` (Wippy's service/http/middleware/firewall): the request's actor
 * (from `token_auth`) must be allowed `action` (default `access`) on the endpoint's entry id, or on the fixed
 * `resource_firewall.target`. No actor: 401; no scope, or anything but an explicit allow: 403; both with
 * Wippy's JSON body. Unlike Wippy, `endpoint_firewall` also works as router middleware (wisp matches the
 * route first), and `resource_firewall` without a target is refused when the router is built.
 */
import { option, type Handler, type Middleware } from './types';
import type { Exchange } from '../exchange';

/** Wippy's WriteJSONError: Go encodes the map with sorted keys and a trailing newline. */
function refuse(x: Exchange, status: number, error: string, details: string): void {
  const w = x.response;
  w.setHeader('Content-Type', 'application/json');
  w.writeHeader(status);
  void w.write(Buffer.from(`${JSON.stringify({ details, error, success: false })}\n`));
  w.end();
}

/** Runs `next` when the request's actor may do `action` on the resource `target(x)` names. */
function guard(action: string, what: 'endpoint' | 'resource', target: (x: Exchange) => string | null, next: Handler): Handler {
  return async (x) => {
    const actor = x.security?.actor ?? null;
    if (actor === null || actor.id === '') return refuse(x, 401, 'Authentication required', `You must be authenticated to access this ${what}`);
    const scope = x.security?.scope ?? null;
    if (scope === null) return refuse(x, 403, 'Access denied', 'No authorization scope available');
    const resource = target(x);
    if (resource === null) {
      return refuse(x, 500, 'Configuration error', 'endpoint_firewall middleware must be configured as post-middleware on endpoints, not as router-level middleware');
    }
    if (scope.evaluate(actor, action, resource, {}) !== 'allow') return refuse(x, 403, 'Access denied', `You don't have permission to access this ${what}`);
    return next(x);
  };
}

export const endpointFirewall: Middleware = {
  name: 'endpoint_firewall',
  make(o) {
    const action = option(o, ['endpoint_firewall.action', 'endpoint_action'], 'access');
    return (next) => guard(action, 'endpoint', (x) => x.route?.endpoint ?? null, next);
  },
};

export const resourceFirewall: Middleware = {
  name: 'resource_firewall',
  make(o) {
    const action = option(o, ['resource_firewall.action', 'resource_action'], 'access');
    const target = option(o, ['resource_firewall.target', 'resource_target'], '');
    if (target === '') throw new Error('resource_firewall.target is required');
    return (next) => guard(action, 'resource', () => target, next);
  },
};
