/**
 * `cors`: Wippy's CORS middleware. An allowed origin is echoed (never `*`); `*.example.com` matches any
 * subdomain, the word `localhost` any http(s)://localhost port. A preflight from an allowed origin is
 * answered 204 here; anything else goes on to the handler (a disallowed origin just gets no CORS headers).
 */
import { listOption, option, type Middleware } from './types';

const LOCALHOST = /^https?:\/\/localhost(:\d+)?$/;

export function originAllowed(origin: string, patterns: readonly string[]): boolean {
  for (const p of patterns) {
    if (p === '*' || p === origin) return true;
    if (p === 'localhost' && LOCALHOST.test(origin)) return true;
    if (p.startsWith('*.')) {
      const suffix = p.slice(1);
      if (origin.endsWith(suffix) && origin.length > suffix.length && !origin.slice(0, -suffix.length).endsWith('/')) return true;
    }
  }
  return false;
}

export const cors: Middleware = {
  name: 'cors',
  make(o) {
    const origins = listOption(o, ['cors.allow.origins', 'allow_origins', 'cors.allowed.origins'], '*');
    const methods = option(o, ['cors.allow.methods', 'allow_methods'], 'GET,POST,PUT,DELETE,OPTIONS,PATCH');
    const headers = option(o, ['cors.allow.headers', 'allow_headers'], 'Origin,Content-Type,Accept,Authorization,X-Requested-With');
    const expose = option(o, ['cors.expose.headers', 'expose_headers'], '');
    const credentials = option(o, ['cors.allow.credentials', 'allow_credentials'], 'false') === 'true';
    const maxAge = option(o, ['cors.max.age', 'max_age'], '86400');
    const privateNetwork = option(o, ['cors.allow.private.network', 'allow_private_network'], 'false') === 'true';
    return (next) => async (x) => {
      const origin = x.req.headers.origin;
      if (origin === undefined || origin === '' || !originAllowed(origin, origins)) return next(x);
      const w = x.response;
      const preflight = x.req.method === 'OPTIONS' && x.req.headers['access-control-request-method'] !== undefined;
      w.setHeader('Access-Control-Allow-Origin', origin);
      if (credentials) w.setHeader('Access-Control-Allow-Credentials', 'true');
      if (!preflight) {
        if (expose !== '') w.setHeader('Access-Control-Expose-Headers', expose);
        w.addHeader('Vary', 'Origin');
        return next(x);
      }
      w.setHeader('Access-Control-Allow-Methods', methods);
      w.setHeader('Access-Control-Allow-Headers', headers);
      w.setHeader('Access-Control-Max-Age', maxAge);
      if (privateNetwork && x.req.headers['access-control-request-private-network'] === 'true') w.setHeader('Access-Control-Allow-Private-Network', 'true');
      w.addHeader('Vary', 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers');
      w.writeHeader(204);
      w.end();
    };
  },
};
