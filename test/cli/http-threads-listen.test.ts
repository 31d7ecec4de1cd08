/**
 * `wisp run --threads 2` accepting on every thread (src/services/http/spec.md "Threads", shared-socket.ts), as a
 * child process with real clients over loopback. Which thread accepted a connection is seen through an upgrade
 * request: its handler never leaves the thread that accepted it, and answers its own PID, whose node part names
 * the thread. By default both threads accept; `host.threads: 1` keeps the socket on thread 1; a server with a
 * rate limit is accepted on thread 1 alone, so its buckets are the node's.
 */
import type { IncomingMessage } from 'http';
import { wispAround } from '../helpers/cli';
import { acceptors, endpoint, httpProject, open, roundTrip } from '../services/http/fixture';
import { until } from '../helpers/poll';

const PID = `local http = require("http")
return { handler = function() http.response():write(tostring(process.pid())) end }`;

const EVENTS = `local http = require("http")
local function handler()
  local res = http.response()
  res:set_header("X-Pid", tostring(process.pid()))
  process.registry.register(http.request():query("name"))
  res:write_event({name = "first", data = {n = 1}})
  process.inbox():receive()
  res:write_event({name = "second", data = {n = 2}})
end
return { handler = handler }`;

const RELEASE = `local http = require("http")
return { handler = function() http.response():write(tostring(process.send(http.request():query("name"), "go", true))) end }`;

function project(server: string, limited = ''): (port: number) => string {
  return (port) =>
    httpProject(
      port,
      endpoint('pid', 'GET', '/pid') + endpoint('events', 'GET', '/events') + endpoint('release', 'GET', '/release') + limited,
      { 'pid.lua': PID, 'events.lua': EVENTS, 'release.lua': RELEASE },
      server,
    );
}

/** A second router with a rate limit of 5 at once (then 1 a minute) per client address, and its endpoint. */
const LIMITED = `  - name: limited
    kind: http.router
    meta: { server: gateway }
    prefix: /limited
    middleware: [ratelimit]
    options: { ratelimit.requests: "1", ratelimit.window: "1m", ratelimit.burst: "5" }
  - name: limited.ep
    kind: http.endpoint
    meta: { router: limited }
    method: GET
    path: /pid
    func: pid
`;

/** Started with threads, every PID names its thread: one that does not reads as 'no thread', and fails. */
const THREADED = { bare: 'no thread' };

describe('wisp run --threads 2: every thread accepts on the socket', () => {
  const server = wispAround(['run', '--threads', '2'], project(''));

  test('connections land on both threads, each served whole where it landed', async () => {
    const seen = new Set<string>();
    await until('connections accepted by both threads', async () => {
      for (const t of await acceptors(server.port, 10, THREADED)) seen.add(t);
      return seen.size === 2 && seen.has('t1') && seen.has('t2') ? true : null;
    }, 30_000, () => [...seen].join(','));
    const answers = await Promise.all(Array.from({ length: 20 }, () => roundTrip(server.port, '/pid')));
    for (const a of answers) expect({ status: a.status, text: a.text }).toEqual({ status: 200, text: expect.stringMatching(/^\{t[12]@functions\|0x[0-9a-f]+\}$/) as string });
  }, 60_000);

  test('an SSE stream on thread 2 flushes its first event, and a release from another connection reaches it', async () => {
    let res = await open(server.port, '/events?name=s0');
    const others: IncomingMessage[] = [];
    while (!/^\{t2@/.test(String(res.headers['x-pid'])) && others.length < 20) {
      others.push(res);
      res = await open(server.port, `/events?name=s${others.length}`);
    }
    expect(String(res.headers['x-pid'])).toMatch(/^\{t2@functions\|/);
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (c: string) => (text += c));
    await until('the first event', () => text.includes('\n\n'), 20_000, () => text);
    expect(text).toBe('event: first\ndata: {"n":1}\n\n');
    const ended = new Promise((r) => res.on('end', r));
    // The handler took its name before its first event: the release finds it, whichever thread serves it.
    expect((await roundTrip(server.port, `/release?name=s${others.length}`)).text).toBe('true');
    await ended;
    expect(text).toBe('event: first\ndata: {"n":1}\n\nevent: second\ndata: {"n":2}\n\n');
    for (let i = 0; i < others.length; i++) {
      others[i].resume();
      expect((await roundTrip(server.port, `/release?name=s${i}`)).text).toBe('true');
    }
  }, 60_000);
});

describe('wisp run --threads 2 with host.threads: 1 on the http.service', () => {
  const server = wispAround(['run', '--threads', '2'], project('    host: { threads: 1 }'));

  test('thread 1 alone accepts', async () => {
    expect(new Set(await acceptors(server.port, 40, THREADED))).toEqual(new Set(['t1']));
  }, 60_000);
});

describe('wisp run --threads 2 serving a rate limit', () => {
  const server = wispAround(['run', '--threads', '2'], project('', LIMITED));

  test('thread 1 alone accepts, and the limit is the node\'s: 5 of 20 at once pass', async () => {
    expect(new Set(await acceptors(server.port, 40, THREADED))).toEqual(new Set(['t1']));
    const answers = await Promise.all(Array.from({ length: 20 }, () => roundTrip(server.port, '/limited/pid')));
    expect(answers.filter((a) => a.status === 200).length).toBe(5);
    expect(answers.filter((a) => a.status === 429).length).toBe(15);
  }, 60_000);
});
