'use strict';
/**
 * http_client benchmark: a GET round trip to a loopback Node server answering a small JSON body, from Lua
 * (`http_client.get` in a loop) and, as the reference in the same run, from plain JS with undici on the same
 * kind of keep-alive connection. The ratio is wisp's cost over the bare client's.
 */
const http = require('http');
const { request, Agent } = require('undici');
const { createVM } = require('../dist/modules');
const { medianOf, mainUs } = require('./harness');

const BODY = JSON.stringify({ message: 'hello world' });

async function run() {
  const server = http.createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end(BODY));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}/hello`;

  const vm = createVM();
  const id = 'bench:http_client';
  const source = `local http = require("http_client")
    return { main = function(n) for i = 1, n do local r = http.get("${url}") assert(r.status_code == 200) end end }`;
  const spec = { entryId: id, chunk: vm.compile(source, id), method: 'main', modules: new Set(['http_client']), imports: new Map() };
  const luaUs = (n) => mainUs(vm, spec, n);

  const agent = new Agent({ connections: 1 });
  const undiciUs = async (n) => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const res = await request(url, { dispatcher: agent });
      await res.body.text();
    }
    return ((performance.now() - t0) * 1000) / n;
  };

  await luaUs(300);
  await undiciUs(300);
  const wisp = await medianOf(5, () => luaUs(2000));
  const bare = await medianOf(5, () => undiciUs(2000));
  await agent.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  return { http_client_get_us: wisp, http_client_get_undici_us: bare, http_client_get_vs_undici: wisp / bare };
}

module.exports = { targets: {}, run };
