/**
 * The security module and its enforcement over a real project (registry, kernel, hosts, services): actors and
 * scopes carried into calls, spawns and services, the guarded modules refusing what the scope does not allow
 * whatever the arguments, a child unable to widen what it was given, strict mode, and token stores over a
 * real key-value store.
 */
import { loadProject, type SecurityPolicyEntry } from '../../src/registry';
import { Runtime } from '../../src/hosts/runtime';
import { SILENT } from '../../src/modules/logger';
import { Actor, Scope, type SecurityContext } from '../../src/lib/security';
import type { Outcome } from '../../src/kernel/message';
import { writeFiles } from '../helpers/service-project';
import { valueToPlain } from '../../src/engine/plain';

const ENTRIES = `version: "1.0"
namespace: t
entries:
  - name: host
    kind: process.host
    lifecycle: { auto_start: true }
  - name: mem
    kind: env.storage.memory
  - name: secret
    kind: env.variable
    variable: SECRET
    storage: mem
    default: s3cr3t
  - name: public
    kind: env.variable
    variable: PUBLIC
    storage: mem
    default: hello
  - name: env_public
    kind: security.policy
    policy: { actions: env.get, resources: PUBLIC, effect: allow }
    groups: [reader]
  - name: call_public
    kind: security.policy
    policy: { actions: funcs.call, resources: [t:public_fn, t:reader], effect: allow }
    groups: [reader]
  - name: allow_all
    kind: security.policy
    policy: { actions: "*", resources: "*", effect: allow }
  - name: admins
    kind: security.policy.expr
    policy: { actions: "*", resources: "*", effect: allow, expression: 'actor.meta.role == "admin"' }
  - name: tokens
    kind: security.token_store
    store: kv
    token_key: k3y
  - name: kv
    kind: store.memory
    lifecycle: { auto_start: true }
  - name: qdriver
    kind: queue.driver.memory
    lifecycle: { auto_start: true }
  - name: jobs
    kind: queue.queue
    driver: qdriver
  - name: orphan_tokens
    kind: security.token_store
    store: nowhere
  - name: main
    kind: process.lua
    source: file://main.lua
    method: main
    modules: [security, funcs, env, time]
  - name: reader
    kind: function.lua
    source: file://reader.lua
    method: main
    modules: [env, security]
  - name: public_fn
    kind: function.lua
    source: file://public_fn.lua
    method: main
  - name: secret_fn
    kind: function.lua
    source: file://public_fn.lua
    method: main
  - name: caller
    kind: function.lua
    source: file://caller.lua
    method: main
    modules: [funcs]
  - name: widen
    kind: function.lua
    source: file://widen.lua
    method: main
    modules: [security, funcs, env, registry, eval_runner, contract, queue, store]
  - name: child
    kind: process.lua
    source: file://child.lua
    method: main
    modules: [security]
  - name: svc_main
    kind: process.lua
    source: file://svc.lua
    method: main
    modules: [security, env]
  - name: svc
    kind: process.service
    process: t:svc_main
    host: t:host
    lifecycle:
      auto_start: true
      stop_timeout: 200ms
      security:
        actor: { id: svc-bot, meta: { role: bot } }
        groups: [reader]
        policies: [svc_rights]
  - name: svc_rights
    kind: security.policy
    policy: { actions: [process.registry.register, process.send], resources: "*", effect: allow }
`;

const READER = `
local env = require("env")
local function main(key)
  local v, err = env.get(key)
  local all = env.get_all()
  local keys = {}
  for k in pairs(all) do keys[#keys + 1] = k end
  table.sort(keys)
  return { value = v, kind = err and err:kind() or nil, visible = table.concat(keys, ",") }
end
return { main = main }`;

const CALLER = `
local funcs = require("funcs")
local function main(target)
  local v, err = funcs.call(target)
  return { value = v, kind = err and err:kind() or nil, message = err and tostring(err) or nil }
end
return { main = main }`;

/** Everything a callee holding only the reader scope might try to get more. */
const WIDEN = `
local security = require("security")
local funcs = require("funcs")
local function main()
  local out = {}
  local p, perr = security.policy("t:allow_all")
  out.policy = p ~= nil
  out.policy_err = perr and perr:kind()
  local _, nerr = security.named_scope("t:reader")
  out.named_err = nerr and nerr:kind()
  out.new_scope = pcall(security.new_scope)
  out.new_actor = pcall(security.new_actor, "admin", { role = "admin" })
  local mine = security.scope()
  out.with = pcall(function() return mine:without("t:env_public") end)
  local ex, xerr = funcs.new():with_scope(mine)
  out.with_scope = ex ~= nil
  out.with_scope_err = xerr and xerr:kind()
  -- rewriting the registry (a policy to allow everything) is refused
  local registry = require("registry")
  local snap = registry.snapshot()
  local changes = snap:changes()
  changes:update({ id = "t:env_public", kind = "security.policy", data = { policy = { actions = "*", resources = "*", effect = "allow" } } })
  local applied, aerr = changes:apply()
  out.registry_apply_err = aerr and aerr:kind()
  local _, gerr = registry.get("t:secret")
  out.registry_get_err = gerr and gerr:kind()
  local queue = require("queue")
  local published, qerr = queue.publish("t:jobs", { job = 1 })
  out.queue_err = qerr and tostring(qerr)
  local _, sterr = require("store").get("t:kv")
  out.store_err = sterr and sterr:kind()
  local _, cerr = require("contract").get("t:any_contract")
  out.contract_err = cerr and cerr:kind()
  -- code it evaluates acts as it does
  local eval_runner = require("eval_runner")
  local evaluated = eval_runner.run({ source = 'local env = require("env") return function() local v, err = env.get("SECRET") return v or err:kind() end', modules = { "env" } })
  out.eval_secret = evaluated
  -- what it may call still runs with its own (inherited) scope
  local r = funcs.call("t:reader", "SECRET")
  out.inherited_secret = r.value
  out.inherited_kind = r.kind
  return out
end
return { main = main }`;

const SVC = `
local security = require("security")
local env = require("env")
local function main()
  process.registry.register("svc")
  local inbox = process.inbox()
  while true do
    local msg = inbox:receive()
    local from = msg:payload():data()
    local _, serr = env.get("SECRET")
    local pub = env.get("PUBLIC")
    local actor = security.actor()
    process.send(from, "answer", { actor = actor and actor:id(), role = actor and actor:meta().role, public = pub, secret_kind = serr and serr:kind() })
  end
end
return { main = main }`;

const MAIN = `
local security = require("security")
local funcs = require("funcs")
local env = require("env")
local time = require("time")

local function reader_context()
  local scope, err = security.named_scope("t:reader")
  assert(scope, tostring(err))
  return security.new_actor("alice", { role = "user" }), scope
end

local scenarios = {}

function scenarios.env()
  local actor, scope = reader_context()
  local exec = funcs.new():with_actor(actor):with_scope(scope)
  env.set("SECRET", "s3cr3t")
  env.set("PUBLIC", "hello")
  local out = {}
  for _, key in ipairs({ "SECRET", "PUBLIC", "secret", "SECRET\\0", "" }) do
    local r, err = exec:call("t:reader", key)
    out[#out + 1] = r or { call_err = tostring(err) }
  end
  -- the caller itself has no actor: permissive
  out.own = env.get("SECRET")
  return out
end

function scenarios.call()
  local actor, scope = reader_context()
  local exec = funcs.new():with_actor(actor):with_scope(scope)
  return { public = exec:call("t:caller", "t:public_fn"), secret = exec:call("t:caller", "t:secret_fn"),
    direct = { exec:call("t:secret_fn") } }
end

function scenarios.widen()
  local actor, scope = reader_context()
  return funcs.new():with_actor(actor):with_scope(scope):call("t:widen")
end

function scenarios.expr()
  local admins = security.new_scope({ (security.policy("t:admins")) })
  local out = {
    admin = admins:evaluate(security.new_actor("a", { role = "admin" }), "env.get", "SECRET"),
    user = admins:evaluate(security.new_actor("b", { role = "user" }), "env.get", "SECRET"),
  }
  out.secret = funcs.new():with_actor(security.new_actor("a", { role = "admin" })):with_scope(admins):call("t:reader", "SECRET").value
  return out
end

function scenarios.service()
  local pid
  for _ = 1, 50 do
    pid = process.registry.lookup("svc")
    if pid then break end
    time.sleep("10ms")
  end
  process.send(pid, "ask", process.pid())
  local msg = process.inbox():receive()
  return msg:payload():data()
end

function scenarios.limits()
  local ok, err = pcall(security.new_actor, "x", { blob = string.rep("a", 100000) })
  local store = security.token_store("t:tokens")
  local tok, terr = pcall(function() return store:create(security.new_actor("y"), security.new_scope(), { meta = { blob = string.rep("b", 100000) } }) end)
  return { actor = ok, actor_err = tostring(err), token = tok, token_err = tostring(terr) }
end

function scenarios.spawned()
  local actor, scope = reader_context()
  local events = process.events()
  local pid = process.with_context({}):with_actor(actor):with_scope(scope):spawn_monitored("t:child", "t:host", process.pid())
  local event = events:receive()
  assert(event.from == pid, "exit of the child")
  return { result = event.result, error = event.error and tostring(event.error) }
end

function scenarios.strict()
  local v, err = env.get("PUBLIC")
  return { value = v, kind = err and err:kind(), new_actor = pcall(security.new_actor, "x") }
end

function scenarios.tokens()
  local store, err = security.token_store("t:tokens")
  assert(store, tostring(err))
  local scope = security.named_scope("t:reader")
  local actor = security.new_actor("bob", { role = "user", team = "blue" })
  local out = {}
  local token = store:create(actor, scope, { expiration = "1h", meta = { login = 1 } })
  out.token_parts = select(2, token:gsub("%.", "."))
  local a, s, verr = store:validate(token)
  out.actor = a and a:id()
  out.team = a and a:meta().team
  out.has_public = s and s:contains("t:env_public")
  out.valid_err = verr and tostring(verr)
  -- forged: another signature, a bare token, a signature moved to another token
  local other = store:create(actor, scope)
  local base, sig = token:match("^(.-)%.(.*)$")
  local obase = other:match("^(.-)%.")
  for name, forged in pairs({ flipped = base .. "." .. sig:reverse(), bare = base, swapped = obase .. "." .. sig, empty = "" }) do
    local fa, _, ferr = store:validate(forged)
    out["forged_" .. name] = fa == nil and ferr ~= nil and tostring(ferr)
  end
  -- revoked
  local ok = store:revoke(token)
  out.revoked = ok
  local ra, _, rerr = store:validate(token)
  out.revoked_valid = ra ~= nil
  out.revoked_err = rerr and tostring(rerr)
  -- expired
  local short = store:create(actor, scope, { expiration = 30 })
  time.sleep("80ms")
  local ea, _, eerr = store:validate(short)
  out.expired_valid = ea ~= nil
  out.expired_err = eerr and tostring(eerr)
  local _, bad = store:create(actor, scope, { expiration = "soon" })
  out.bad_expiration = bad and bad:kind()
  store:close()
  local _, _, cerr = store:validate(other)
  out.closed_err = cerr and tostring(cerr)
  local orphan = assert(security.token_store("t:orphan_tokens"))
  local _, oerr = orphan:create(actor, scope)
  out.orphan_err = oerr and tostring(oerr)
  return out
end

local function main(name)
  return scenarios[name]()
end
return { main = main }`;

/** A process spawned with the reader scope, trying what that scope does not allow. */
const CHILD = `
local security = require("security")
local function main(parent)
  local out = { actor = security.actor():id() }
  local pid, err = process.spawn("t:child", "t:host")
  out.spawn = pid ~= nil
  out.spawn_err = err and err:kind()
  out.with_context = pcall(process.with_context, {})
  local ok, serr = process.send(parent, "hello", "x")
  out.send = ok == true
  out.send_err = serr and serr:kind()
  local rok, rerr = process.registry.register("child")
  out.register_err = rerr and rerr:kind()
  return out
end
return { main = main }`;

const PUBLIC_FN = `return { main = function() return "ran" end }`;

async function boot(strict = false): Promise<Runtime> {
  const dir = writeFiles({
    'src/_index.yaml': ENTRIES,
    'src/main.lua': MAIN,
    'src/reader.lua': READER,
    'src/public_fn.lua': PUBLIC_FN,
    'src/caller.lua': CALLER,
    'src/widen.lua': WIDEN,
    'src/svc.lua': SVC,
    'src/child.lua': CHILD,
  });
  const rt = new Runtime(loadProject(dir), { logs: SILENT, terminal: null, securityStrict: strict });
  await rt.boot();
  return rt;
}

/** Runs scenario `name` in t:main, as nobody or (`security`) as a given actor with a given scope. */
async function scenario(rt: Runtime, name: string, security: SecurityContext | null = null): Promise<Record<string, unknown>> {
  const r = rt.node.spawn({ entry: 't:main', host: 't:host', args: [name], parent: null, monitor: false, link: false, security });
  if (!r.ok) throw new Error(r.error.message);
  const outcome = await new Promise<Outcome>((resolve) => rt.node.onExit(r.value, resolve));
  if (outcome.error) throw new Error(outcome.error.stack ?? outcome.error.message);
  return valueToPlain(outcome.value) as Record<string, unknown>;
}

describe('security over a running project', () => {
  let rt: Runtime;
  beforeAll(async () => {
    rt = await boot();
  });
  afterAll(() => rt.shutdown());

  test('a guarded env variable: only what the scope allows, whatever the key', async () => {
    const r = await scenario(rt, 'env');
    const denied = { kind: 'PermissionDenied', visible: 'PUBLIC' };
    expect(r[1]).toEqual(denied);
    expect(r[2]).toEqual({ value: 'hello', visible: 'PUBLIC' });
    expect(r[3]).toEqual(denied); // by entry name
    expect(r[4]).toEqual(denied);
    expect(r[5]).toMatchObject({ kind: 'Invalid' }); // empty key: the argument error comes first, as in Wippy
    expect(r.own).toBe('s3cr3t');
  });

  test('a guarded function call is refused, directly and from inside a callee', async () => {
    const r = await scenario(rt, 'call');
    expect(r.public).toEqual({ value: 'ran' });
    expect(r.secret).toMatchObject({ kind: 'PermissionDenied', message: expect.stringContaining('not allowed: t:secret_fn') });
    // The check is the caller's: main itself runs with no actor, so it may call what it hands a scope to.
    expect(r.direct).toEqual(['ran']);
  });

  test('a callee cannot widen the scope it was given', async () => {
    const r = await scenario(rt, 'widen');
    expect(r).toEqual({
      policy: false,
      policy_err: 'Invalid',
      named_err: 'Invalid',
      new_scope: false,
      new_actor: false,
      with: false,
      with_scope: false,
      with_scope_err: 'PermissionDenied',
      registry_apply_err: 'PermissionDenied',
      registry_get_err: 'PermissionDenied',
      eval_secret: 'PermissionDenied',
      contract_err: 'PermissionDenied',
      queue_err: expect.stringContaining('queue publishing not allowed'),
      store_err: 'PermissionDenied',
      inherited_kind: 'PermissionDenied',
    });
  });

  test('a spawned process keeps the scope it was given: it cannot spawn, reach others or widen it', async () => {
    expect(await scenario(rt, 'spawned')).toEqual({
      result: { value: { actor: 'alice', spawn: false, spawn_err: 'PermissionDenied', with_context: false, send: false, send_err: 'PermissionDenied', register_err: 'PermissionDenied' } },
    });
  });

  test('expression policies decide with actor metadata', async () => {
    expect(await scenario(rt, 'expr')).toEqual({ admin: 'allow', user: 'undefined', secret: 's3cr3t' });
  });

  test('a service runs as its lifecycle.security actor with its groups', async () => {
    expect(await scenario(rt, 'service')).toEqual({ actor: 'svc-bot', role: 'bot', public: 'hello', secret_kind: 'PermissionDenied' });
  });

  test('tokens: created, validated, and refused when forged, revoked, expired or the store is closed', async () => {
    const r = await scenario(rt, 'tokens');
    expect(r).toMatchObject({
      token_parts: 1,
      actor: 'bob',
      team: 'blue',
      has_public: true,
      revoked: true,
      revoked_valid: false,
      expired_valid: false,
      bad_expiration: 'Invalid',
    });
    expect(r.valid_err).toBeUndefined();
    for (const k of ['forged_flipped', 'forged_bare', 'forged_swapped', 'forged_empty']) expect(r[k]).toContain('invalid token format');
    expect(r.revoked_err).toContain('token not found');
    expect(r.expired_err).toMatch(/token (expired|not found)/);
    expect(r.closed_err).toContain('token store is closed');
    // a token store whose store is missing loads, and says so when used
    expect(r.orphan_err).toContain('failed to acquire backing store t:nowhere');
  });

  test('actors and tokens carry bounded metadata', async () => {
    const r = await scenario(rt, 'limits');
    expect(r).toMatchObject({ actor: false, token: false });
    expect(r.actor_err).toContain('metadata larger than 65536 bytes');
    expect(r.token_err).toContain('metadata larger than 65536 bytes');
  });

  test('the default is permissive', async () => {
    expect(await scenario(rt, 'strict')).toEqual({ value: 'hello', new_actor: true });
  });
});

describe('strict mode', () => {
  test('denies what the permissive default allows', async () => {
    const rt = await boot(true);
    try {
      expect(await scenario(rt, 'strict')).toEqual({ kind: 'PermissionDenied', new_actor: false });
      // a service given an actor and scope still gets what its scope allows (asked by an admin: in strict mode a
      // process without an actor may not even send)
      const allowAll = (rt.registry.get('t:allow_all') as SecurityPolicyEntry).policy;
      const admin = { actor: new Actor('root'), scope: Scope.of([allowAll]) };
      expect(await scenario(rt, 'service', admin)).toEqual({ actor: 'svc-bot', role: 'bot', public: 'hello', secret_kind: 'PermissionDenied' });
    } finally {
      await rt.shutdown();
    }
  });
});

test('a bad policy is a load error naming the entry', () => {
  const dir = writeFiles({
    'src/_index.yaml': `version: "1.0"\nnamespace: t\nentries:\n  - name: p\n    kind: security.policy\n    policy: { actions: "*", resources: "*", effect: allow, conditions: [{ field: actor.id, operator: like, value: x }] }\n`,
  });
  expect(() => loadProject(dir)).toThrow(/t:p.*unknown operator "like"|unknown operator "like".*t:p/s);
});
