/**
 * token_auth, endpoint_firewall and resource_firewall over real requests: a login endpoint issues tokens from
 * a security.token_store, guarded routes take them from the header, the query or a cookie, and every way a
 * token can be wrong (none, forged, wrong prefix, revoked, expired, a scope without the permission) is refused
 * with Wippy's 401/403 JSON before the endpoint's function runs.
 */
import { endpoint, httpProject } from './fixture';
import { freePort } from '../../helpers/net';
import { bootProject } from '../../helpers/service-project';
import type { Runtime } from '../../../src/hosts/runtime';

const LUA = {
  'login.lua': `local http = require("http")
local json = require("json")
local security = require("security")
return { handler = function()
  local data = json.decode(http.request():body())
  local store = assert(security.token_store("t:tokens"))
  local scope = security.new_scope()
  for _, id in ipairs(data.policies or {}) do scope = scope:with(assert(security.policy(id))) end
  local token, err = store:create(security.new_actor(data.username, { type = "user" }), scope, { expiration = data.expiration or "1h" })
  if err then http.response():set_status(500) http.response():write(tostring(err)) return end
  http.response():write_json({ token = token })
end }`,
  'logout.lua': `local http = require("http")
local security = require("security")
return { handler = function()
  local store = assert(security.token_store("t:tokens"))
  local ok, err = store:revoke(http.request():body())
  http.response():write(ok and "revoked" or tostring(err))
end }`,
  'protected.lua': `local http = require("http")
local security = require("security")
local env = require("env")
return { handler = function()
  local actor = security.actor()
  local _, err = env.get("SECRET")
  http.response():write_json({ actor = actor and actor:id(), type = actor and actor:meta().type, env = err and err:kind() or "read" })
end }`,
};

const ENTRIES = `  - name: kv
    kind: store.memory
    lifecycle: { auto_start: true }
  - name: tokens
    kind: security.token_store
    store: kv
  - name: allow_access
    kind: security.policy
    policy: { actions: access, resources: "*", effect: allow }
  - name: read_only
    kind: security.policy
    policy: { actions: read, resources: "*", effect: allow }
  - name: reports
    kind: security.policy
    policy: { actions: view, resources: reports, effect: allow }
  - name: auth
    kind: http.router
    meta: { server: gateway }
    prefix: /auth
    middleware: [token_auth]
    options: { token_store: "t:tokens" }
    post_middleware: [endpoint_firewall]
  - name: open_router
    kind: http.router
    meta: { server: gateway }
    prefix: /open
    middleware: [token_auth]
    options: { token_store: "t:tokens" }
  - name: cookie_auth
    kind: http.router
    meta: { server: gateway }
    prefix: /c
    middleware: [token_auth]
    options: { token_auth.store: "t:tokens", token_auth.cookie.name: session, token_auth.header.prefix: "Token " }
    post_middleware: [endpoint_firewall]
  - name: reports_router
    kind: http.router
    meta: { server: gateway }
    prefix: /reports
    middleware: [token_auth]
    options: { token_auth.store: "t:tokens" }
    post_middleware: [resource_firewall]
    post_options: { resource_firewall.action: view, resource_firewall.target: reports }
${endpoint('login', 'POST', '/login', 'api', ['http', 'json', 'security'])}${endpoint('logout', 'POST', '/logout', 'api', ['http', 'security'])}${endpoint('protected', 'GET', '/protected', 'auth', ['http', 'security', 'env'])}${endpoint('open', 'GET', '/page', 'open_router', ['http', 'security', 'env']).replace('source: file://open.lua', 'source: file://protected.lua')}${endpoint('cookie_page', 'GET', '/page', 'cookie_auth', ['http', 'security', 'env']).replace('source: file://cookie_page.lua', 'source: file://protected.lua')}${endpoint('report', 'GET', '/r', 'reports_router', ['http', 'security', 'env']).replace('source: file://report.lua', 'source: file://protected.lua')}`;

const ENV = `  - name: mem
    kind: env.storage.memory
  - name: secret
    kind: env.variable
    variable: SECRET
    storage: mem
    default: s3cr3t
`;

describe('token_auth and the firewalls', () => {
  let rt: Runtime;
  let base: string;
  const login = async (username: string, policies: string[], expiration?: string | number): Promise<string> => {
    const res = await fetch(`${base}/login`, { method: 'POST', body: JSON.stringify({ username, policies, expiration }) });
    expect(res.status).toBe(200);
    return ((await res.json()) as { token: string }).token;
  };
  const get = async (path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; type: string | null }> => {
    const res = await fetch(`${base}${path}`, { headers });
    return { status: res.status, body: await res.text(), type: res.headers.get('content-type') };
  };
  const UNAUTHENTICATED = '{"details":"You must be authenticated to access this endpoint","error":"Authentication required","success":false}\n';
  const FORBIDDEN = '{"details":"You don\'t have permission to access this endpoint","error":"Access denied","success":false}\n';

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    rt = await bootProject(httpProject(port, ENV + ENTRIES, LUA));
  });
  afterAll(() => rt.shutdown());

  test('no token: 401 with Wippy\'s JSON body', async () => {
    const r = await get('/auth/protected');
    expect(r).toEqual({ status: 401, body: UNAUTHENTICATED, type: 'application/json' });
  });

  test('a bearer token, a query token: the function runs as the token\'s actor, with its scope', async () => {
    const token = await login('alice', ['t:allow_access']);
    const expected = JSON.stringify({ actor: 'alice', env: 'PermissionDenied', type: 'user' });
    expect(await get('/auth/protected', { Authorization: `Bearer ${token}` })).toMatchObject({ status: 200 });
    expect(JSON.parse((await get('/auth/protected', { Authorization: `Bearer ${token}` })).body)).toEqual(JSON.parse(expected));
    expect((await get(`/auth/protected?x-auth-token=${encodeURIComponent(token)}`)).status).toBe(200);
    // token_auth never blocks by itself: a route without a firewall runs, and runs as nobody without a token
    expect(JSON.parse((await get('/open/page')).body)).toEqual({ env: 'read' });
    expect(JSON.parse((await get('/open/page', { Authorization: `Bearer ${token}` })).body)).toEqual(JSON.parse(expected));
  });

  test('a cookie with a configured name, and a configured header prefix', async () => {
    const token = await login('carol', ['t:allow_access']);
    expect((await get('/c/page', { Cookie: `other=1; session=${token}` })).status).toBe(200);
    expect((await get('/c/page', { Authorization: `Token ${token}` })).status).toBe(200);
    expect((await get('/c/page', { Authorization: `Bearer ${token}` })).status).toBe(401);
    expect((await get('/c/page', { Cookie: `x-auth-token=${token}` })).status).toBe(401);
  });

  test('forged tokens get 401', async () => {
    const token = await login('mallory', ['t:allow_access']);
    // one character changed (the one before last: it was once chosen by the last, and left the token as it was
    // when it was already 'A', one run in 64)
    const at = token.length - 2;
    const flipped = token.slice(0, at) + (token[at] === 'A' ? 'B' : 'A') + token.slice(at + 1);
    expect(flipped).not.toBe(token);
    for (const forged of [flipped, `${token}x`, 'x'.repeat(44), token.toUpperCase(), '', ' ']) {
      expect((await get('/auth/protected', { Authorization: `Bearer ${forged}` })).status).toBe(401);
    }
  });

  test('a revoked token gets 401', async () => {
    const token = await login('dave', ['t:allow_access']);
    expect((await get('/auth/protected', { Authorization: `Bearer ${token}` })).status).toBe(200);
    expect(await (await fetch(`${base}/logout`, { method: 'POST', body: token })).text()).toBe('revoked');
    expect((await get('/auth/protected', { Authorization: `Bearer ${token}` })).status).toBe(401);
  });

  test('an expired token gets 401', async () => {
    const token = await login('erin', ['t:allow_access'], 50);
    await new Promise((r) => setTimeout(r, 120));
    expect((await get('/auth/protected', { Authorization: `Bearer ${token}` })).status).toBe(401);
  });

  test('a scope without the permission gets 403, from either firewall', async () => {
    const reader = await login('frank', ['t:read_only']);
    expect(await get('/auth/protected', { Authorization: `Bearer ${reader}` })).toEqual({ status: 403, body: FORBIDDEN, type: 'application/json' });
    expect((await get('/reports/r', { Authorization: `Bearer ${reader}` })).body).toBe('{"details":"You don\'t have permission to access this resource","error":"Access denied","success":false}\n');
    const viewer = await login('gina', ['t:reports']);
    expect((await get('/reports/r', { Authorization: `Bearer ${viewer}` })).status).toBe(200);
    expect((await get('/reports/r')).status).toBe(401);
  });
});
