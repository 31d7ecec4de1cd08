/** The HTTP kinds' fields: bad ones are one-line errors naming file and entry. */
import { loadProject } from '../../src/registry';
import { writeFiles } from '../helpers/service-project';

function load(entries: string): () => unknown {
  const dir = writeFiles({
    'src/_index.yaml': `version: "1.0"
namespace: app
entries:
  - name: gateway
    kind: http.service
    addr: ":8080"
  - name: api
    kind: http.router
    meta: { server: gateway }
    prefix: /
${entries}`,
  });
  return () => loadProject(dir);
}

test('a good project loads; names are namespace-defaulted', () => {
  const registry = load(`  - name: ep
    kind: http.endpoint
    meta: { router: api }
    method: GET
    path: /x
    func: handler
`)() as ReturnType<typeof loadProject>;
  expect(registry.get('app:ep')).toMatchObject({ router: 'app:api', func: 'app:handler', method: 'GET', path: '/x' });
  expect(registry.get('app:gateway')).toMatchObject({ host: '', port: 8080 });
});

test.each([
  ['a lower-case method', `  - name: ep\n    kind: http.endpoint\n    meta: { router: api }\n    method: get\n    path: /x\n    func: h\n`, /src\/_index.yaml:\d+: entry app:ep: field "method" must be one of GET, POST/],
  ['a path without its slash', `  - name: ep\n    kind: http.endpoint\n    meta: { router: api }\n    method: GET\n    path: x\n    func: h\n`, /entry app:ep: field "path" must start with "\/"/],
  ['no meta.router', `  - name: ep\n    kind: http.endpoint\n    method: GET\n    path: /x\n    func: h\n`, /entry app:ep: missing required field "meta.router"/],
  ['a router on a missing server', `  - name: r2\n    kind: http.router\n    meta: { server: nope }\n    prefix: /z\n`, /entry app:r2: field "meta.server": entry "app:nope" not found/],
  ['two routers with one prefix', `  - name: r2\n    kind: http.router\n    meta: { server: gateway }\n    prefix: /\n`, /entry app:r2: router prefix "\/" already used by router app:api on server app:gateway/],
  ['a bad addr', `  - name: g2\n    kind: http.service\n    addr: "8080"\n`, /entry app:g2: field "addr" must be host:port/],
  ['a static mount without fs or directory', `  - name: s\n    kind: http.static\n    meta: { server: gateway }\n    path: /s\n`, /entry app:s: missing required field "fs"/],
])('%s is a load error naming the entry', (_what, entries, message) => {
  expect(load(entries)).toThrow(message);
});
