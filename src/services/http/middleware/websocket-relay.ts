/**
 * `websocket_relay`: a handler that sets `X-WS-Relay` hands the connection to a process. The upgraded
 * websocket becomes a process on the server's host: the target gets `ws.join`, each client frame under the
 * message topic (text as a string, binary as bytes), `ws.heartbeat` and `ws.leave`; whatever is sent to the
 * connection's PID goes to the client as one text frame `{"data":…,"topic":…}` (bytes base64-encoded);
 * `ws.close` closes it, `ws.control` changes target or topic. It closes when the target exits.
 */
import { setImmediate as nextTurn } from 'timers/promises';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import { Table, type Value } from '../../../kernel/value';
import { EVENT } from '../../../kernel/message';
import { listOption, type Middleware } from './types';
import { originAccepted, parseRelayConfig, payloadJson, uptimeText } from './relay-config';
import { plainToValue } from '../../../engine/plain';

const HEADER = 'X-Ws-Relay';
const MAX_FRAME = 16 << 20;

export const websocketRelay: Middleware = {
  name: 'websocket_relay',
  make(options, env) {
    const origins = listOption(options, ['wsrelay.allowed.origins', 'allow_origins', 'allowed_origins'], '');
    const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: MAX_FRAME });
    const node = env.service.node;
    return (next) => async (x) => {
      let upgrade: { target: string; topic: string; heartbeatMs: number; metadata: Record<string, unknown> | null } | null = null;
      let refusal: string | null = null;
      x.response.takeOver = (_status, headers) => {
        const value = headers.get(HEADER)?.[0] ?? headers.get('X-WS-Relay')?.[0];
        if (value === undefined || value === '') return false;
        headers.delete(HEADER);
        headers.delete('X-WS-Relay');
        const c = parseRelayConfig(value, 'ws.message');
        if (typeof c === 'string') refusal = c;
        else if (x.upgrade === null) refusal = 'WebSocket protocol violation: Connection header does not contain Upgrade';
        else if (!originAccepted(x.req.headers.origin, x.req.headers.host, origins)) refusal = `request Origin "${x.req.headers.origin}" is not authorized`;
        else upgrade = c;
        return true;
      };
      await next(x);
      x.response.takeOver = null;
      const refused = refusal as string | null;
      if (refused !== null) {
        // The writer is done (taken over): the refusal goes straight out, as Go's http.Error.
        const body = Buffer.from(`${refused}\n`);
        const headers = new Map([['Content-Type', ['text/plain; charset=utf-8']], ['X-Content-Type-Options', ['nosniff']], ['Content-Length', [String(body.length)]]]);
        x.response.sink.writeHead(refused.startsWith('request Origin') ? 403 : 400, headers);
        x.response.sink.end(body);
        return;
      }
      const accepted = upgrade as { target: string; topic: string; heartbeatMs: number; metadata: Record<string, unknown> | null } | null;
      if (accepted === null || x.upgrade === null) return;
      const { socket, head } = x.upgrade;
      // The processes the handler spawned (the target, typically) get their first turn before the client hears
      // 101 and can send: in Wippy they are goroutines already running. Otherwise a fast client's first frame
      // can be waiting beside the target's ws.join when it first looks, and a select that lists the message
      // topic first takes the frame before it knows the client.
      await nextTurn();
      wss.handleUpgrade(x.req, socket, head, (ws) => relay(ws, accepted));
    };

    function relay(ws: WebSocket, config: { target: string; topic: string; heartbeatMs: number; metadata: Record<string, unknown> | null }): void {
      let target = config.target;
      let topic = config.topic;
      const started = Date.now();
      let count = 0;
      let closed = false;
      const info = (extra: Record<string, unknown> = {}): Value => {
        const o: Record<string, unknown> = { client_pid: conn.pid, ...extra };
        if (config.metadata !== null) o.metadata = config.metadata;
        return plainToValue(o);
      };
      const close = (code: number, reason: string): void => {
        if (closed) return;
        closed = true;
        clearInterval(heartbeat);
        node.router.send(conn.pid, target, 'ws.leave', [info()]);
        if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, reason.slice(0, 120));
        conn.exit();
      };
      const conn = env.relays.open('ws', {
        onMessage: (m) => {
          if (m.topic === 'ws.close') {
            const p = m.payloads[0];
            return close(1000, typeof p === 'string' ? p : p === undefined ? '' : JSON.stringify(payloadJson(p)));
          }
          if (m.topic === 'ws.control') {
            const p = m.payloads[0];
            if (p instanceof Table) {
              const t = p.get('target_pid');
              const mt = p.get('message_topic');
              if (typeof mt === 'string' && mt !== '') topic = mt;
              if (typeof t === 'string' && t !== '' && t !== target) {
                node.router.unmonitor(conn.pid, target);
                target = t;
                node.router.monitor(conn.pid, target);
                node.router.send(conn.pid, target, 'ws.join', [info()]);
              }
            }
            return;
          }
          for (const p of m.payloads) {
            if (ws.readyState !== ws.OPEN) return;
            // Wippy marshals {Data, Topic} in that field order.
            ws.send(JSON.stringify({ data: payloadJson(p), topic: m.topic }));
          }
        },
        onEvent: (e) => {
          if (e instanceof Table && e.get('kind') === EVENT.EXIT && e.get('from') === target) close(1000, 'target process exited');
        },
        onTerminate: () => close(1001, 'connection process terminated'),
      });
      const heartbeat = setInterval(() => {
        node.router.send(conn.pid, target, 'ws.heartbeat', [info({ uptime: uptimeText(Date.now() - started), message_count: count })]);
      }, Math.max(1000, config.heartbeatMs));
      heartbeat.unref();
      node.router.monitor(conn.pid, target);
      node.router.send(conn.pid, target, 'ws.join', [info()]);
      ws.on('message', (data: RawData, isBinary: boolean) => {
        count++;
        const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
        const payload: Value = isBinary ? new Uint8Array(bytes) : bytes.toString('utf8');
        node.router.send(conn.pid, target, topic, [payload]);
      });
      ws.on('close', () => close(1000, ''));
      ws.on('error', () => close(1011, 'error'));
    }
  },
};
