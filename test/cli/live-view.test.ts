/**
 * The live view under attack, through the real CLI: `wisp run --observe` and its control socket against
 * clients that pipeline thousands of requests without reading the answers, the DNS-rebinding guard whatever the
 * loopback address is spelled as, and `wisp ps` / `wisp top` / the logs against names and messages a process
 * chose to drive the operator's terminal. The run and its bystanders carry on.
 */
import { existsSync } from 'fs';
import { request } from 'http';
import { connect, createConnection, type Socket } from 'net';
import { join } from 'path';
import { sleep, startWisp, wisp, writeProject, indexWithHosts } from '../helpers/cli';
import { serviceEntries } from '../helpers/live';
import { until } from '../helpers/poll';
import type { SystemSnapshot } from '../../src/api/system';

/** What a process may put in its names: an OSC title, clear-screen, a C1 CSI, a bidi override, DEL. */
const HOSTILE = '\x1b]0;pwned\x07\x1b[2J\u009b31m\u202edesrever\x7f';
const ESCAPED = '\\u001b]0;pwned\\u0007\\u001b[2J\\u009b31m\\u202edesrever\\u007f';

/** `text` as a Lua string literal: every byte that is not printable ASCII as a decimal escape. */
const luaString = (text: string): string =>
  `"${[...Buffer.from(text, 'utf8')].map((b) => (b < 0x20 || b >= 0x7f || b === 0x22 || b === 0x5c ? `\\${String(b).padStart(3, '0')}` : String.fromCharCode(b))).join('')}"`;

/** A service with `count` processes, each registered under a 100-character name (so snapshots are large). */
function project(count: number): string {
  return writeProject({
    '_index.yaml': indexWithHosts(
      'app',
      serviceEntries('crowd', ['time', 'logger']) +
        `  - name: member
    kind: process.lua
    source: file://member.lua
    method: main
`,
    ),
    'crowd.lua': `local time = require("time")
local logger = require("logger")
local function main()
  process.registry.register(${luaString(HOSTILE)})
  logger:info(${luaString(`hello ${HOSTILE}`)})
  for i = 1, ${count} do process.spawn("app:member", "app:processes", i) end
  print("crowd ready")
  local events = process.events()
  while true do
    local e = events:receive()
    if e.kind == process.event.CANCEL then return 0 end
  end
end
return { main = main }
`,
    'member.lua': `local function main(i)
  process.registry.register(string.format("member-%05d-", i) .. string.rep("n", 88))
  process.inbox():receive()
end
return { main = main }
`,
  });
}

function get(port: number, host: string, path = '/api/snapshot?limit=0', address = '127.0.0.1'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: address, port, path, headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Writes `count` pipelined requests on one connection and never reads an answer. (A paused socket does not
 * notice when the server closes it: the test ends it.)
 */
function pipeline(open: () => Socket, line: string, count: number): Socket {
  const socket = open();
  socket.pause();
  socket.on('error', () => undefined);
  socket.on('connect', () => socket.write(line.repeat(count)));
  return socket;
}

type Run = ReturnType<typeof startWisp>;

/** `wisp run args` in a project of `count` crowd members, for the length of `body`; stopped with Ctrl+C. */
async function running(count: number, args: string[], body: (run: Run, dir: string) => Promise<void>): Promise<void> {
  const dir = project(count);
  const run = startWisp(['run', ...args], dir);
  try {
    await body(run, dir);
    expect(run.running()).toBe(true);
  } finally {
    run.child.kill('SIGINT');
    await run.exited;
  }
}

describe('the live view under attack', () => {
  test('--observe: 5000 pipelined snapshot requests never read cost one answer, not 5000: the heap stays small, others are served', async () => {
    await running(2000, ['-s', '--observe', '127.0.0.1:0'], async (run) => {
      const port = Number((await until('the inspector', () => /observer on http:\/\/127\.0\.0\.1:(\d+)\//.exec(run.err())))[1]);
      await until('the crowd', async () => (JSON.parse((await get(port, `127.0.0.1:${port}`)).body) as SystemSnapshot).node.processes > 2000);
      const one = await get(port, `127.0.0.1:${port}`, '/api/snapshot');
      expect(one.body.length).toBeGreaterThan(400_000); // each answer is big: 5000 of them would be 3 GB
      const attack = pipeline(() => connect(port, '127.0.0.1'), `GET /api/snapshot HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`, 5000);
      await sleep(5000); // before the bound, the heap grew by 50 MB a second here
      const during = JSON.parse((await get(port, `127.0.0.1:${port}`)).body) as SystemSnapshot;
      expect(during.node.heap_used).toBeLessThan(192 * 1024 * 1024);
      attack.destroy();
    });
  }, 90_000);

  test('control socket: 5000 snapshot requests never read are answered one at a time; the heap stays small; wisp ps still works', async () => {
    await running(2000, [], async (run, dir) => {
      const socketPath = join(dir, '.wisp', 'control.sock');
      await until('the control socket', () => existsSync(socketPath));
      await until('the crowd', () => run.err().includes('crowd ready'), 30_000);
      const attack = pipeline(() => createConnection(socketPath), '{"op":"snapshot"}\n', 5000);
      await sleep(5000);
      const ps = await wisp(['ps', '--json', '--limit', '0'], { cwd: dir });
      expect(ps.code).toBe(0);
      const s = JSON.parse(ps.stdout) as SystemSnapshot;
      expect(s.node.processes).toBeGreaterThan(2000);
      expect(s.node.heap_used).toBeLessThan(192 * 1024 * 1024);
      attack.destroy();
    });
  }, 90_000);

  test.each([['127.1'], ['0x7f000001'], ['[::ffff:127.0.0.1]']])('--observe %s:0 is loopback: another Host is refused (DNS rebinding), loopback Hosts are served', async (spelling) => {
    await running(1, ['-s', '--observe', `${spelling}:0`], async (run) => {
      const m = await until('the inspector', () => /observer on http:\/\/(127\.0\.0\.1|\[::ffff:127\.0\.0\.1\]):(\d+)\//.exec(run.err()));
      const port = Number(m[2]);
      const address = m[1].replace(/^\[|\]$/g, '');
      expect((await get(port, `attacker.example:${port}`, '/api/snapshot', address)).status).toBe(403);
      expect((await get(port, 'attacker.example', '/', address)).status).toBe(403);
      for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `127.1:${port}`]) {
        expect([host, (await get(port, host, '/api/snapshot?limit=0', address)).status]).toEqual([host, 200]);
      }
    });
  }, 60_000);

  test('names and log messages a process chose reach the terminal escaped, as `ps --json` escapes them; --json round-trips them', async () => {
    await running(3, [], async (run, dir) => {
      const socketPath = join(dir, '.wisp', 'control.sock');
      await until('the control socket', () => existsSync(socketPath));
      await until('the crowd', () => run.err().includes('crowd ready'));
      const ps = await wisp(['ps'], { cwd: dir, raw: true });
      const top = await wisp(['top', '--once'], { cwd: dir, raw: true });
      const json = await wisp(['ps', '--json'], { cwd: dir, raw: true });
      for (const r of [ps, top, json]) {
        expect(r.code).toBe(0);
        expect(r.stdout).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]/); // only newlines are raw
      }
      expect(ps.stdout).toContain(ESCAPED);
      expect(top.stdout).toContain(ESCAPED);
      const names = (JSON.parse(json.stdout) as SystemSnapshot).processes.flatMap((p) => p.names);
      expect(names).toContain(HOSTILE);
      // The log line of the service's "hello": escaped too.
      await until('the log line', () => run.err().includes('hello'));
      const line = run.err().split('\n').find((l) => l.includes('hello')) ?? '';
      expect(line).toContain(`hello ${ESCAPED}`);
      expect(line).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]/);
    });
  }, 60_000);
});
