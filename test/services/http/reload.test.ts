/**
 * Routes follow the registry: endpoints added, changed and removed at run time are served at once over the
 * same listening socket (a keep-alive connection survives); a conflicting change is refused whole and the old
 * routes keep serving. Static mounts: an fs.directory and a plain directory, SPA fallback, no way out.
 */
import { mkdirSync, writeFileSync } from 'fs';
import { join } from 'path';
import { Agent, fetch as undiciFetch } from 'undici';
import { acceptors, bootHttp, endpoint, httpProject } from './fixture';
import { freePort } from '../../helpers/net';
import { until } from '../../helpers/poll';
import { TEST_THREADS } from '../../helpers/threads';
import type { Runtime } from '../../../src/hosts/runtime';
import type { ChangeOp } from '../../../src/registry/store';

const LUA = {
  'pid.lua': `local http = require("http")
return { handler = function() http.response():write(tostring(process.pid())) end }`,
  'one.lua': `local http = require("http")
return { handler = function() http.response():write("one") end }`,
  'two.lua': `local http = require("http")
return { handler = function() http.response():write("two") end }`,
};

const STATIC = `  - name: public
    kind: fs.directory
    directory: ./public
  - name: site
    kind: http.static
    meta: { server: gateway }
    path: /site
    fs: public
    static_options: { cache: "max-age=60" }
  - name: app
    kind: http.static
    meta: { server: gateway }
    path: /app
    directory: ./spa
    static_options: { spa: true }
`;

let rt: Runtime;
let base: string;
let httpPort: number;
let dir: string;

beforeAll(async () => {
  const port = await freePort();
  dir = httpProject(port, endpoint('one', 'GET', '/one') + endpoint('two', 'GET', '/unused') + endpoint('pid', 'GET', '/pid') + STATIC, LUA);
  mkdirSync(join(dir, 'public', 'css'), { recursive: true });
  writeFileSync(join(dir, 'public', 'index.html'), '<html>home</html>');
  writeFileSync(join(dir, 'public', 'css', 'a.css'), 'body{}');
  writeFileSync(join(dir, 'secret.txt'), 'secret');
  mkdirSync(join(dir, 'spa'));
  writeFileSync(join(dir, 'spa', 'index.html'), '<html>spa</html>');
  rt = await bootHttp(dir);
  base = `http://127.0.0.1:${port}`;
  httpPort = port;
});

afterAll(async () => {
  await rt.shutdown();
});

const endpointRecord = (name: string, path: string, func: string, router = 'api'): ChangeOp['record'] => ({
  id: `t:${name}`, kind: 'http.endpoint', meta: { router }, data: { method: 'GET', path, func },
});

/** A change as the registry module makes it: on several threads, every thread has it once this resolves. */
async function change(ops: ChangeOp[]): Promise<void> {
  if (rt.store.leader === null) rt.store.apply(ops);
  else await rt.store.leader.change({ ops });
}

test('endpoints added, changed and deleted at run time, on the same keep-alive connection', async () => {
  const agent = new Agent({ connections: 1, pipelining: 1 });
  const get = async (path: string): Promise<[number, string]> => {
    const r = await undiciFetch(`${base}${path}`, { dispatcher: agent });
    return [r.status, await r.text()];
  };
  expect(await get('/one')).toEqual([200, 'one']);
  await change([{ kind: 'entry.create', record: endpointRecord('added', '/added', 't:two') }]);
  expect(await get('/added')).toEqual([200, 'two']);
  await change([{ kind: 'entry.update', record: endpointRecord('added', '/added', 't:one') }]);
  expect(await get('/added')).toEqual([200, 'one']);
  await expect(change([{ kind: 'entry.create', record: endpointRecord('clash', '/{x}', 't:two') }, { kind: 'entry.create', record: endpointRecord('clash2', '/{y}', 't:two') }])).rejects.toThrow(/conflicts with pattern/);
  expect(await get('/added')).toEqual([200, 'one']);
  await change([{ kind: 'entry.delete', record: { id: 't:added', kind: 'http.endpoint', meta: {}, data: {} } }]);
  expect((await get('/added'))[0]).toBe(404);
  await agent.close();
});

test('static files from an fs.directory and a plain directory; index, cache, SPA fallback; traversal refused', async () => {
  const home = await fetch(`${base}/site/`);
  expect(await home.text()).toBe('<html>home</html>');
  expect(home.headers.get('content-type')).toBe('text/html; charset=utf-8');
  expect(home.headers.get('cache-control')).toBe('max-age=60');
  const css = await fetch(`${base}/site/css/a.css`);
  expect(await css.text()).toBe('body{}');
  expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
  expect((await fetch(`${base}/site/missing.txt`)).status).toBe(404);
  expect((await fetch(`${base}/site/%2e%2e/secret.txt`)).status).not.toBe(200);
  expect((await fetch(`${base}/site`, { redirect: 'manual' })).status).toBe(301);
  expect(await (await fetch(`${base}/app/deep/route`)).text()).toBe('<html>spa</html>');
  expect((await fetch(`${base}/site/css/a.css`, { method: 'POST' })).status).toBe(405);
});

test('a rate limit brought in at run time: thread 1 alone accepts while it is served, and the limit is the node\'s', async () => {
  const limited: ChangeOp[] = [
    {
      kind: 'entry.create',
      record: {
        id: 't:limited', kind: 'http.router', meta: { server: 'gateway' },
        data: { prefix: '/limited', middleware: ['ratelimit'], options: { 'ratelimit.requests': '1', 'ratelimit.window': '1m', 'ratelimit.burst': '5' } },
      },
    },
    { kind: 'entry.create', record: endpointRecord('limited.ep', '/one', 't:one', 'limited') },
  ];
  await change(limited);
  expect(new Set(await acceptors(httpPort, 30))).toEqual(new Set(['t1']));
  const answers = await Promise.all(Array.from({ length: 20 }, () => fetch(`${base}/limited/one`).then((r) => r.status)));
  expect(answers.filter((s) => s === 200).length).toBe(5);
  expect(answers.filter((s) => s === 429).length).toBe(15);
  await change([
    { kind: 'entry.delete', record: { id: 't:limited.ep', kind: 'http.endpoint', meta: {}, data: {} } },
    { kind: 'entry.delete', record: { id: 't:limited', kind: 'http.router', meta: {}, data: {} } },
  ]);
  // Without it, every thread accepts again.
  const threads = TEST_THREADS;
  const seen = new Set<string>();
  await until('every thread accepting again', async () => {
    for (const t of await acceptors(httpPort, 10)) seen.add(t);
    return seen.size === threads ? true : null;
  }, 20_000, () => [...seen].join(','));
}, 60_000);
