/**
 * `wisp run --threads 2` serving HTTP (src/services/http/spec.md "Threads"), as a child process with real
 * clients over loopback: thread 1 alone accepts (`host.threads: 1`) and the handlers run on both threads (a handler answers its
 * own PID, whose node part names its thread): an idle worker first, thread 1 when the worker is busier. Requests served on thread 2 keep their whole life there: a body
 * of megabytes pulled across, the body limit, a streamed response to a slow reader, SSE events flushed one by
 * one, a client that disconnects mid-response (the handler ends, the server goes on).
 */
import type { IncomingMessage } from 'http';
import { connect } from 'net';
import { sleep, wispAround } from '../helpers/cli';
import { endpoint, httpProject, open, roundTrip, type Reply } from '../services/http/fixture';
import { until } from '../helpers/poll';

const T1 = /^\{t1@functions\|0x[0-9a-f]{5,}\}$/;
const T2 = /^\{t2@functions\|0x[0-9a-f]{5,}\}$/;

function project(port: number): string {
  const endpoints = [
    ['pid', 'GET', '/pid'],
    ['echo', 'POST', '/echo'],
    ['stream', 'GET', '/stream'],
    ['forever', 'GET', '/forever'],
    ['alive', 'GET', '/alive'],
    ['events', 'GET', '/events'],
    ['release', 'GET', '/release'],
  ];
  const entries = endpoints.map(([name, method, path]) => endpoint(name, method, path, 'api', ['http', 'time', 'json'])).join('');
  return httpProject(port, entries, {
    'pid.lua': `local http = require("http")
local function handler()
  local res = http.response()
  res:set_content_type("text/plain")
  res:write(tostring(process.pid()))
end
return { handler = handler }`,
    'echo.lua': `local http = require("http")
local function handler()
  local req = http.request()
  local res = http.response()
  res:set_header("X-Pid", tostring(process.pid()))
  local body, err = req:body()
  if err then
    res:set_status(413)
    res:write(tostring(err))
    return
  end
  res:set_content_type("application/octet-stream")
  res:write(body)
end
return { handler = handler }`,
    'stream.lua': `local http = require("http")
local function handler()
  local req = http.request()
  local res = http.response()
  res:set_header("X-Pid", tostring(process.pid()))
  local chunk = string.rep("abcdefgh", 8192)
  for i = 1, tonumber(req:query("n")) do
    local ok, err = res:write(chunk)
    if err then error(err) end
  end
end
return { handler = handler }`,
    'forever.lua': `local http = require("http")
local function handler()
  local res = http.response()
  res:set_header("X-Pid", tostring(process.pid()))
  process.registry.register(http.request():query("name"))
  local chunk = string.rep("z", 65536)
  while true do res:write(chunk) end
end
return { handler = handler }`,
    'alive.lua': `local http = require("http")
local function handler()
  http.response():write(tostring(process.registry.lookup(http.request():query("name")) ~= nil))
end
return { handler = handler }`,
    'events.lua': `local http = require("http")
local function handler()
  local res = http.response()
  res:set_header("X-Pid", tostring(process.pid()))
  process.registry.register(http.request():query("name"))
  res:write_event({name = "first", data = {n = 1}})
  process.inbox():receive()
  res:write_event({name = "second", data = {n = 2}})
end
return { handler = handler }`,
    'release.lua': `local http = require("http")
local function handler()
  http.response():write(tostring(process.send(http.request():query("name"), "go", true)))
end
return { handler = handler }`,
    // Thread 1 alone accepts: these are the hand-over's tests (the shared socket's: http-threads-listen.test.ts).
  }, '    limits: { max_body_bytes: 4000000 }\n    host: { threads: 1 }');
}

/** Sends `text` on a socket of its own and resolves with everything received until the server closes it. */
function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(text));
    let got = '';
    s.on('data', (d: Buffer) => (got += d.toString('latin1')));
    s.on('close', () => resolve(got));
    s.on('error', reject);
  });
}

/** Asks until a response comes from a handler on thread 2 (the server alternates between idle threads). */
async function onThread2(ask: () => Promise<Reply>): Promise<Reply> {
  for (let i = 0; i < 10; i++) {
    const r = await ask();
    if (T2.test(String(r.headers['x-pid']))) return r;
  }
  throw new Error('no response from thread 2 in 10 requests');
}

describe('wisp run --threads 2 serving HTTP', () => {
  // One listener: no thread fails to bind the address.
  const server = wispAround(['run', '--threads', '2'], project, /ERROR|address already in use/);
  let port = 0;
  beforeAll(() => (port = server.port));

  test('an idle worker thread takes each request; thread 1 takes handlers too once the worker is busier', async () => {
    for (let i = 0; i < 4; i++) {
      const r = await roundTrip(port, '/pid');
      expect(r.status).toBe(200);
      expect(r.headers['content-length']).toBe(String(r.body.length));
      expect(r.body.toString()).toMatch(T2);
    }
    // Streams held open keep their handlers busy: thread 2 fills up, then thread 1 takes one.
    const held: IncomingMessage[] = [];
    while (held.length < 6) {
      const res = await open(port, `/events?name=h${held.length}`);
      held.push(res);
      if (T1.test(String(res.headers['x-pid']))) break;
    }
    expect(held[held.length - 1].headers['x-pid']).toMatch(T1);
    expect(held.slice(0, -1).every((r) => T2.test(String(r.headers['x-pid'])))).toBe(true);
    for (const [i, r] of held.entries()) {
      r.resume();
      await roundTrip(port, `/release?name=h${i}`);
    }
  }, 30_000);

  test('a 3 MB body is pulled to thread 2 and echoed back byte for byte; one over the limit is refused there', async () => {
    const body = Buffer.alloc(3_000_000);
    for (let i = 0; i < body.length; i++) body[i] = (i * 7 + (i >> 11)) & 0xff;
    const r = await onThread2(() => roundTrip(port, '/echo', 'POST', body));
    expect(r.status).toBe(200);
    expect(r.body.equals(body)).toBe(true);
    // Content-Length over the limit: refused before the body is read (the rest is never sent here).
    let big = '';
    for (let i = 0; i < 10 && !/X-Pid: \{t2@/.test(big); i++) big = await raw(port, `POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\n\r\n${'a'.repeat(1000)}`);
    expect(big).toMatch(/^HTTP\/1.1 413/);
    expect(big).toMatch(/X-Pid: \{t2@functions/);
    expect(big).toContain('request body too large');
  }, 60_000);

  test('a 16 MB streamed response reaches a slow reader whole, with backpressure across the threads', async () => {
    let res = await open(port, '/stream?n=256');
    for (let i = 0; i < 10 && !T2.test(String(res.headers['x-pid'])); i++) {
      res.resume();
      await new Promise((r) => res.on('end', r));
      res = await open(port, '/stream?n=256');
    }
    expect(res.headers['x-pid']).toMatch(T2);
    expect(res.headers['transfer-encoding']).toBe('chunked');
    let bytes = 0;
    let bad = false;
    res.pause();
    // Reads in bursts with pauses: the handler's writes wait for the client instead of piling up on thread 1.
    for (;;) {
      await sleep(5);
      let chunk: Buffer | null;
      let got = 0;
      while ((chunk = res.read() as Buffer | null) !== null) {
        if (chunk.toString('latin1', 0, 8) !== 'abcdefgh'.slice(bytes % 8) + 'abcdefgh'.slice(0, bytes % 8)) bad = true;
        bytes += chunk.length;
        got += chunk.length;
      }
      if (res.readableEnded || (got === 0 && res.complete)) break;
      if (got === 0) await new Promise((r) => res.once('readable', r));
    }
    expect(bad).toBe(false);
    expect(bytes).toBe(256 * 65536);
  }, 60_000);

  test('SSE from thread 2: the first event arrives before the handler goes on to the second', async () => {
    // The idle worker takes it; should thread 1 have (the worker still busy with an earlier stream), the one left
    // open there makes the next go to thread 2.
    const opened: IncomingMessage[] = [];
    let res = await open(port, '/events?name=e0');
    while (!T2.test(String(res.headers['x-pid'])) && opened.length < 5) {
      opened.push(res);
      res = await open(port, `/events?name=e${opened.length}`);
    }
    expect(res.headers['x-pid']).toMatch(T2);
    expect(res.headers['content-type']).toBe('text/event-stream');
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (c: string) => (text += c));
    await until('the first event', () => text.includes('\n\n'), 20_000, () => text);
    expect(text).toBe('event: first\ndata: {"n":1}\n\n');
    expect((await roundTrip(port, `/release?name=e${opened.length}`)).body.toString()).toBe('true');
    await new Promise((r) => res.on('end', r));
    expect(text).toBe('event: first\ndata: {"n":1}\n\nevent: second\ndata: {"n":2}\n\n');
    for (let i = 0; i < opened.length; i++) {
      opened[i].resume();
      await roundTrip(port, `/release?name=e${i}`);
    }
  }, 60_000);

  test('a client that disconnects mid-response ends the handler on thread 2; the server goes on', async () => {
    const alive = async (name: string): Promise<string> => (await roundTrip(port, `/alive?name=${name}`)).body.toString();
    const opened: IncomingMessage[] = [];
    let res = await open(port, '/forever?name=f0');
    while (!T2.test(String(res.headers['x-pid'])) && opened.length < 5) {
      opened.push(res);
      res = await open(port, `/forever?name=f${opened.length}`);
    }
    expect(res.headers['x-pid']).toMatch(T2);
    const name = `f${opened.length}`;
    await new Promise((r) => res.once('data', r));
    expect(await alive(name)).toBe('true');
    res.destroy();
    await until('the handler to end', async () => (await alive(name)) === 'false', 20_000);
    for (const [i, r] of opened.entries()) {
      r.destroy();
      await until('the handler to end', async () => (await alive(`f${i}`)) === 'false', 20_000);
    }
    const pids = await Promise.all([roundTrip(port, '/pid'), roundTrip(port, '/pid')]);
    expect(pids.map((r) => r.status)).toEqual([200, 200]);
  }, 60_000);
});
