/**
 * A real browser against the server: headless Chromium loads a page from an http.static mount, opens a
 * websocket through websocket_relay to a Lua process and writes the echo into the page.
 */
import { spawn } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'fs';
import { createServer, type Server } from 'http';
import { tmpdir } from 'os';
import { join } from 'path';
import { bootHttp, httpProject } from './fixture';
import { freePort } from '../../helpers/net';
import type { Runtime } from '../../../src/hosts/runtime';

const CHROMIUM = '/usr/bin/chromium';
const maybe = existsSync(CHROMIUM) ? test : test.skip;

const ENTRIES = `  - name: wsr
    kind: http.router
    meta: { server: gateway }
    prefix: /ws
    middleware: [websocket_relay]
  - name: echo
    kind: process.lua
    source: file://echo.lua
    method: main
    modules: []
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
  - name: page
    kind: http.static
    meta: { server: gateway }
    path: /page
    directory: ./www
`;

const LUA = {
  'echo.lua': `local function main()
  local inbox = process.inbox()
  local client
  while true do
    local msg = inbox:receive()
    local data = msg:payload():data()
    if msg:topic() == "ws.join" then client = data.client_pid
    elseif msg:topic() == "ws.message" then process.send(client, "echo", "from lua: " .. data)
    else return 0 end
  end
end
return { main = main }`,
  'upgrade.lua': `local http = require("http")
local json = require("json")
return { handler = function()
  local pid = process.spawn("t:echo", "t:host")
  http.response():set_header("X-WS-Relay", json.encode({target_pid = pid}))
end }`,
};

/** The page reports what it saw to a collector the test runs (REPORT is its URL). */
const page = (report: string): string => `<!doctype html><html><body><script>
const tell = (text) => fetch('${report}?r=' + encodeURIComponent(text), { mode: 'no-cors' });
const ws = new WebSocket('ws://' + location.host + '/ws/echo');
ws.onopen = () => ws.send('hi from the browser');
ws.onmessage = (e) => { const m = JSON.parse(e.data); if (m.topic === 'echo') { tell('GOT ' + m.data); ws.close(); } };
ws.onerror = () => tell('ERROR');
</script></body></html>`;

let rt: Runtime;
let port: number;
let collector: Server;
const reports: string[] = [];

beforeAll(async () => {
  port = await freePort();
  collector = createServer((req, res) => {
    reports.push(new URL(req.url ?? '/', 'http://x').searchParams.get('r') ?? '');
    res.end();
  });
  await new Promise<void>((r) => collector.listen(0, '127.0.0.1', () => r()));
  const address = collector.address();
  const report = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/`;
  const dir = httpProject(port, ENTRIES, LUA);
  mkdirSync(join(dir, 'www'));
  writeFileSync(join(dir, 'www', 'index.html'), page(report));
  rt = await bootHttp(dir);
});

afterAll(async () => {
  await rt.shutdown();
  collector.closeAllConnections();
  await new Promise((r) => collector.close(r));
});

maybe('Chromium opens a websocket through the relay and sees the Lua process answer', async () => {
  const profile = mkdtempSync(join(tmpdir(), 'wisp-chromium-'));
  const child = spawn(CHROMIUM, ['--headless=new', '--no-sandbox', '--disable-gpu', `--user-data-dir=${profile}`, `http://127.0.0.1:${port}/page/`], { stdio: 'ignore' });
  try {
    for (let i = 0; i < 300 && reports.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(reports).toEqual(['GOT from lua: hi from the browser']);
  } finally {
    child.kill('SIGKILL');
  }
}, 60_000);
