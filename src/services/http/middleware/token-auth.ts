/**
 * `token_auth` (Wippy's service/security/tokenstore/middleware.go): the bearer token from the header (with its
 * prefix), else the query parameter, else the cookie, validated by the `security.token_store` named in
 * `token_auth.store`. A valid token gives the request its actor and scope (the endpoint's function runs with
 * them). It never answers by itself: a missing, forged, expired or revoked token only leaves the request
 * without an actor, for a firewall (or the function) to refuse.
 */
import { ErrorValue } from '../../../kernel/value';
import { option, type Middleware } from './types';
import type { IncomingMessage } from 'http';
import '../../../api/security';

interface Sources {
  readonly header: string;
  readonly prefix: string;
  readonly query: string;
  readonly cookie: string;
}

/** The first value of cookie `name` in the Cookie header (quotes removed, as Go's parser does). */
function cookieValue(req: IncomingMessage, name: string): string {
  const header = req.headers.cookie;
  if (header === undefined) return '';
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    let v = part.slice(eq + 1).trim();
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
    if (v !== '') return v;
  }
  return '';
}

export function tokenOf(req: IncomingMessage, rawQuery: string, s: Sources): string {
  const raw = req.headers[s.header.toLowerCase()];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value !== undefined && value !== '' && value.startsWith(s.prefix)) return value.slice(s.prefix.length);
  if (rawQuery !== '') {
    const q = new URLSearchParams(rawQuery).get(s.query);
    if (q !== null && q !== '') return q;
  }
  return cookieValue(req, s.cookie);
}

export const tokenAuth: Middleware = {
  name: 'token_auth',
  make(o, env) {
    const storeId = option(o, ['token_auth.store', 'token_store'], '');
    if (storeId === '') throw new Error('token_auth.store is required (the id of a security.token_store)');
    const sources: Sources = {
      header: option(o, ['token_auth.header.name', 'header_name'], 'Authorization'),
      prefix: option(o, ['token_auth.header.prefix', 'header_prefix'], 'Bearer '),
      query: option(o, ['token_auth.query.param', 'query_param'], 'x-auth-token'),
      cookie: option(o, ['token_auth.cookie.name', 'cookie_name'], 'x-auth-token'),
    };
    return (next) => async (x) => {
      const token = tokenOf(x.req, x.request.rawQuery, sources);
      if (token !== '') {
        const store = env.service.resources.get(storeId, 'token_store');
        if (store instanceof ErrorValue) {
          env.service.log('error', 'failed to acquire token store resource', { store: storeId, error: store.message });
        } else {
          const grant = await store.validate(token);
          if (grant instanceof ErrorValue) env.service.log('debug', 'token validation failed', { error: grant.message });
          else x.security = { actor: grant.actor, scope: grant.scope };
        }
      }
      return next(x);
    };
  },
};
