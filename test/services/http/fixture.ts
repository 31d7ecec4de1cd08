/** A throwaway project with an http.service on a free loopback port, booted in-process. */
import { writeFiles, bootProject } from '../../helpers/service-project';
import { bootThreaded, TEST_THREADS } from '../../helpers/threads';
import type { Runtime } from '../../../src/hosts/runtime';

/** `entries` is YAML list items (2-space indented) added after the server `t:gateway` and router `t:api` (prefix /). */
export function httpProject(port: number, entries: string, lua: Record<string, string>, server = ''): string {
  const files: Record<string, string> = {
    'src/_index.yaml': `version: "1.0"
namespace: t
entries:
  - name: host
    kind: process.host
    lifecycle: { auto_start: true }
  - name: gateway
    kind: http.service
    addr: 127.0.0.1:${port}
    lifecycle: { auto_start: true }
${server}
  - name: api
    kind: http.router
    meta: { server: gateway }
    prefix: /
${entries}`,
  };
  for (const [name, text] of Object.entries(lua)) files[`src/${name}`] = text;
  return writeFiles(files);
}

/** A function.lua entry `name` in file `name`.lua with method handler, and its endpoint. */
export function endpoint(name: string, method: string, path: string, router = 'api', modules = ['http', 'json']): string {
  return `  - name: ${name}
    kind: function.lua
    source: file://${name}.lua
    method: handler
    modules: [${modules.join(', ')}]
  - name: ${name}.ep
    kind: http.endpoint
    meta: { router: ${router} }
    method: ${method}
    path: ${path}
    func: ${name}
`;
}

/** Boots on `WISP_THREADS` threads (default 1): with more, thread 1 hands handlers to the others. */
export async function bootHttp(dir: string): Promise<Runtime> {
  return TEST_THREADS > 1 ? bootThreaded(dir, TEST_THREADS) : bootProject(dir);
}
