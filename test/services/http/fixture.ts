/** A throwaway project with an http.service on a free loopback port, booted in-process, and clients for it. */
import { request, type IncomingMessage } from 'http';
import { connect } from 'net';
import { writeFiles, bootProject } from '../../helpers/service-project';
import { bootThreaded, TEST_THREADS } from '../../helpers/threads';
import type { Runtime } from '../../../src/hosts/runtime';

/** `entries` is YAML list items (2-space indented) added after the server `t:gateway` and router `t:api` (prefix /). */
export function httpProject(port: number, entries: string, lua: Record<string, string>, server = ''): string {
  const files: Record<string, string> = {
    'src/_index.yaml': `version: "1.0"
namespace: t
entries:
  - name: host
    kind: process.host
    lifecycle: { auto_start: true }
  - name: gateway
    kind: http.service
    addr: 127.0.0.1:${port}
    lifecycle: { auto_start: true }
${server}
  - name: api
    kind: http.router
    meta: { server: gateway }
    prefix: /
${entries}`,
  };
  for (const [name, text] of Object.entries(lua)) files[`src/${name}`] = text;
  return writeFiles(files);
}

/** A function.lua entry `name` in file `name`.lua with method handler, and its endpoint. */
export function endpoint(name: string, method: string, path: string, router = 'api', modules = ['http', 'json']): string {
  return `  - name: ${name}
    kind: function.lua
    source: file://${name}.lua
    method: handler
    modules: [${modules.join(', ')}]
  - name: ${name}.ep
    kind: http.endpoint
    meta: { router: ${router} }
    method: ${method}
    path: ${path}
    func: ${name}
`;
}

/** Boots on `WISP_THREADS` threads (default 1): with more, thread 1 hands handlers to the others. */
export async function bootHttp(dir: string): Promise<Runtime> {
  return TEST_THREADS > 1 ? bootThreaded(dir, TEST_THREADS) : bootProject(dir);
}

export interface Reply {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
  readonly text: string;
  /** false when the response was cut short (the connection ended before its last byte). */
  readonly complete: boolean;
}

/** One request on a connection of its own (no agent, so no reuse between requests). */
export function roundTrip(port: number, path: string, method = 'GET', body?: Buffer): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      const done = (complete: boolean): void => {
        const all = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: all, text: all.toString('utf8'), complete });
      };
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done(res.complete));
      res.on('aborted', () => done(false));
      res.on('error', () => done(false));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Opens a streamed GET and hands over the response without reading it. */
export function open(port: number, path: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, resolve);
    req.on('error', reject);
    req.end();
  });
}

/**
 * How a PID without a thread part reads: 't1' where the node may run on one thread; a test of a node started
 * with threads, where every PID has its thread part, names it otherwise, so that its expectations fail.
 */
export interface ThreadReading { readonly bare?: string }

/** The thread named by the first PID in `text`, or null. */
export function threadIn(text: string, { bare = 't1' }: ThreadReading = {}): string | null {
  const m = /\{(?:(t\d+)@)?functions\|0x[0-9a-f]+\}/.exec(text);
  return m === null ? null : (m[1] ?? bare);
}

/**
 * The thread that accepted a new connection. An upgrade request's handler never leaves the thread that accepted
 * it, so a handler at `path` that writes its own PID names that thread.
 */
export function acceptedBy(port: number, path = '/pid', reading: ThreadReading = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`));
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => {
      text += c;
      const thread = threadIn(text, reading);
      if (thread !== null) {
        socket.destroy();
        resolve(thread);
      }
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`no PID in ${JSON.stringify(text)}`)));
  });
}

/** The threads that accepted `count` new connections, opened two at a time. */
export async function acceptors(port: number, count: number, reading: ThreadReading = {}): Promise<string[]> {
  const seen: string[] = [];
  const one = (): Promise<string> => acceptedBy(port, '/pid', reading);
  for (let i = 0; i < count; i += 2) seen.push(...(await Promise.all([one(), one()])));
  return seen;
}
