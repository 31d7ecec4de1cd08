/**
 * The HTTP server with real requests over loopback: routing by Go's ServeMux rules, the `http` module's
 * request and response, Wippy's finishing rules, handlers as processes.
 */
import { bootHttp, endpoint, httpProject } from './fixture';
import { freePort } from '../../helpers/net';
import type { Runtime } from '../../../src/hosts/runtime';

const HANDLERS: Record<string, string> = {
  'hello.lua': `local http = require("http")
local function handler()
  local res = http.response()
  res:set_content_type(http.CONTENT.JSON)
  res:set_status(http.STATUS.OK)
  res:write_json({message = "hello"})
end
return { handler = handler }`,
  'status_first.lua': `local http = require("http")
local function handler()
  local res = http.response()
  res:set_status(202)
  res:write_json({accepted = true})
end
return { handler = handler }`,
  'user.lua': `local http = require("http")
local function handler()
  local req = http.request()
  local res = http.response()
  local params = req:params()
  res:set_content_type("application/json")
  res:write_json({id = req:param("id"), n = params.id, q = req:query("x"), all = req:query_params(),
    ct = req:header("Content-Type"), lower = req:header("content-type"), method = req:method(), path = req:path(),
    pid = tostring(process.pid()), host = req:host()})
end
return { handler = handler }`,
  'raises.lua': `local function handler() error("boom in handler") end
return { handler = handler }`,
  'silent.lua': `local function handler() end
return { handler = handler }`,
  'echo.lua': `local http = require("http")
local function handler()
  local req = http.request()
  local res = http.response()
  local body, err = req:body_json()
  if err then res:set_status(400) res:write(tostring(err)) return end
  res:set_content_type("application/json")
  res:write_json({got = body, has = req:has_body(), len = req:content_length()})
end
return { handler = handler }`,
  'late.lua': `local http = require("http")
local function handler()
  local res = http.response()
  res:write("some data")
  local err = res:set_status(500)
  local err2 = res:set_header("X-Late", "1")
  res:write(" " .. tostring(err) .. "|" .. err:kind() .. "|" .. tostring(err2 ~= nil))
end
return { handler = handler }`,
  'events.lua': `local http = require("http")
local function handler()
  local res = http.response()
  res:write_event({name = "start", data = {msg = "go"}})
  res:write_event({name = "end", data = {n = 2}})
end
return { handler = handler }`,
  'ask.lua': `local http = require("http")
local time = require("time")
local function handler()
  local res = http.response()
  local worker = process.spawn("t:doubler", "t:host", process.pid(), tonumber(http.request():query("n")))
  local r = channel.select { process.inbox():case_receive(), time.after("3s"):case_receive() }
  res:set_status(202)
  res:write_json({worker = worker, answer = r.value:payload():data()})
end
return { handler = handler }`,
  'doubler.lua': `local function main(reply_to, n)
  process.send(reply_to, "answer", n * 2)
  return 0
end
return { main = main }`,
  'outside.lua': `local http = require("http")
local function main()
  local req, err = http.request()
  return {req = req == nil, err = tostring(err), status = http.STATUS.INTERNAL_SERVER_ERROR, json = http.CONTENT.JSON}
end
return { main = main }`,
};

const ENTRIES =
  endpoint('hello', 'GET', '/hello') +
  endpoint('status_first', 'POST', '/accept') +
  endpoint('user', 'GET', '/users/{id}', 'api', ['http', 'json']) +
  endpoint('user', 'GET', '/users/me', 'api').replace(/- name: user\n[\s\S]*?- name: user.ep/, '- name: me.ep') +
  endpoint('raises', 'GET', '/raises') +
  endpoint('silent', 'GET', '/silent') +
  endpoint('echo', 'POST', '/echo') +
  endpoint('late', 'GET', '/late') +
  endpoint('events', 'GET', '/events') +
  endpoint('ask', 'GET', '/ask', 'api', ['http', 'time']) +
  `  - name: doubler
    kind: process.lua
    source: file://doubler.lua
    method: main
    modules: []
` +
  `  - name: colon
    kind: http.endpoint
    meta: { router: api }
    method: PUT
    path: /items/:item/tags
    func: user
  - name: tree
    kind: http.router
    meta: { server: gateway }
    prefix: /api/files
  - name: tree.ep
    kind: http.endpoint
    meta: { router: tree }
    method: GET
    path: /
    func: user
  - name: outside
    kind: process.lua
    source: file://outside.lua
    method: main
    modules: [http]
`;

let rt: Runtime;
let base: string;

beforeAll(async () => {
  const port = await freePort();
  rt = await bootHttp(httpProject(port, ENTRIES, HANDLERS));
  base = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  await rt.shutdown();
});

test('hello: JSON with the content type the handler set, and a Content-Length', async () => {
  const r = await fetch(`${base}/hello`);
  expect(r.status).toBe(200);
  expect(r.headers.get('content-type')).toBe('application/json');
  expect(r.headers.get('content-length')).not.toBeNull();
  expect(await r.json()).toEqual({ message: 'hello' });
});

test('set_status before write_json sends text/plain, as Go sniffs a body whose headers were committed', async () => {
  const r = await fetch(`${base}/accept`, { method: 'POST' });
  expect(r.status).toBe(202);
  expect(r.headers.get('content-type')).toBe('text/plain; charset=utf-8');
  expect(await r.json()).toEqual({ accepted: true });
});

test('{param}: a literal segment beats a wildcard; params, query, canonical header lookup; a handler is a process', async () => {
  const r = await fetch(`${base}/users/42?x=1&x=2&y=z`, { headers: { 'content-type': 'text/x-test' } });
  const body = (await r.json()) as Record<string, unknown>;
  expect(body).toMatchObject({ id: '42', n: '42', q: '1', all: { x: '1,2', y: 'z' }, ct: 'text/x-test', method: 'GET', path: '/users/42' });
  expect(body.lower).toBeUndefined();
  expect(body.pid).toMatch(/^\{/);
  expect(body.host).toBe(base.slice('http://'.length));
  const me = (await (await fetch(`${base}/users/me`)).json()) as Record<string, unknown>;
  expect(me.id).toBeUndefined();
  expect(me.path).toBe('/users/me');
});

test(':param segments work as {param}', async () => {
  const r = await fetch(`${base}/items/abc/tags`, { method: 'PUT' });
  expect(((await r.json()) as Record<string, unknown>).id).toBeUndefined();
  expect(r.status).toBe(200);
});

test('a subtree: its root without the slash is redirected with 301; anything under it matches', async () => {
  const r = await fetch(`${base}/api/files?q=1`, { redirect: 'manual' });
  expect(r.status).toBe(301);
  expect(r.headers.get('location')).toBe('/api/files/?q=1');
  const deep = await fetch(`${base}/api/files/a/b/c`);
  expect(((await deep.json()) as Record<string, unknown>).path).toBe('/api/files/a/b/c');
});

test('404, 405 with Allow (auto OPTIONS included), HEAD on GET, automatic OPTIONS 204', async () => {
  const nf = await fetch(`${base}/nope`);
  expect(nf.status).toBe(404);
  expect(await nf.text()).toBe('404 page not found\n');
  const na = await fetch(`${base}/hello`, { method: 'DELETE' });
  expect(na.status).toBe(405);
  expect(na.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
  const head = await fetch(`${base}/hello`, { method: 'HEAD' });
  expect(head.status).toBe(200);
  expect(await head.text()).toBe('');
  const opt = await fetch(`${base}/hello`, { method: 'OPTIONS' });
  expect(opt.status).toBe(204);
  expect(await opt.text()).toBe('');
  const slash = await fetch(`${base}/hello/`);
  expect(slash.status).toBe(404);
});

test('a raised error before writing is a 500 with its text; nothing written is "no response sent"', async () => {
  const r = await fetch(`${base}/raises`);
  expect(r.status).toBe(500);
  expect(r.headers.get('x-content-type-options')).toBe('nosniff');
  expect(await r.text()).toContain('boom in handler');
  const s = await fetch(`${base}/silent`);
  expect(s.status).toBe(500);
  expect(await s.text()).toBe('no response sent\n');
});

test('body_json round trip; bad JSON is an Invalid error the handler sees', async () => {
  const r = await fetch(`${base}/echo`, { method: 'POST', body: JSON.stringify({ a: [1, 2], b: 'x' }) });
  const body = (await r.json()) as Record<string, unknown>;
  expect(body.got).toEqual({ a: [1, 2], b: 'x' });
  expect(body.has).toBe(true);
  const bad = await fetch(`${base}/echo`, { method: 'POST', body: '{nope' });
  expect(bad.status).toBe(400);
  expect(await bad.text()).toContain('invalid JSON');
});

test('after writing, status and headers are refused with Invalid errors and the body stays', async () => {
  const r = await fetch(`${base}/late`);
  expect(r.status).toBe(200);
  expect(r.headers.get('x-late')).toBeNull();
  expect(await r.text()).toBe('some data cannot set status after headers are sent|Invalid|true');
});

test('write_event streams SSE', async () => {
  const r = await fetch(`${base}/events`);
  expect(r.headers.get('content-type')).toBe('text/event-stream');
  expect(await r.text()).toBe('event: start\ndata: {"msg":"go"}\n\nevent: end\ndata: {"n":2}\n\n');
});

test('a handler spawns a process and waits on its inbox for the answer (the shop and http-spawn pattern)', async () => {
  const r = await fetch(`${base}/ask?n=21`);
  expect(r.status).toBe(202);
  const body = (await r.json()) as Record<string, unknown>;
  expect(body.answer).toBe(42);
  expect(body.worker).toMatch(/^\{.*t:host\|/);
});

test('outside a handler http.request() is nil and an error; constants are there', async () => {
  const { runLua } = await import('../../helpers/service-project');
  const r = (await runLua(rt, 'outside')) as Record<string, unknown>;
  expect(r).toEqual({ req: true, err: 'no HTTP request context found', status: 500, json: 'application/json' });
});

test('no handler process is left behind', async () => {
  await Promise.all(Array.from({ length: 50 }, () => fetch(`${base}/hello`).then((r) => r.text())));
  const handlers = rt.node.allProcesses().filter((p) => p.entry === 't:hello');
  expect(handlers).toHaveLength(0);
});
