/**
 * A websocket client's first frame, sent the moment the upgrade is answered, reaches a target the handler has
 * just spawned after that target's `ws.join` (src/services/http/middleware/websocket-relay.ts). The target
 * selects on its message topic first, as Wippy's own echo test does: a frame that arrived before the target's
 * first turn would be taken before the join, and never answered. `wisp run` is a child process, so the client
 * runs in parallel with the node, as a browser does.
 */
import WebSocket from 'ws';
import { wispAround } from '../helpers/cli';
import { endpoint, httpProject } from '../services/http/fixture';

const ECHO = `local json = require("json")
local function main()
  local texts = process.listen("ws.message", { message = true })
  local joins = process.listen("ws.join", { message = true })
  local client
  while true do
    local r = channel.select { texts:case_receive(), joins:case_receive() }
    if not r.ok then return end
    local data = r.value:payload():data()
    if r.channel == joins then
      if type(data) == "string" then data = json.decode(data) end
      client = data.client_pid
    elseif client ~= nil then
      process.send(client, "ws.message", data)
    end
  end
end
return { main = main }`;

const OPEN = `local http = require("http")
local json = require("json")
local function handler()
  local pid = process.spawn("t:echo", "t:host")
  http.response():set_header("X-WS-Relay", json.encode({ target_pid = pid, message_topic = "ws.message" }))
end
return { handler = handler }`;

const ENTRIES = `  - name: ws
    kind: http.router
    meta: { server: gateway }
    prefix: /ws
    middleware: [websocket_relay]
    options: { wsrelay.allowed.origins: "*" }
  - name: echo
    kind: process.lua
    source: file://echo.lua
    method: main
    modules: [json]
${endpoint('open', 'GET', '/echo', 'ws')}`;

const project = (port: number): string => httpProject(port, ENTRIES, { 'echo.lua': ECHO, 'open.lua': OPEN });

/** Opens a connection, sends one frame as soon as it is open: whether the echo came back within 3 s. */
function echoed(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/echo`);
    const timer = setTimeout(() => {
      ws.terminate();
      resolve(false);
    }, 3000);
    ws.on('open', () => ws.send('first'));
    ws.on('message', (data: WebSocket.RawData) => {
      clearTimeout(timer);
      ws.close();
      resolve(JSON.parse(String(data)).data === 'first');
    });
    ws.on('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}

for (const threads of ['1', '2']) {
  describe(`wisp run --threads ${threads}: a client's first frame`, () => {
    const server = wispAround(['run', '--threads', threads], project);

    test('reaches the target after its join, every time', async () => {
      const answered: boolean[] = [];
      for (let i = 0; i < 40; i++) answered.push(await echoed(server.port));
      expect(answered.filter((ok) => !ok).length).toBe(0);
    }, 120_000);
  });
}
