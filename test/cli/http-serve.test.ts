/**
 * `wisp run` serving HTTP as a user would run it: the hello-world endpoint answered to curl, a router naming
 * an unknown middleware left out with a clear log line while the rest serves, conflicting routes refused at
 * load with a one-line error, SIGINT stopping the server after the request in flight.
 */
import { execFile } from 'child_process';
import { promisify } from 'util';
import { startWisp, sleep, wisp, writeProject } from '../helpers/cli';
import { freePort } from '../helpers/net';

const run = promisify(execFile);

function project(port: number, extra = ''): string {
  return writeProject({
    '_index.yaml': `version: "1.0"
namespace: app
entries:
  - name: gateway
    kind: http.service
    addr: 127.0.0.1:${port}
    lifecycle:
      auto_start: true
  - name: api
    kind: http.router
    meta:
      server: gateway
    prefix: /
  - name: hello
    kind: function.lua
    source: file://hello.lua
    method: handler
    modules: [http, time]
  - name: hello.endpoint
    kind: http.endpoint
    meta:
      router: app:api
    method: GET
    path: /hello
    func: hello
${extra}`,
    'hello.lua': `local http = require("http")
local time = require("time")
local function handler()
  local req = http.request()
  local res = http.response()
  if req:query("slow") then time.sleep("700ms") end
  res:set_content_type(http.CONTENT.JSON)
  res:set_status(http.STATUS.OK)
  res:write_json({message = "Hello from Wippy!"})
end
return { handler = handler }`,
  });
}

async function waitFor(check: () => boolean, ms = 15000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out');
    await sleep(50);
  }
}

async function curl(args: string[]): Promise<string> {
  const { stdout } = await run('curl', ['-s', '--max-time', '10', ...args]);
  return stdout;
}

test('hello world with curl; an unknown middleware leaves only its router out; SIGINT waits for the request in flight', async () => {
  const port = await freePort();
  const dir = project(
    port,
    `  - name: secured
    kind: http.router
    meta:
      server: gateway
    prefix: /auth
    middleware: [otel_tracing]
  - name: secured.ep
    kind: http.endpoint
    meta:
      router: secured
    method: GET
    path: /me
    func: hello
`,
  );
  const w = startWisp(['run'], dir);
  try {
    await waitFor(() => w.err().includes('service listening on'));
    const out = await curl(['-i', `http://127.0.0.1:${port}/hello`]);
    expect(out).toMatch(/^HTTP\/1.1 200 OK/);
    expect(out).toMatch(/Content-Type: application\/json/i);
    expect(out.endsWith('{"message":"Hello from Wippy!"}')).toBe(true);
    expect(w.err()).toMatch(/router not served: middleware not found: otel_tracing/);
    expect(await curl(['-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${port}/auth/me`])).toBe('404');
    const slow = curl([`http://127.0.0.1:${port}/hello?slow=1`]);
    await sleep(200);
    w.child.kill('SIGINT');
    expect(await slow).toBe('{"message":"Hello from Wippy!"}');
    expect(await w.exited).toBe(0);
    await expect(curl([`http://127.0.0.1:${port}/hello`])).rejects.toThrow();
  } finally {
    if (w.running()) w.child.kill('SIGKILL');
  }
}, 60000);

test('conflicting routes are a load error naming the entry and both patterns', async () => {
  const port = await freePort();
  const dir = project(
    port,
    `  - name: a
    kind: http.endpoint
    meta: { router: api }
    method: GET
    path: /items/{id}
    func: hello
  - name: b
    kind: http.endpoint
    meta: { router: api }
    method: GET
    path: /items/{name}
    func: hello
`,
  );
  const r = await wisp(['run'], { cwd: dir });
  expect(r.code).not.toBe(0);
  expect(r.stderr).toMatch(/entry app:b: pattern "GET \/items\/\{name\}" \(app:b\) conflicts with pattern "GET \/items\/\{id\}" \(app:a\)/);
  expect(r.stderr).not.toMatch(/    at /);
}, 30000);
