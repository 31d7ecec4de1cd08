/**
 * `http_client` through real Lua processes against real Node HTTP servers on loopback (port 0), hostile ones
 * included: a 1 GB body, a server that never answers, one that drips a byte at a time.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'http';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { gzipSync } from 'zlib';
import type { AddressInfo } from 'net';
import { createVM } from '../../src/modules';
import { spawn } from '../helpers/lua';
import { runWith } from './run-lua';
import { valueToPlain } from '../../src/engine/plain';

type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;

let server: Server;
let base = '';
const routes = new Map<string, Handler>();
/** What each request looked like when it reached the server. */
const seen: { method: string; url: string; headers: IncomingMessage['headers']; body: Buffer }[] = [];
let open = 0;
let maxOpen = 0;
let aborted = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    open++;
    maxOpen = Math.max(maxOpen, open);
    let done = false;
    const finish = (): void => {
      if (!done) (done = true), open--;
    };
    res.on('close', () => {
      if (!res.writableFinished) aborted++;
      finish();
    });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const path = (req.url ?? '/').split('?')[0];
      const h = routes.get(path);
      if (h === undefined) {
        res.statusCode = 404;
        res.end('no route');
      } else h(req, res, body);
    });
  });
  server.keepAliveTimeout = 100;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

beforeEach(() => {
  seen.length = 0;
  maxOpen = 0;
});

const lua = (body: string): Promise<unknown> =>
  runWith(['http_client', 'stream', 'json', 'time'], `local http = require("http_client")\nlocal time = require("time")\nlocal BASE = "${base}"
    local function E(v, err) if err == nil then return { v = v } end return { failed = v == nil, kind = err:kind(), message = err:message(), retryable = err:retryable() } end
    ${body}`);

describe('requests and the result table', () => {
  test('GET: status, body, body_size, final url, Go-canonical headers (first value), cookies', async () => {
    routes.set('/hello', (_req, res) => {
      res.setHeader('X-Custom-Header', 'custom-value');
      res.setHeader('x-lower-case', 'v');
      res.setHeader('X-Multi', ['first', 'second']);
      res.setHeader('Set-Cookie', ['session=abc; Path=/; HttpOnly', 'theme="dark"']);
      res.setHeader('Content-Type', 'application/json');
      res.end('{"message":"hello world"}');
    });
    routes.set('/empty', (_req, res) => {
      res.statusCode = 204;
      res.end();
    });
    const r = (await lua(`
      local resp, err = http.get(BASE .. "/hello")
      local empty = http.get(BASE .. "/empty")
      return { status = resp.status_code, body = resp.body, size = resp.body_size, url = resp.url, headers = resp.headers,
        cookies = resp.cookies, err = err == nil, empty = { status = empty.status_code, body = empty.body == nil, size = empty.body_size },
        stream = resp.stream == nil }`)) as Record<string, any>;
    expect(r.status).toBe(200);
    expect(r.body).toBe('{"message":"hello world"}');
    expect(r.size).toBe(25);
    expect(r.url).toBe(`${base}/hello`);
    expect(r.headers['X-Custom-Header']).toBe('custom-value');
    expect(r.headers['X-Lower-Case']).toBe('v');
    expect(r.headers['X-Multi']).toBe('first');
    expect(r.headers['Content-Type']).toBe('application/json');
    expect(r.headers['Content-Length']).toBe('25');
    expect(r.cookies).toEqual({ session: 'abc', theme: 'dark' });
    expect(r.err).toBe(true);
    expect(r.stream).toBe(true);
    expect(r.empty).toEqual({ status: 204, body: true, size: 0 });
  });

  test('what is sent: body, headers, query merged and sorted as Go encodes it, cookies, basic auth, User-Agent', async () => {
    routes.set('/echo', (_req, res, body) => res.end(body));
    const r = (await lua(`
      local resp = http.post(BASE .. "/echo?b=2&a=1", {
        body = "\\0binary\\255", headers = { ["content-type"] = "application/octet-stream", ["X-Custom-Header"] = "v", bad = 1 },
        query = { c = "3 4&5", a = "9" }, cookies = { session = "s1" }, auth = { user = "u", pass = "p:w" } })
      local methods = {}
      for _, m in ipairs({ "put", "delete", "head", "patch" }) do methods[m] = http[m](BASE .. "/echo").status_code end
      methods.options = http.request("options", BASE .. "/echo").status_code
      return { body = resp.body == "\\0binary\\255", methods = methods }`)) as Record<string, any>;
    expect(r.body).toBe(true);
    expect(seen[0].body.equals(Buffer.from('\0binary\xff', 'latin1'))).toBe(true);
    const post = seen[0];
    expect(post.method).toBe('POST');
    expect(post.url).toBe('/echo?a=9&b=2&c=3+4%265');
    expect(post.headers['content-type']).toBe('application/octet-stream');
    expect(post.headers['x-custom-header']).toBe('v');
    expect(post.headers.bad).toBeUndefined();
    expect(post.headers.cookie).toBe('session=s1');
    expect(post.headers.authorization).toBe(`Basic ${Buffer.from('u:p:w').toString('base64')}`);
    expect(post.headers['user-agent']).toBe('Go-http-client/1.1');
    expect(seen.slice(1).map((s) => s.method)).toEqual(['PUT', 'DELETE', 'HEAD', 'PATCH', 'OPTIONS']);
    expect(r.methods).toEqual({ put: 200, delete: 200, head: 200, patch: 200, options: 200 });
  });

  test('form is urlencoded (sorted); files make multipart with the form fields first', async () => {
    routes.set('/echo', (_req, res, body) => res.end(body));
    await lua(`
      http.post(BASE .. "/echo", { form = { z = "last one", a = "1&2" } })
      http.post(BASE .. "/echo", { form = { title = "doc" }, files = {
        { name = "upload", filename = 'a "b".txt', content = "file\\r\\ndata", content_type = "text/plain" },
        { name = "skipped", filename = "empty.txt", content = "" } } })`);
    expect(seen[0].headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(seen[0].body.toString()).toBe('a=1%262&z=last+one');
    const ct = seen[1].headers['content-type'] as string;
    const boundary = /^multipart\/form-data; boundary=([0-9a-f]{60})$/.exec(ct)?.[1];
    expect(boundary).toBeDefined();
    expect(seen[1].body.toString()).toBe(
      `--${boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\ndoc\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="upload"; filename="a \\"b\\".txt"\r\nContent-Type: application/octet-stream\r\n\r\nfile\r\ndata\r\n` +
        `--${boundary}--\r\n`,
    );
  });

  test('redirects as Go follows them: 302 turns POST into GET, 307 keeps method and body, 10 at most', async () => {
    routes.set('/r302', (_req, res) => res.writeHead(302, { Location: '/final?x=1' }).end());
    routes.set('/r307', (_req, res) => res.writeHead(307, { Location: '/final' }).end());
    routes.set('/final', (req, res, body) => res.end(`${req.method} ${body.toString()}`));
    routes.set('/loop', (_req, res) => res.writeHead(302, { Location: '/loop' }).end());
    const r = (await lua(`
      local a = http.post(BASE .. "/r302", { body = "payload" })
      local b = http.post(BASE .. "/r307", { body = "payload" })
      return { a = { a.body, a.url }, b = b.body, loop = E(http.get(BASE .. "/loop")) }`)) as Record<string, any>;
    expect(r.a).toEqual(['GET ', `${base}/final?x=1`]);
    expect(r.b).toBe('POST payload');
    expect(r.loop).toMatchObject({ failed: true, kind: 'Internal', retryable: true, message: `Get "${base}/loop": stopped after 10 redirects` });
  });

  test('gzip is asked for and undone transparently (Content-Encoding and Content-Length dropped), as Go does', async () => {
    routes.set('/gz', (req, res) => {
      const data = 'compressible '.repeat(1000);
      if (req.headers['accept-encoding'] === 'gzip') res.setHeader('Content-Encoding', 'gzip');
      res.end(req.headers['accept-encoding'] === 'gzip' ? gzipSync(data) : data);
    });
    const r = (await lua(`
      local a = http.get(BASE .. "/gz")
      local b = http.get(BASE .. "/gz", { headers = { ["Accept-Encoding"] = "identity" } })
      return { size = a.body_size, enc = a.headers["Content-Encoding"] or "none", len = a.headers["Content-Length"] or "none", plain = b.body_size }`)) as Record<string, any>;
    expect(r).toEqual({ size: 13_000, enc: 'none', len: 'none', plain: 13_000 });
  });

  test('encode_uri / decode_uri are Go\'s QueryEscape / QueryUnescape', async () => {
    const r = (await lua(`return { http.encode_uri("a b&c=d/é~"), http.decode_uri("a+b%26c%3Dd%2F%C3%A9~"), E(http.decode_uri("bad%zz")), E(http.decode_uri("end%4")) }`)) as any[];
    expect(r[0]).toBe('a+b%26c%3Dd%2F%C3%A9~');
    expect(r[1]).toBe('a b&c=d/é~');
    expect(r[2]).toMatchObject({ failed: true, kind: 'Invalid', message: 'invalid URL escape "%zz"' });
    expect(r[3]).toMatchObject({ message: 'invalid URL escape "%4"' });
  });

  test('unix_socket sends the request over a unix domain socket', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wisp-http-'));
    const path = join(dir, 'api.sock');
    const unix = createServer((req, res) => res.end(`unix ${req.url}`));
    await new Promise<void>((r) => unix.listen(path, r));
    try {
      const r = await lua(`local resp, err = http.get("http://ignored/info", { unix_socket = "${path}" }) return resp.body`);
      expect(r).toBe('unix /info');
    } finally {
      await new Promise((r) => unix.close(r));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('streams', () => {
  test('stream = true: chunks read as they come, body_size -1, close() answers true', async () => {
    routes.set('/sse', (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      let n = 0;
      const tick = setInterval(() => {
        res.write(`event: data\ndata: {"msg":${n}}\n\n`);
        if (++n === 5) {
          clearInterval(tick);
          res.end('event: end\ndata: {}\n\n');
        }
      }, 20);
    });
    const r = (await lua(`
      local resp = http.get(BASE .. "/sse", { stream = true })
      local chunks = {}
      while true do
        local c, err = resp.stream:read(256)
        if err then error(err) end
        if c == nil then break end
        chunks[#chunks + 1] = c
      end
      return { size = resp.body_size, body = resp.body == nil, n = #chunks, text = table.concat(chunks), close = { resp.stream:close() } }`)) as Record<string, any>;
    expect(r.size).toBe(-1);
    expect(r.body).toBe(true);
    expect(r.n).toBeGreaterThan(1);
    expect(r.text).toContain('data: {"msg":4}');
    expect(r.text).toContain('event: end');
    expect(r.close).toEqual([true]);
  });

  test('request_batch: concurrent, results in order, partial failures in errors[i]; bad definitions are Invalid', async () => {
    routes.set('/slow', (req, res) => setTimeout(() => res.end(req.url), 100));
    const r = (await lua(`
      local reqs = {}
      for i = 1, 8 do reqs[i] = { "GET", BASE .. "/slow?i=" .. i } end
      reqs[9] = { "post", "http://127.0.0.1:1/refused", { body = "x" } }
      local responses, errors = http.request_batch(reqs)
      local bodies = {}
      for i = 1, 8 do bodies[i] = responses[i].body end
      return { bodies = bodies, nine = responses[9] == nil, e9 = E(nil, errors[9]), e1 = errors[1] == nil,
        bad = { E(http.request_batch({ "GET" })), E(http.request_batch({ { 1, "x" } })), E(http.request_batch({ { "GET", 2 } })),
          E(http.request_batch({ { "GET", BASE, { stream = true } } })) },
        empty = select(2, pcall(http.request_batch, {})) }`)) as Record<string, any>;
    expect(r.bodies).toEqual(Array.from({ length: 8 }, (_, i) => `/slow?i=${i + 1}`));
    expect(r.nine).toBe(true);
    expect(r.e9).toMatchObject({ kind: 'Internal', retryable: true });
    expect(r.e9.message).toMatch(/^Post "http:\/\/127\.0\.0\.1:1\/refused": dial tcp 127\.0\.0\.1:1: connect: connection refused$/);
    expect(r.e1).toBe(true);
    expect(r.bad.map((b: any) => b.message)).toEqual(['each request must be a table', 'method must be a string', 'URL must be a string', 'streaming not supported in batch requests']);
    expect(r.bad[0]).toMatchObject({ kind: 'Invalid', retryable: false });
    expect(r.empty).toMatch(/requests table cannot be empty/);
    expect(maxOpen).toBeGreaterThan(1);
  });
});

describe('failures and hostile peers', () => {
  test('connection refused and bad URLs are structured Internal, retryable errors in Go\'s words', async () => {
    const r = (await lua(`return { E(http.get("http://127.0.0.1:1/x")), E(http.get("not a url")), E(http.get("ftp://x/y")),
      select(2, pcall(http.get, "")), select(2, pcall(http.request, "", "http://x")) }`)) as any[];
    expect(r[0]).toEqual({ failed: true, kind: 'Internal', retryable: true, message: 'Get "http://127.0.0.1:1/x": dial tcp 127.0.0.1:1: connect: connection refused' });
    expect(r[1]).toMatchObject({ kind: 'Internal', message: 'parse "not a url": invalid URL' });
    expect(r[2].message).toMatch(/unsupported protocol scheme "ftp"/);
    expect(r[3]).toMatch(/URL required/);
    expect(r[4]).toMatch(/method required/);
  });

  test('a server that never answers: the timeout (Go duration or whole seconds) ends the wait, the runtime lives on', async () => {
    routes.set('/never', () => {});
    routes.set('/ok', (_req, res) => res.end('ok'));
    const started = Date.now();
    const r = (await lua(`return { E(http.get(BASE .. "/never", { timeout = "300ms" })), E(http.get(BASE .. "/never", { timeout = 1 })), http.get(BASE .. "/ok").body }`)) as any[];
    expect(r[0]).toMatchObject({ failed: true, kind: 'Internal', retryable: true, message: `Get "${base}/never": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` });
    expect(r[1].message).toMatch(/Client\.Timeout exceeded/);
    expect(r[2]).toBe('ok');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  test('a server that drips its body a byte at a time is cut at the deadline, body included', async () => {
    routes.set('/drip', (_req, res) => {
      res.writeHead(200, { 'Content-Length': '1000' });
      const tick = setInterval(() => (res.writableEnded || res.destroyed ? clearInterval(tick) : res.write('x')), 50);
      res.on('close', () => clearInterval(tick));
    });
    const r = (await lua(`
      local a = E(http.get(BASE .. "/drip", { timeout = "400ms" }))
      local s = http.get(BASE .. "/drip", { timeout = "400ms", stream = true })
      local got, err = 0, nil
      while true do
        local c, e = s.stream:read(100)
        if e then err = e:message() break end
        if c == nil then break end
        got = got + #c
      end
      return { a = a, got = got, err = err }`)) as Record<string, any>;
    expect(r.a).toMatchObject({ failed: true, message: 'context deadline exceeded (Client.Timeout or context cancellation while reading body)' });
    expect(r.got).toBeLessThan(1000);
    expect(r.err).toBe('context deadline exceeded (Client.Timeout or context cancellation while reading body)');
  });

  test('a 1 GB body: max_response_body stops it early; streamed, it is pulled only as read; memory stays bounded', async () => {
    const GB = 1024 * 1024 * 1024;
    let sent = 0;
    routes.set('/huge', (_req, res) => {
      res.writeHead(200, { 'Content-Length': String(GB) });
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      let written = 0;
      const pump = (): void => {
        while (written < GB && !res.destroyed) {
          written += chunk.length;
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        if (!res.destroyed) res.end();
      };
      pump();
    });
    const heapBefore = process.memoryUsage().rss;
    const r = (await lua(`
      local limited = E(http.get(BASE .. "/huge", { max_response_body = 1048576 }))
      local s = http.get(BASE .. "/huge", { stream = true })
      local got = 0
      for i = 1, 10 do got = got + #s.stream:read(65536) end
      time.sleep("200ms")
      s.stream:close()
      return { limited = limited, got = got, size = s.headers["Content-Length"] }`)) as Record<string, any>;
    expect(r.limited).toMatchObject({ failed: true, kind: 'Internal', message: 'response body too large (max 1048576 bytes)' });
    expect(r.got).toBeGreaterThan(0);
    expect(r.got).toBeLessThanOrEqual(10 * 65536);
    expect(r.size).toBe(String(GB));
    expect(sent).toBeLessThan(64 * 1024 * 1024);
    expect(process.memoryUsage().rss - heapBefore).toBeLessThan(256 * 1024 * 1024);
    await new Promise((res) => setTimeout(res, 100));
  });

  test('the default body limit (64 MiB, the largest Lua string) ends an unbounded body without holding it all', async () => {
    routes.set('/endless', (_req, res) => {
      res.writeHead(200);
      const chunk = Buffer.alloc(256 * 1024, 0x62);
      const pump = (): void => {
        while (!res.destroyed) if (!res.write(chunk)) return void res.once('drain', pump);
      };
      pump();
    });
    const r = (await lua(`return E(http.get(BASE .. "/endless"))`)) as Record<string, any>;
    expect(r).toMatchObject({ failed: true, message: `response body too large (max ${64 * 1024 * 1024} bytes)` });
  });

  test('a process that ends mid-request cancels it: the server sees the connection go', async () => {
    let reached!: () => void;
    const arrived = new Promise<void>((r) => (reached = r));
    routes.set('/hang', () => reached());
    const before = aborted;
    const vm = createVM();
    const run = spawn(vm, `local http = require("http_client")
      local function main() http.get("${base}/hang", { timeout = "60s" }) end
      return { main = main }`, 'test:cancel', [], ['http_client']);
    await arrived;
    run.proc.terminate();
    const r = await run.exit;
    expect(r.error).not.toBeNull();
    for (let i = 0; i < 50 && aborted === before; i++) await new Promise((res) => setTimeout(res, 20));
    expect(aborted).toBeGreaterThan(before);
    expect(valueToPlain(r.value)).toBeNull();
  });

  test('many concurrent requests are bounded: at most 256 exchanges in flight, the rest wait their turn', async () => {
    routes.set('/held', (_req, res) => setTimeout(() => res.end('done'), 300));
    const r = (await lua(`
      local reqs = {}
      for i = 1, 300 do reqs[i] = { "GET", BASE .. "/held" } end
      local responses, errors = http.request_batch(reqs)
      local ok = 0
      for i = 1, 300 do if responses[i] and responses[i].body == "done" then ok = ok + 1 end end
      return { ok = ok, errors = errors == nil }`)) as Record<string, any>;
    expect(r).toEqual({ ok: 300, errors: true });
    expect(maxOpen).toBeLessThanOrEqual(256);
    expect(maxOpen).toBeGreaterThan(64);
  }, 40_000);

  test('open response streams are limited per process (an error past 64), and never hold up another process', async () => {
    routes.set('/open', (_req, res) => res.writeHead(200).write('x'));
    routes.set('/ok', (_req, res) => res.end('ok'));
    let report!: (q: URLSearchParams) => void;
    const reported = new Promise<URLSearchParams>((resolve) => (report = resolve));
    routes.set('/report', (req, res) => {
      report(new URL(req.url ?? '/', base).searchParams);
      res.end();
    });
    const vm = createVM();
    const hog = spawn(vm, `local http = require("http_client")
      local function main()
        local streams, err = {}, nil
        for i = 1, 65 do
          local r, e = http.get("${base}/open", { stream = true })
          if e then err = e:message() break end
          streams[#streams + 1] = r.stream
        end
        http.get("${base}/report", { query = { opened = tostring(#streams), err = err or "" } })
        channel.new():receive() -- keeps its streams open until it is terminated
      end
      return { main = main }`, 'test:hog', [], ['http_client']);
    const q = await reported;
    expect(q.get('opened')).toBe('64');
    expect(q.get('err')).toMatch(/too many open response streams \(at most 64 per process, 1024 in all\)$/);
    // While the hog holds its 64 streams, another process is served: plain requests and streams of its own.
    const other = (await lua(`local r = http.get(BASE .. "/open", { stream = true }) local c = r.stream:read(1) r.stream:close() return { c, http.get(BASE .. "/ok").body }`)) as string[];
    expect(other).toEqual(['x', 'ok']);
    hog.proc.terminate();
    await hog.exit;
  });

  test('a file upload can read its content from a stream (a response streamed from elsewhere)', async () => {
    routes.set('/source', (_req, res) => res.end('streamed file content'));
    routes.set('/upload', (_req, res, body) => res.end(String(body.length)));
    await lua(`
      local src = http.get(BASE .. "/source", { stream = true })
      local resp = http.post(BASE .. "/upload", { files = { { name = "f", filename = "a.txt", reader = src.stream } } })
      return resp.body`);
    const upload = seen.find((s) => s.url === '/upload');
    expect(upload?.body.toString()).toContain('filename="a.txt"\r\nContent-Type: application/octet-stream\r\n\r\nstreamed file content\r\n');
  });
});
