/**
 * An endpoint's function called for one request, as Wippy's EndpointFactory does: a `function.lua` process on
 * the function host, with no arguments, whose context names the exchange (src/api/http.ts). When it ends, the
 * response is finished by Wippy's rules: an error before anything was written is a 500 with its text,
 * nothing written and nothing returned is `500 no response sent`, a returned value with nothing written is an
 * empty JSON 200. A client that goes away, or a handler past the server's handler timeout, ends the process.
 * `cost` is told what the handler cost this thread: its spawn and the time its process ran (ms), which the
 * pick of a thread weighs (handoff-policy.ts).
 */
import { FUNCTION_HOST } from '../../kernel/pid';
import { HTTP_EXCHANGE_KEY, HTTP_SERVER_KEY } from '../../registry/kinds/http';
import type { Outcome } from '../../kernel/message';
import type { Value } from '../../kernel/value';
import type { Exchange, ResponseWriter } from './exchange';
import type { ServiceContext } from '../service';
import type { HttpExchange } from '../../api/http';
import type { SecurityContext } from '../../lib/security';

/** What a handler is called for: a request on this thread's socket, or one handed over by thread 1 (handoff-worker.ts). */
export interface HandlerExchange extends HttpExchange {
  readonly response: ResponseWriter;
  /** Context values middleware gives the handler process. */
  readonly context: ReadonlyMap<string, Value>;
  readonly security: SecurityContext | null;
  /** Calls `fn` when the client goes away; returns what stops that. */
  whenGone(fn: () => void): () => void;
}

export interface HandlerEnv {
  readonly service: ServiceContext;
  readonly serverId: string;
  /** Exchanges in flight by token, for the `http` facet. */
  readonly exchanges: Map<string, HandlerExchange>;
  readonly handlerTimeoutMs: number;
}

/** Thread 1's server with several threads: it may run an endpoint's handler on another thread (handoff.ts). */
export interface HandoffEnv {
  readonly handoff: { call(func: string, x: Exchange, local: (cost?: (ms: number) => void) => Promise<void>): Promise<void> } | null;
}

let nextToken = 0;

export function callFunction(env: HandlerEnv, func: string, x: HandlerExchange, cost?: (ms: number) => void): Promise<void> {
  const began = cost === undefined ? 0 : performance.now();
  const token = (++nextToken).toString(36);
  const node = env.service.node;
  const context = new Map<string, Value>(x.context);
  context.set(HTTP_SERVER_KEY, env.serverId);
  context.set(HTTP_EXCHANGE_KEY, token);
  env.exchanges.set(token, x);
  const spawned = node.spawn({ entry: func, host: FUNCTION_HOST, args: [], parent: null, monitor: false, link: false, context, security: x.security });
  if (!spawned.ok) {
    env.exchanges.delete(token);
    x.response.fail(500, spawned.error.message);
    return Promise.resolve();
  }
  const pid = spawned.value;
  const record = cost === undefined ? undefined : node.process(pid);
  const spawnMs = cost === undefined ? 0 : performance.now() - began;
  return new Promise<void>((resolve) => {
    let timer: NodeJS.Timeout | null = null;
    let timedOut = false;
    const gone = (): void => {
      if (!x.response.ended) node.terminate('', pid);
    };
    const stopWatching = x.whenGone(gone);
    if (env.handlerTimeoutMs > 0) {
      timer = setTimeout(() => {
        timedOut = true;
        node.terminate('', pid);
      }, env.handlerTimeoutMs);
    }
    node.onExit(pid, (outcome) => {
      if (timer !== null) clearTimeout(timer);
      stopWatching();
      env.exchanges.delete(token);
      if (timedOut) x.response.fail(503, `handler timed out after ${env.handlerTimeoutMs / 1000}s`);
      else finish(x, outcome);
      // Read once the scheduler has counted the run that ended the process (it does after the run returns).
      if (cost !== undefined) queueMicrotask(() => cost(spawnMs + (record?.runtime?.ranMs?.() ?? 0)));
      resolve();
    });
  });
}

function finish(x: HandlerExchange, outcome: Outcome): void {
  const w = x.response;
  if (!w.handled) {
    if (outcome.error !== null) return w.fail(500, outcome.error.message);
    if (outcome.value === null) return w.fail(500, 'no response sent');
    w.setHeader('Content-Type', 'application/json');
    w.writeHeader(200);
    if (outcome.value instanceof Uint8Array) void w.write(outcome.value);
  }
  w.end();
}
