/**
 * websocket_relay over a real socket: a handler spawns a process and hands it the connection; frames go to
 * it, what it sends comes back as {data, topic} text frames; the connection is a process that leaves no
 * trace when closed; origins are checked; a bad relay header is a 400.
 */
import WebSocket from 'ws';
import { bootHttp, httpProject } from './fixture';
import { freePort } from '../../helpers/net';
import type { Runtime } from '../../../src/hosts/runtime';

const ENTRIES = `  - name: wsr
    kind: http.router
    meta: { server: gateway }
    prefix: /ws
    middleware: [websocket_relay]
    options:
      wsrelay.allowed.origins: "good.example"
  - name: echo
    kind: process.lua
    source: file://echo.lua
    method: main
    modules: [json]
  - name: upgrade
    kind: function.lua
    source: file://upgrade.lua
    method: handler
    modules: [http, json]
  - name: upgrade.ep
    kind: http.endpoint
    meta: { router: wsr }
    method: GET
    path: /echo
    func: upgrade
`;

const LUA = {
  'echo.lua': `local function main()
  local inbox = process.inbox()
  local client
  while true do
    local msg = inbox:receive()
    local topic = msg:topic()
    local data = msg:payload():data()
    if topic == "ws.join" then
      client = data.client_pid
      process.send(client, "hello", {joined = true, from = msg:from() == client})
    elseif topic == "ws.message" then
      if data == "close me" then process.send(client, "ws.close", "bye") 
      elseif data == "quit" then return 0
      else process.send(client, "echo", data) end
    elseif topic == "ws.leave" then
      return 0
    end
  end
end
return { main = main }`,
  'upgrade.lua': `local http = require("http")
local json = require("json")
local function handler()
  local req = http.request()
  local res = http.response()
  if req:query("bad") then res:set_header("X-WS-Relay", json.encode({target_pid = "nope"})) return end
  local pid = process.spawn("t:echo", "t:host")
  res:set_header("X-WS-Relay", json.encode({target_pid = pid, message_topic = "ws.message"}))
end
return { handler = handler }`,
};

let rt: Runtime;
let port: number;

beforeAll(async () => {
  port = await freePort();
  rt = await bootHttp(httpProject(port, ENTRIES, LUA));
});

afterAll(async () => {
  await rt.shutdown();
});

function open(origin?: string, query = ''): Promise<{ ws: WebSocket; frames: unknown[]; next: () => Promise<unknown>; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/echo${query}`, origin === undefined ? {} : { origin });
    const frames: unknown[] = [];
    const waiters: ((v: unknown) => void)[] = [];
    ws.on('message', (d) => {
      const v = JSON.parse(d.toString());
      const w = waiters.shift();
      if (w) w(v);
      else frames.push(v);
    });
    const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
    const next = (): Promise<unknown> => (frames.length > 0 ? Promise.resolve(frames.shift()) : new Promise((r) => waiters.push(r)));
    ws.on('open', () => resolve({ ws, frames, next, closed }));
    ws.on('unexpected-response', (_req, res) => reject(new Error(`status ${res.statusCode}`)));
    ws.on('error', reject);
  });
}

const relayProcesses = (): number => rt.node.allProcesses().filter((p) => p.pid.host === 't:gateway').length;

test('frames reach the target; what it sends comes back as {data, topic}; closing ends both processes', async () => {
  const c = await open();
  expect(await c.next()).toEqual({ data: { joined: true, from: true }, topic: 'hello' });
  c.ws.send('ping 1');
  expect(await c.next()).toEqual({ data: 'ping 1', topic: 'echo' });
  c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
  // A binary frame reaches Lua as a string; sent back from Lua it is a string again (as on Wippy).
  expect(await c.next()).toEqual({ data: '\x01\x02\x03', topic: 'echo' });
  expect(relayProcesses()).toBe(1);
  c.ws.close();
  await c.closed;
  for (let i = 0; i < 50 && (relayProcesses() > 0 || rt.node.allProcesses().some((p) => p.entry === 't:echo')); i++) await new Promise((r) => setTimeout(r, 20));
  expect(relayProcesses()).toBe(0);
  expect(rt.node.allProcesses().filter((p) => p.entry === 't:echo')).toHaveLength(0);
});

test('ws.close from the target closes the socket; the target exiting closes it too', async () => {
  const a = await open();
  await a.next();
  a.ws.send('close me');
  expect(await a.closed).toBe(1000);
  const b = await open();
  await b.next();
  b.ws.send('quit');
  expect(await b.closed).toBe(1000);
});

test('origins: an allowed pattern passes, another is refused 403; a bad target PID is a 400', async () => {
  const ok = await open('http://good.example');
  ok.ws.close();
  await expect(open('http://evil.example')).rejects.toThrow('status 403');
  await expect(open(undefined, '?bad=1')).rejects.toThrow('status 400');
  const plain = await fetch(`http://127.0.0.1:${port}/ws/echo`);
  expect(plain.status).toBe(400);
  expect(await plain.text()).toMatch(/Upgrade/);
});
