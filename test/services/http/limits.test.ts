/**
 * Hostile clients against a server with small limits: slowloris, oversized headers and bodies, malformed
 * requests, many idle keep-alive connections, clients leaving mid-response, handlers that loop or raise.
 * Each gets a clear status or is cut off; afterwards no handler process, relay or socket is left and the
 * server still answers.
 */
import { connect, type Socket } from 'net';
import { bootHttp, endpoint, httpProject } from './fixture';
import { freePort } from '../../helpers/net';
import { until } from '../../helpers/poll';
import type { Runtime } from '../../../src/hosts/runtime';

const SERVER_LIMITS = `    limits:
      headers_timeout: 1s
      request_timeout: 5s
      idle_timeout: 2s
      max_header_bytes: 16384
      max_body_bytes: 1048576
      handler_timeout: 1500ms
      max_connections: 3000
`;

const ENTRIES =
  endpoint('hello', 'GET', '/hello') +
  endpoint('upload', 'POST', '/upload') +
  endpoint('spin', 'GET', '/spin') +
  endpoint('drip', 'GET', '/drip', 'api', ['http', 'time']) +
  endpoint('raise', 'GET', '/raise');

const LUA = {
  'hello.lua': `local http = require("http")
return { handler = function() http.response():write("hi") end }`,
  'upload.lua': `local http = require("http")
return { handler = function()
  local res = http.response()
  local body, err = http.request():body()
  if err then res:set_status(413) res:write(tostring(err)) return end
  res:write(tostring(#body))
end }`,
  'spin.lua': `return { handler = function() while true do end end }`,
  'drip.lua': `local http = require("http")
local time = require("time")
return { handler = function()
  process.registry.register("drip")
  local res = http.response()
  res:set_transfer(http.TRANSFER.CHUNKED)
  res:set_status(200)
  for i = 1, 1000 do
    local err = res:write(string.rep("x", 4096))
    if err then return end
    res:flush()
    time.sleep("20ms")
  end
end }`,
  'raise.lua': `return { handler = function() error({code = 1}) end }`,
};

let rt: Runtime;
let port: number;
let base: string;

beforeAll(async () => {
  port = await freePort();
  rt = await bootHttp(httpProject(port, ENTRIES, LUA, SERVER_LIMITS));
  base = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  await rt.shutdown();
});

function rawSocket(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
  });
}

/** Everything the server sends until it closes the connection (or `ms` passes). */
function untilClosed(s: Socket, ms: number): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    let text = '';
    s.on('data', (d: Buffer) => (text += d.toString()));
    const timer = setTimeout(() => resolve({ text, closed: false }), ms);
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closed: true });
    });
    s.on('error', () => undefined);
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function handlers(): number {
  return rt.node.allProcesses().filter((p) => p.pid.host === '{function}' || p.entry.startsWith('t:')).length;
}

async function settled(): Promise<void> {
  for (let i = 0; i < 100 && handlers() > 0; i++) await sleep(50);
}

test('slowloris: headers dribbled in are cut off by headers_timeout with 408', async () => {
  const s = await rawSocket();
  const done = untilClosed(s, 10_000);
  s.write('GET /hello HTTP/1.1\r\nHost: x\r\n');
  const dribble = setInterval(() => s.writable && s.write('X-Slow: 1\r\n'), 200);
  const r = await done;
  clearInterval(dribble);
  expect(r.closed).toBe(true);
  expect(r.text).toMatch(/^HTTP\/1.1 408/);
});

test('oversized headers: 431; malformed request: 400; both close the connection', async () => {
  const a = await rawSocket();
  const ra = untilClosed(a, 5000);
  a.write(`GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`);
  expect((await ra).text).toMatch(/^HTTP\/1.1 431/);
  const b = await rawSocket();
  const rb = untilClosed(b, 5000);
  b.write('THIS IS NOT HTTP\r\n\r\n');
  const r = await rb;
  expect(r.text).toMatch(/^HTTP\/1.1 400/);
  expect(r.closed).toBe(true);
});

test('a body over max_body_bytes: the handler gets an error at once (Content-Length says so) and the connection is not drained', async () => {
  const s = await rawSocket();
  const done = untilClosed(s, 5000);
  s.write(`POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: ${1 << 30}\r\n\r\n`);
  s.write(Buffer.alloc(256 * 1024));
  const r = await done;
  expect(r.text).toMatch(/^HTTP\/1.1 413/);
  expect(r.text).toMatch(/request body too large/);
  expect(r.closed).toBe(true);
  const chunked = await fetch(`${base}/upload`, { method: 'POST', body: Buffer.alloc(2 * 1024 * 1024, 1), headers: { 'content-type': 'application/octet-stream' } });
  expect(chunked.status).toBe(413);
  const fine = await fetch(`${base}/upload`, { method: 'POST', body: Buffer.alloc(1000, 1) });
  expect(await fine.text()).toBe('1000');
});

test('a handler that loops forever gets 503 at handler_timeout and is terminated; one that raises a table is a 500', async () => {
  const t0 = Date.now();
  const r = await fetch(`${base}/spin`);
  expect(r.status).toBe(503);
  expect(Date.now() - t0).toBeLessThan(8000);
  await settled();
  expect(handlers()).toBe(0);
  const e = await fetch(`${base}/raise`);
  expect(e.status).toBe(500);
  expect((await fetch(`${base}/hello`)).status).toBe(200);
});

test('a client leaving mid-response ends the handler process', async () => {
  // By its name, which every thread resolves: with WISP_THREADS=2 the handler may run on thread 2.
  const dripping = (): boolean => rt.node.router.lookup('drip').ok;
  const s = await rawSocket();
  s.write('GET /drip HTTP/1.1\r\nHost: x\r\n\r\n');
  await new Promise<void>((resolve) => s.once('data', () => resolve()));
  await until('the handler to be running', dripping);
  s.destroy();
  await until('the handler to end', () => !dripping());
});

test('a storm of 1500 idle keep-alive connections: requests still served; idle ones closed by idle_timeout; no handle left', async () => {
  const before = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().length;
  // Each sends one request and then idles on its keep-alive connection.
  const closed: Promise<{ text: string; closed: boolean }>[] = [];
  for (let i = 0; i < 1500; i++) {
    const s = await rawSocket();
    closed.push(untilClosed(s, 15_000));
    s.write('GET /hello HTTP/1.1\r\nHost: x\r\n\r\n');
  }
  expect(await (await fetch(`${base}/hello`)).text()).toBe('hi');
  const results = await Promise.all(closed);
  expect(results.filter((r) => r.text.startsWith('HTTP/1.1 200')).length).toBe(1500);
  expect(results.every((r) => r.closed)).toBe(true);
  await settled();
  expect(handlers()).toBe(0);
  await sleep(200);
  const after = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().length;
  expect(after).toBeLessThanOrEqual(before + 2);
  expect((await fetch(`${base}/hello`)).status).toBe(200);
}, 60_000);
