/** The `websocket` client module through real Lua processes against real `ws` servers on loopback (port 0). */
import { WebSocketServer, type WebSocket as ServerSocket } from 'ws';
import { createServer, type AddressInfo, type Server, type Socket } from 'net';
import type { IncomingMessage } from 'http';
import { createVM } from '../../src/modules';
import { spawn } from '../helpers/lua';
import { runWith } from './run-lua';

let wss: WebSocketServer;
let url = '';
let onConnection: (ws: ServerSocket, req: IncomingMessage) => void = () => {};
const closes: { code: number; reason: string }[] = [];

beforeAll(async () => {
  wss = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: (protocols) => (protocols.has('chat') ? 'chat' : false) });
  wss.on('connection', (ws, req) => {
    ws.on('close', (code, reason) => closes.push({ code, reason: reason.toString() }));
    ws.on('error', () => {});
    onConnection(ws, req);
  });
  await new Promise((r) => wss.once('listening', r));
  url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const c of wss.clients) c.terminate();
  await new Promise((r) => wss.close(r));
});

beforeEach(() => {
  closes.length = 0;
  onConnection = (ws) => ws.on('message', (data, binary) => ws.send(data, { binary }));
});

const lua = (body: string): Promise<unknown> =>
  runWith(['websocket', 'time', 'channel'], `local websocket = require("websocket")\nlocal time = require("time")\nlocal URL = "${url}"
    local function E(v, err) if err == nil then return { v = v } end return { failed = v == nil, kind = err:kind(), message = err:message(), retryable = err:retryable() } end
    ${body}`);

test('constants as Wippy defines them (tests/app websocket/constants.lua), read-only', async () => {
  const r = (await lua(`return { websocket.TYPE_TEXT, websocket.TYPE_BINARY, websocket.TYPE_PING, websocket.TYPE_PONG, websocket.TYPE_CLOSE,
    websocket.TEXT, websocket.BINARY, websocket.COMPRESSION.DISABLED, websocket.COMPRESSION.CONTEXT_TAKEOVER, websocket.COMPRESSION.NO_CONTEXT,
    websocket.CLOSE_CODES.NORMAL, websocket.CLOSE_CODES.ABNORMAL_CLOSURE, websocket.CLOSE_CODES.TLS_HANDSHAKE,
    (pcall(function() websocket.CLOSE_CODES.NORMAL = 1 end)) }`)) as unknown[];
  expect(r).toEqual(['text', 'binary', 'ping', 'pong', 'close', 1, 2, 0, 1, 2, 1000, 1006, 1015, false]);
});

test('connect, send text and binary, receive the echoes from the channel; headers and subprotocols reach the server', async () => {
  let seenHeader: string | undefined;
  let seenProtocol = '';
  onConnection = (ws, req) => {
    seenHeader = req.headers['x-token'] as string | undefined;
    seenProtocol = ws.protocol;
    ws.on('message', (data, binary) => ws.send(data, { binary }));
  };
  const r = (await lua(`
    local client, err = websocket.connect(URL, { headers = { ["X-Token"] = "t1" }, protocols = { "chat" }, dial_timeout = "2s", compression = "context_takeover" })
    assert(client, err and err:message())
    local ch = client:channel()
    assert(ch == client:receive(), "receive is an alias of channel")
    client:send("Hello WebSocket!")
    local a, ok1 = ch:receive()
    client:send("\\0\\1\\255", websocket.BINARY)
    local b, ok2 = ch:receive()
    client:ping()
    client:close(websocket.CLOSE_CODES.NORMAL, "test done")
    local after, ok3 = ch:receive()
    return { a = a, ok1 = ok1, btype = b.type, bdata = b.data == "\\0\\1\\255", ok2 = ok2, after = after == nil, ok3 = ok3, send = E(client:send("x")) }`)) as Record<string, any>;
  expect(r.a).toEqual({ type: 'text', data: 'Hello WebSocket!' });
  expect(r.ok1).toBe(true);
  expect(r.btype).toBe('binary');
  expect(r.bdata).toBe(true);
  expect(r.after).toBe(true);
  expect(r.ok3).toBe(false);
  expect(r.send).toMatchObject({ failed: true, kind: 'Unavailable', message: 'websocket connection closed' });
  expect(seenHeader).toBe('t1');
  expect(seenProtocol).toBe('chat');
  for (let i = 0; i < 50 && closes.length === 0; i++) await new Promise((res) => setTimeout(res, 10));
  expect(closes[0]).toEqual({ code: 1000, reason: 'test done' });
});

test('the channel works in select and closes when the server ends the connection, after its last messages', async () => {
  onConnection = (ws) => {
    ws.send('one');
    ws.send('two');
    ws.close(1001, 'bye');
  };
  const r = (await lua(`
    local client = websocket.connect(URL)
    local ch = client:channel()
    local got = {}
    while true do
      local timeout = time.after("3s")
      local res = channel.select { ch:case_receive(), timeout:case_receive() }
      if res.channel == timeout then return "timeout" end
      if not res.ok then break end
      got[#got + 1] = res.value.data
    end
    return got`)) as unknown;
  expect(r).toEqual(['one', 'two']);
});

test('dial failures are Internal, retryable errors; a server that never answers the handshake is cut by dial_timeout', async () => {
  const silent: Server = createServer((s: Socket) => s.on('error', () => {}));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const port = (silent.address() as AddressInfo).port;
  const started = Date.now();
  try {
    const r = (await lua(`return { E(websocket.connect("ws://127.0.0.1:1/x")), E(websocket.connect("ws://127.0.0.1:${port}/", { dial_timeout = 300.0 })), E(websocket.connect("ws://127.0.0.1:${port}/", { dial_timeout = "300ms" })),
      E(websocket.connect("http://not-ws")), select(2, pcall(websocket.connect, "")) }`)) as any[];
    expect(r[0]).toMatchObject({ failed: true, kind: 'Internal', retryable: true });
    expect(r[0].message).toMatch(/^failed to dial websocket: .*ECONNREFUSED/);
    expect(r[1].message).toMatch(/^failed to dial websocket: .*[Oo]pening handshake has timed out/);
    expect(r[2].message).toMatch(/^failed to dial websocket: .*[Oo]pening handshake has timed out/);
    expect(r[3].message).toMatch(/^failed to dial websocket/);
    expect(r[4]).toMatch(/URL required/);
    expect(Date.now() - started).toBeLessThan(10_000);
  } finally {
    silent.close();
  }
});

test('a flooding server is held back: the client pauses its socket while the channel is full', async () => {
  let held = -1;
  const payload = Buffer.alloc(1024, 0x61);
  onConnection = (ws) => {
    ws.on('message', () => (held = ws.bufferedAmount));
    for (let i = 0; i < 40_000; i++) ws.send(payload);
  };
  const r = (await lua(`
    local client = websocket.connect(URL, { channel_capacity = 8 })
    local ch = client:channel()
    for i = 1, 5 do ch:receive() end
    time.sleep("400ms")
    client:send("measure")
    time.sleep("100ms")
    local n = 0
    for i = 1, 100 do local m, ok = ch:receive(); if ok then n = n + 1 end end
    client:close()
    return n`)) as number;
  expect(r).toBe(100);
  // 40 MB were queued by the server; a paused client leaves most of it in the server's buffer.
  expect(held).toBeGreaterThan(8 * 1024 * 1024);
});

test('read_limit: a message over it ends the connection (1009) and closes the channel; read_timeout ends a silent one', async () => {
  onConnection = (ws) => ws.on('message', (m) => ws.send(Buffer.alloc(Number(m.toString()), 0x62)));
  const r = (await lua(`
    local c = websocket.connect(URL, { read_limit = 1000 })
    local ch = c:channel()
    c:send("500")
    local small = ch:receive()
    c:send("5000")
    local big, ok = ch:receive()
    local quiet = websocket.connect(URL, { read_timeout = "200ms" })
    local started = time.now()
    local q, qok = quiet:channel():receive()
    return { small = #small.data, big = big == nil, ok = ok, quiet = qok, waited = time.now():sub(started):milliseconds() }`)) as Record<string, any>;
  expect(r.small).toBe(500);
  expect(r.big).toBe(true);
  expect(r.ok).toBe(false);
  expect(r.quiet).toBe(false);
  expect(r.waited).toBeGreaterThanOrEqual(150);
  expect(r.waited).toBeLessThan(5000);
  expect(closes.some((c) => c.code === 1009)).toBe(true);
});

test('a process that ends drops its connection: the server sees it go', async () => {
  let connected!: () => void;
  const arrived = new Promise<void>((r) => (connected = r));
  onConnection = () => connected();
  const vm = createVM();
  const run = spawn(vm, `local websocket = require("websocket")
    local function main() local c = websocket.connect("${url}") c:channel():receive() end
    return { main = main }`, 'test:ws', [], ['websocket']);
  await arrived;
  await new Promise((r) => setTimeout(r, 50));
  run.proc.terminate();
  await run.exit;
  for (let i = 0; i < 100 && closes.length === 0; i++) await new Promise((res) => setTimeout(res, 10));
  expect(closes.length).toBe(1);
});

test('connections are limited per process: the 65th is an error, and ended connections stop counting', async () => {
  onConnection = () => {};
  const r = (await lua(`
    local clients = {}
    for i = 1, 64 do clients[i] = assert(websocket.connect(URL)) end
    local extra = E(websocket.connect(URL))
    clients[1]:close()
    local after = websocket.connect(URL)
    for i = 2, 64 do clients[i]:close() end
    after:close()
    return { extra = extra, after = after ~= nil }`)) as Record<string, any>;
  expect(r.extra).toEqual({ failed: true, kind: 'Unavailable', retryable: false, message: 'too many websocket connections (at most 64 per process, 1024 in all)' });
  expect(r.after).toBe(true);
});
