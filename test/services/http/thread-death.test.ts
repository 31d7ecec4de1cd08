/**
 * A handler thread that dies with requests handed to it (src/services/http/spec.md "Threads"): this jest
 * process is thread 1 with the real server, and thread 2 is a real worker thread that speaks the handoff's
 * messages and then exits. A request it had not answered gets a 502; one whose response was under way has its
 * connection cut (not ended as if complete); the server goes on serving on thread 1. A thread that accepted on
 * a copy of the socket and dies, or ends before listening on it, leaves thread 1's socket open and no copy behind.
 */
import { MessageChannel, Worker } from 'worker_threads';
import { createServer } from 'http';
import { freePort } from '../../helpers/net';
import { until } from '../../helpers/poll';
import { endpoint, httpProject, roundTrip, type Reply } from './fixture';
import { Runtime } from '../../../src/hosts/runtime';
import { loadProject } from '../../../src/registry';
import { SILENT } from '../../../src/modules/logger';
import type { ServiceEntry } from '../../../src/registry/types';

/** Answers nothing to a call for /before and exits; for /mid sends the head and some bytes, then exits once they were taken. */
const DYING_THREAD = `
const { parentPort, workerData } = require('worker_threads');
const port = workerData.port;
port.postMessage([{ t: 'ready', server: 't:gateway' }]);
parentPort.postMessage('up');
port.on('message', (batch) => {
  for (const m of batch) {
    if (m.t === 'ack') process.exit(1);
    if (m.t !== 'call') continue;
    if (m.request.path !== '/mid') process.exit(1);
    const data = new TextEncoder().encode('partial');
    port.postMessage([{ t: 'res', id: m.id, head: { status: 200, headers: [['Content-Type', ['text/plain']]] }, data, end: false, done: false }]);
  }
});
`;

/**
 * Asks thread 1 for a copy of its socket (shared-socket.ts); then, by \`mode\`: accepts on it, answering "from
 * thread 2" (listen; told to drop it, closes it and asks again), exits as soon as it has the copy (exit), or
 * gives it back unused and lives on (unused).
 */
const SOCKET_THREAD = `
const { parentPort, workerData } = require('worker_threads');
const http = require('http');
const port = workerData.port;
port.postMessage([{ t: 'listen', server: 't:gateway' }]);
parentPort.postMessage('up');
port.on('message', (batch) => {
  for (const m of batch) {
    if (m.t !== 'socket') continue;
    if (workerData.mode === 'unused' && m.fd !== null) {
      port.postMessage([{ t: 'unused', server: m.server, fd: m.fd }]);
      parentPort.postMessage('gave back');
      continue;
    }
    if (workerData.mode !== 'listen' || m.fd === null) process.exit(0);
    server = http.createServer((req, res) => res.end('from thread 2'));
    server.listen({ fd: m.fd });
    port.postMessage([{ t: 'listening', server: m.server, fd: m.fd }]);
  }
});
let server = null;
port.on('message', (batch) => {
  for (const m of batch) {
    if (m.t !== 'drop') continue;
    server.close();
    port.postMessage([{ t: 'dropped', server: m.server }, { t: 'listen', server: m.server }]);
    parentPort.postMessage('dropped');
  }
});
`;

async function boot(source = DYING_THREAD, data: Record<string, unknown> = {}): Promise<{ runtime: Runtime; port: number; worker: Worker; exited: Promise<unknown> }> {
  const port = await freePort();
  const lua = `local http = require("http")
local function handler() http.response():write("served by " .. tostring(process.pid())) end
return { handler = handler }`;
  const dir = httpProject(port, endpoint('before', 'GET', '/before') + endpoint('mid', 'GET', '/mid'), { 'before.lua': lua, 'mid.lua': lua });
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(source, { eval: true, workerData: { ...data, port: port2 }, transferList: [port2] });
  const exited = new Promise((resolve) => worker.once('exit', resolve));
  await new Promise((resolve) => worker.once('message', resolve));
  const runtime = new Runtime(loadProject(dir), { logs: SILENT, terminal: null, threads: { index: 1, ports: new Map([[2, port1]]) } });
  await runtime.boot();
  return { runtime, port, worker, exited };
}

/** Asks `path` until a request lands on the dying thread (thread 1 serves the others itself). */
function untilHandedOver(port: number, path: string): Promise<Reply> {
  return until('a request handed to thread 2', async () => {
    const r = await roundTrip(port, path);
    return r.text.startsWith('served by') ? null : r;
  });
}

test('a thread that dies before answering: 502; the server goes on without it', async () => {
  const { runtime, port, worker, exited } = await boot();
  try {
    const r = await untilHandedOver(port, '/before');
    expect({ status: r.status, text: r.text, complete: r.complete }).toEqual({ status: 502, text: 'handler thread ended\n', complete: true });
    await exited;
    for (let i = 0; i < 4; i++) expect((await roundTrip(port, '/before')).text).toMatch(/^served by \{functions\|/);
  } finally {
    await runtime.shutdown();
    await worker.terminate();
  }
}, 30_000);

test('a thread that dies mid-response: the connection is cut, not ended as if whole; the server goes on', async () => {
  const { runtime, port, worker } = await boot();
  try {
    const r = await untilHandedOver(port, '/mid');
    expect(r.status).toBe(200);
    expect(r.complete).toBe(false);
    expect(r.text).toBe('partial');
    expect((await roundTrip(port, '/mid')).text).toMatch(/^served by \{functions\|/);
  } finally {
    await runtime.shutdown();
    await worker.terminate();
  }
}, 30_000);

/** Whether a server of this process can listen on `port` (no socket, nor a copy of one, holds it). */
function free(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

test('a thread accepting on a copy of the socket dies: thread 1 goes on accepting, and the port is freed at stop', async () => {
  const { runtime, port, worker } = await boot(SOCKET_THREAD, { mode: 'listen' });
  try {
    await until('a request accepted by thread 2', async () => ((await roundTrip(port, '/before')).text === 'from thread 2' ? true : null));
    await worker.terminate();
    for (let i = 0; i < 8; i++) expect((await roundTrip(port, '/before')).text).toMatch(/^served by \{functions\|/);
  } finally {
    await runtime.shutdown();
    await worker.terminate();
  }
  expect(await free(port)).toBe(true);
}, 30_000);

test('a thread that ends before listening on its copy of the socket: thread 1 closes the copy', async () => {
  const { runtime, port, worker, exited } = await boot(SOCKET_THREAD, { mode: 'exit' });
  try {
    await exited;
    for (let i = 0; i < 4; i++) expect((await roundTrip(port, '/before')).text).toMatch(/^served by \{functions\|/);
  } finally {
    await runtime.shutdown();
  }
  expect(await free(port)).toBe(true);
}, 30_000);

test('a thread that gives its copy of the socket back unused: thread 1 closes it, the port is freed at stop', async () => {
  const { runtime, port, worker } = await boot(SOCKET_THREAD, { mode: 'unused' });
  try {
    await new Promise((resolve) => worker.once('message', resolve));
    for (let i = 0; i < 4; i++) expect((await roundTrip(port, '/before')).text).toMatch(/^served by \{functions\|/);
    await runtime.shutdown();
    // The thread is still up: only thread 1 closing the copy frees the port.
    expect(await free(port)).toBe(true);
  } finally {
    await worker.terminate();
  }
}, 30_000);

test('thread 1\'s server restarts on its address while a thread accepts on a copy: the copy is dropped first, then taken again', async () => {
  const { runtime, port, worker } = await boot(SOCKET_THREAD, { mode: 'listen' });
  try {
    await until('a request accepted by thread 2', async () => ((await roundTrip(port, '/before')).text === 'from thread 2' ? true : null));
    const dropped = Promise.race([new Promise((resolve) => worker.once('message', resolve)), new Promise((resolve) => setTimeout(resolve, 10_000, 'not told to drop it').unref())]);
    await runtime.native.stop('t:gateway');
    expect(await dropped).toBe('dropped');
    expect(await runtime.native.start(runtime.registry.get('t:gateway') as ServiceEntry)).toBe(true);
    const seen = new Set<string>();
    await until('both threads accepting again', async () => {
      const body = (await roundTrip(port, '/before')).text;
      seen.add(body === 'from thread 2' ? 't2' : /^served by \{functions\|/.test(body) ? 't1' : body);
      return seen.size === 2 && seen.has('t1') && seen.has('t2') ? true : null;
    }, 20_000, () => [...seen].join(', '));
  } finally {
    await runtime.shutdown();
    await worker.terminate();
  }
  expect(await free(port)).toBe(true);
}, 30_000);
