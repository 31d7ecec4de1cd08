/**
 * The middleware a router may name, by name. Adding one is its file and one line here (security adds
 * token_auth and the firewalls this way). A router naming one that is not here is not served, with an error
 * logged (src/services/http/routes.ts).
 */
import type { Middleware } from './types';
import { cors } from './cors';
import { websocketRelay } from './websocket-relay';
import { sseRelay } from './sse-relay';
import { compress } from './compress';
import { ratelimit } from './ratelimit';
import { realIp } from './real-ip';

export const MIDDLEWARE: readonly Middleware[] = [
  cors,
  websocketRelay,
  sseRelay,
  compress,
  ratelimit,
  realIp,
];

export type { Middleware, MiddlewareEnv, Handler } from './types';
