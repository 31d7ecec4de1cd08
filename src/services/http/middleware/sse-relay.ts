/**
 * `sse_relay`: a handler that sets `X-SSE-Relay` hands its response to a process as an event stream. The
 * stream is a process on the server's host: the client first gets `event: ready` with the stream's PID and
 * topic; the target gets `sse.join`, `sse.heartbeat` and `sse.leave`; messages sent to the stream's PID under
 * the message topic (`sse.message`; `*` forwards every topic) become events named by their topic (a string
 * as it is, anything else as JSON); `sse.close` ends it, `sse.control` changes target or topic; it ends when
 * the target exits or the client goes away. A comment `: ping` keeps idle proxies from closing it.
 */
import { Table, type Value } from '../../../kernel/value';
import { EVENT } from '../../../kernel/message';
import { listOption, type Middleware } from './types';
import { originAccepted, parseRelayConfig, payloadJson, uptimeText, type RelayConfig } from './relay-config';
import type { Exchange, HeaderMap } from '../exchange';
import { plainToValue } from '../../../engine/plain';

const HEADER = 'X-Sse-Relay';
const RESERVED = new Set(['sse.control', 'sse.close', 'sse.join', 'sse.leave', 'sse.heartbeat']);

function eventText(name: string, data: string): string {
  let out = name === '' ? '' : `event: ${name.replace(/[\r\n]/g, '')}\n`;
  for (const line of data.split('\n')) out += `data: ${line}\n`;
  return `${out}\n`;
}

export const sseRelay: Middleware = {
  name: 'sse_relay',
  make(options, env) {
    const origins = listOption(options, ['sserelay.allowed.origins', 'allow_origins', 'allowed_origins'], '*');
    const node = env.service.node;
    return (next) => async (x) => {
      let config: RelayConfig | string | null = null;
      x.response.takeOver = (_status, headers) => {
        const value = headers.get(HEADER)?.[0] ?? headers.get('X-SSE-Relay')?.[0];
        if (value === undefined || value === '') return false;
        headers.delete(HEADER);
        headers.delete('X-SSE-Relay');
        config = parseRelayConfig(value, 'sse.message');
        if (typeof config !== 'string' && !originAccepted(x.req.headers.origin, x.req.headers.host, origins)) config = `request Origin "${x.req.headers.origin}" is not authorized`;
        return true;
      };
      await next(x);
      x.response.takeOver = null;
      const c = config as RelayConfig | string | null;
      if (c === null) return;
      if (typeof c === 'string') {
        const body = Buffer.from(`${c}\n`);
        x.response.sink.writeHead(c.startsWith('request Origin') ? 403 : 400, new Map([['Content-Type', ['text/plain; charset=utf-8']], ['Content-Length', [String(body.length)]]]));
        x.response.sink.end(body);
        return;
      }
      await stream(x, c);
    };

    function stream(x: Exchange, config: RelayConfig): Promise<void> {
      const sink = x.response.sink;
      let target = config.target;
      let topic = config.topic;
      const started = Date.now();
      let count = 0;
      let ended = false;
      const headers: HeaderMap = new Map([['Content-Type', ['text/event-stream']], ['Cache-Control', ['no-cache']], ['Connection', ['keep-alive']], ['X-Accel-Buffering', ['no']]]);
      sink.writeHead(200, headers);
      return new Promise<void>((resolve) => {
        const info = (extra: Record<string, unknown> = {}): Value => {
          const o: Record<string, unknown> = { client_pid: conn.pid, ...extra };
          if (config.metadata !== null) o.metadata = config.metadata;
          return plainToValue(o);
        };
        const end = (): void => {
          if (ended) return;
          ended = true;
          clearInterval(heartbeat);
          x.req.socket.off('close', end);
          node.router.send(conn.pid, target, 'sse.leave', [info()]);
          if (!sink.closed) sink.end();
          conn.exit();
          resolve();
        };
        const conn = env.relays.open('sse', {
          onMessage: (m) => {
            if (m.topic === 'sse.close') return end();
            if (m.topic === 'sse.control') {
              const p = m.payloads[0];
              if (p instanceof Table) {
                const mt = p.get('message_topic');
                if (typeof mt === 'string') topic = mt === '' ? 'sse.message' : mt;
                const t = p.get('target_pid');
                if (typeof t === 'string' && t !== '' && t !== target) {
                  node.router.unmonitor(conn.pid, target);
                  target = t;
                  node.router.monitor(conn.pid, target);
                  node.router.send(conn.pid, target, 'sse.join', [info()]);
                }
              }
              return;
            }
            if (RESERVED.has(m.topic) || (topic !== '*' && m.topic !== topic)) return;
            for (const p of m.payloads) {
              count++;
              sink.write(Buffer.from(eventText(m.topic, typeof p === 'string' ? p : JSON.stringify(payloadJson(p)))));
            }
          },
          onEvent: (e) => {
            if (e instanceof Table && e.get('kind') === EVENT.EXIT && e.get('from') === target) end();
          },
          onTerminate: () => end(),
        });
        sink.write(Buffer.from(eventText('ready', JSON.stringify({ ...(config.metadata === null ? {} : { metadata: config.metadata }), stream_pid: conn.pid, message_topic: topic }))));
        const heartbeat = setInterval(() => {
          if (!sink.closed) sink.write(Buffer.from(': ping\n\n'));
          node.router.send(conn.pid, target, 'sse.heartbeat', [info({ uptime: uptimeText(Date.now() - started), message_count: count })]);
        }, Math.max(1000, config.heartbeatMs));
        heartbeat.unref();
        x.req.socket.once('close', end);
        node.router.monitor(conn.pid, target);
        node.router.send(conn.pid, target, 'sse.join', [info()]);
      });
    }
  },
};
