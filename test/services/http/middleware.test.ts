/** The middleware over real requests: cors, compress, ratelimit, real_ip, sse_relay. */
import { gunzipSync } from 'zlib';
import { request } from 'http';
import { bootHttp, endpoint, httpProject } from './fixture';
import { freePort } from '../../helpers/net';
import type { Runtime } from '../../../src/hosts/runtime';

function router(name: string, prefix: string, middleware: string[], options: Record<string, string>): string {
  const opts = Object.entries(options).map(([k, v]) => `      ${k}: "${v}"`).join('\n');
  return `  - name: ${name}
    kind: http.router
    meta: { server: gateway }
    prefix: ${prefix}
    middleware: [${middleware.join(', ')}]
${opts === '' ? '' : `    options:\n${opts}\n`}`;
}

const ENTRIES =
  router('c', '/c', ['cors'], { 'cors.allow.origins': 'localhost,*.example.com,https://exact.org', 'cors.expose.headers': 'X-Total' }) +
  router('z', '/z', ['compress'], { 'compress.min.length': '100' }) +
  router('r', '/r', ['ratelimit'], { 'ratelimit.requests': '1', 'ratelimit.window': '1h', 'ratelimit.burst': '3', 'ratelimit.key': 'header:X-Client' }) +
  router('ip', '/ip', ['real_ip'], {}) +
  router('s', '/s', ['sse_relay'], {}) +
  router('bad', '/bad', ['real_ip'], { 'real_ip.trusted.subnets': 'not-a-subnet' }) +
  `  - name: post
    kind: http.router
    meta: { server: gateway }
    prefix: /post
    post_middleware: [ratelimit]
    post_options:
      ratelimit.burst: "1"
      ratelimit.requests: "1"
      ratelimit.window: "1h"
` +
  endpoint('who', 'GET', '/who', 'bad').replace(/- name: who\n[\s\S]*?- name: who.ep/, '- name: bad.ep') +
  endpoint('who', 'GET', '/who', 'post').replace(/- name: who\n[\s\S]*?- name: who.ep/, '- name: post.ep') +
  endpoint('who', 'GET', '/who', 'c') +
  endpoint('big', 'GET', '/big', 'z') +
  endpoint('small', 'GET', '/small', 'z') +
  endpoint('limited', 'GET', '/x', 'r') +
  endpoint('addr', 'GET', '/addr', 'ip') +
  endpoint('stream', 'GET', '/events', 's') +
  `  - name: feeder
    kind: process.lua
    source: file://feeder.lua
    method: main
    modules: [json, time]
`;

const LUA = {
  'who.lua': `local http = require("http")
return { handler = function() http.response():write("ok") end }`,
  'big.lua': `local http = require("http")
return { handler = function() http.response():write(string.rep("abcdefghij", 500)) end }`,
  'small.lua': `local http = require("http")
return { handler = function() http.response():write("tiny") end }`,
  'limited.lua': `local http = require("http")
return { handler = function() http.response():write("in") end }`,
  'addr.lua': `local http = require("http")
return { handler = function() http.response():write(http.request():remote_addr()) end }`,
  'stream.lua': `local http = require("http")
local json = require("json")
return { handler = function()
  local pid = process.spawn("t:feeder", "t:host")
  http.response():set_header("X-SSE-Relay", json.encode({target_pid = pid}))
end }`,
  'feeder.lua': `local time = require("time")
local function main()
  local inbox = process.inbox()
  local msg = inbox:receive()
  local client = msg:payload():data().client_pid
  process.send(client, "sse.message", {n = 1})
  process.send(client, "other.topic", "skipped")
  process.send(client, "sse.message", "plain\\ntext")
  process.send(client, "sse.close", "")
  return 0
end
return { main = main }`,
};

let rt: Runtime;
let base: string;

beforeAll(async () => {
  const port = await freePort();
  rt = await bootHttp(httpProject(port, ENTRIES, LUA));
  base = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  await rt.shutdown();
});

test('cors: echoed origin with Vary, localhost on any port, subdomains, a preflight answered 204, a disallowed origin passes without headers', async () => {
  const a = await fetch(`${base}/c/who`, { headers: { origin: 'http://localhost:5173' } });
  expect(a.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
  expect(a.headers.get('vary')).toBe('Origin');
  expect(a.headers.get('access-control-expose-headers')).toBe('X-Total');
  const sub = await fetch(`${base}/c/who`, { headers: { origin: 'https://api.example.com' } });
  expect(sub.headers.get('access-control-allow-origin')).toBe('https://api.example.com');
  const bare = await fetch(`${base}/c/who`, { headers: { origin: 'https://example.com' } });
  expect(bare.headers.get('access-control-allow-origin')).toBeNull();
  const pre = await fetch(`${base}/c/who`, { method: 'OPTIONS', headers: { origin: 'https://exact.org', 'access-control-request-method': 'POST' } });
  expect(pre.status).toBe(204);
  expect(pre.headers.get('access-control-allow-origin')).toBe('https://exact.org');
  expect(pre.headers.get('access-control-allow-methods')).toBe('GET,POST,PUT,DELETE,OPTIONS,PATCH');
  expect(pre.headers.get('access-control-max-age')).toBe('86400');
  const evil = await fetch(`${base}/c/who`, { headers: { origin: 'https://evil-site.com' } });
  expect(evil.status).toBe(200);
  expect(evil.headers.get('access-control-allow-origin')).toBeNull();
  const nf = await fetch(`${base}/c/missing`, { headers: { origin: 'http://localhost' } });
  expect(nf.status).toBe(404);
  expect(nf.headers.get('access-control-allow-origin')).toBeNull();
});

function raw(path: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('compress: gzip past the minimum length when asked for, not below it nor when not asked', async () => {
  const big = await raw('/z/big', { 'accept-encoding': 'gzip' });
  expect(big.headers['content-encoding']).toBe('gzip');
  expect(gunzipSync(big.body).toString()).toBe('abcdefghij'.repeat(500));
  expect(big.body.length).toBeLessThan(500);
  const small = await raw('/z/small', { 'accept-encoding': 'gzip' });
  expect(small.headers['content-encoding']).toBeUndefined();
  expect(small.body.toString()).toBe('tiny');
  const plain = await raw('/z/big', {});
  expect(plain.headers['content-encoding']).toBeUndefined();
  expect(plain.body.length).toBe(5000);
});

test('ratelimit: the burst passes, then 429 with the limit headers, per key; no key is a 400', async () => {
  const codes: number[] = [];
  for (let i = 0; i < 5; i++) codes.push((await fetch(`${base}/r/x`, { headers: { 'x-client': 'a' } })).status);
  expect(codes).toEqual([200, 200, 200, 429, 429]);
  const limited = await fetch(`${base}/r/x`, { headers: { 'x-client': 'a' } });
  expect(limited.headers.get('x-ratelimit-limit')).toBe('1');
  expect(limited.headers.get('x-ratelimit-window')).toBe('1h');
  expect(await limited.text()).toBe('Rate limit exceeded\n');
  expect((await fetch(`${base}/r/x`, { headers: { 'x-client': 'b' } })).status).toBe(200);
  expect((await fetch(`${base}/r/x`)).status).toBe(400);
});

test('real_ip: a trusted (loopback) peer may name the client', async () => {
  expect(await (await fetch(`${base}/ip/addr`, { headers: { 'x-forwarded-for': '203.0.113.9, 10.0.0.1' } })).text()).toBe('203.0.113.9');
  expect(await (await fetch(`${base}/ip/addr`, { headers: { 'true-client-ip': '198.51.100.1', 'x-real-ip': '192.0.2.1' } })).text()).toBe('198.51.100.1');
  expect(await (await fetch(`${base}/ip/addr`, { headers: { 'x-real-ip': 'not-an-ip' } })).text()).toMatch(/^127\.0\.0\.1:\d+$/);
});

test('sse_relay: ready, then the message topic only, ended by sse.close; no stream process is left', async () => {
  const r = await fetch(`${base}/s/events`);
  expect(r.headers.get('content-type')).toBe('text/event-stream');
  const text = await r.text();
  const events = text.split('\n\n').filter((e) => e !== '');
  expect(events[0]).toMatch(/^event: ready\ndata: \{"stream_pid":"\{[^"]+\}","message_topic":"sse.message"\}$/);
  expect(events.slice(1)).toEqual(['event: sse.message\ndata: {"n":1}', 'event: sse.message\ndata: plain\ndata: text']);
  await new Promise((res) => setTimeout(res, 50));
  expect(rt.node.allProcesses().filter((p) => p.pid.host === 't:gateway')).toHaveLength(0);
});

test('a router whose middleware cannot be made (a bad option) is not served; the others are', async () => {
  expect((await fetch(`${base}/bad/who`)).status).toBe(404);
  expect((await fetch(`${base}/c/who`)).status).toBe(200);
});

test('post_middleware wraps the call after matching; the automatic OPTIONS does not go through it', async () => {
  expect((await fetch(`${base}/post/who`)).status).toBe(200);
  expect((await fetch(`${base}/post/who`)).status).toBe(429);
  expect((await fetch(`${base}/post/who`, { method: 'OPTIONS' })).status).toBe(204);
});
