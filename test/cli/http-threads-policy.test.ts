/**
 * Which thread runs an HTTP handler with `wisp run --threads 2` (src/services/http/spec.md "Threads",
 * handoff-policy.ts), seen from outside: each handler answers its own PID, whose node part names its thread.
 * A cheap handler stays on thread 1 though the worker is idle, once thread 1 has measured what a request costs
 * it; a costly one goes to the worker; and one endpoint whose handler turns costly, then cheap again, goes
 * out, then comes back: the pick follows the measured cost of each endpoint, not the load alone.
 */
import { request } from 'http';
import { wispAround } from '../helpers/cli';
import { endpoint, httpProject } from '../services/http/fixture';

function project(port: number): string {
  return httpProject(port, endpoint('work', 'GET', '/work'), {
    // `n` rounds of Lua work, then the PID.
    'work.lua': `local http = require("http")
local function handler()
  local n = tonumber(http.request():query("n")) or 0
  local x = 0
  for i = 1, n do x = (x + i * 7) % 1000003 end
  local res = http.response()
  res:set_content_type("text/plain")
  res:write(tostring(process.pid()))
end
return { handler = handler }`,
    // Thread 1 alone accepts: the pick is thread 1's, for the requests it accepted.
  }, '    host: { threads: 1 }');
}

/** One request at a time (so the worker is always idle when thread 1 picks): the thread that answered. */
function threadOf(port: number, n: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: `/work?n=${n}`, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        const m = /^\{(t\d)@functions\|/.exec(body);
        if (res.statusCode !== 200 || m === null) reject(new Error(`${res.statusCode ?? 0}: ${body}`));
        else resolve(m[1]);
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** The threads of `count` requests in a row. */
async function threads(port: number, n: number, count: number): Promise<string[]> {
  const seen: string[] = [];
  for (let i = 0; i < count; i++) seen.push(await threadOf(port, n));
  return seen;
}

/** Runs batches of `count` requests until one is answered by `thread` alone; the batches seen. */
async function untilAll(port: number, n: number, count: number, thread: string, batches: number): Promise<string[][]> {
  const seen: string[][] = [];
  while (seen.length < batches) {
    const batch = await threads(port, n, count);
    seen.push(batch);
    if (batch.every((t) => t === thread)) break;
  }
  return seen;
}

describe('wisp run --threads 2: which thread runs a handler', () => {
  const server = wispAround(['run', '--threads', '2'], project);

  test('cheap requests go out while thread 1 measures; then they stay on thread 1 with the worker idle; costly ones go out; an endpoint turned cheap comes back', async () => {
    const { port } = server;
    // Nothing measured yet: an idle worker takes the request, as the least loaded thread.
    expect(await threadOf(port, 0)).toBe('t2');
    // After the first windows of requests thread 1 knows what a request costs it: a batch of cheap requests
    // all on thread 1, one at a time, so the least loaded thread would be the worker each time.
    const cheap = await untilAll(port, 0, 40, 't1', 50);
    expect(cheap[cheap.length - 1]).toEqual(Array(40).fill('t1'));
    expect(cheap.flat()).toContain('t2');
    // The same endpoint made costly (some ms of Lua): it goes to the worker once its cost is measured.
    const costly = await untilAll(port, 300_000, 5, 't2', 20);
    expect(costly[costly.length - 1]).toEqual(Array(5).fill('t2'));
    // Cheap again: its moving average falls and it comes back to thread 1.
    const back = await untilAll(port, 0, 40, 't1', 50);
    expect(back[back.length - 1]).toEqual(Array(40).fill('t1'));
  }, 120_000);
});
