/** env over real registry entries: storages, variables, the router chain, defaults, read-only, visibility. */
import { readFileSync, rmSync, writeFileSync } from 'fs';
import { join } from 'path';
import { loadProject } from '../../src/registry';
import { Runtime } from '../../src/hosts/runtime';
import { SILENT } from '../../src/modules/logger';
import { runEntry } from '../helpers/project';
import { indexWithHosts, writeProject } from '../helpers/cli';
import { runWith } from './run-lua';
import { valueToPlain } from '../../src/engine/plain';

const ENTRIES = `
  - name: memory
    kind: env.storage.memory
  - name: os
    kind: env.storage.os
  - name: router
    kind: env.storage.router
    storages: [memory, os]
  - name: home
    kind: env.variable
    variable: WISP_ENV_TEST_HOME
    storage: os
  - name: mem
    kind: env.variable
    variable: MEM_VAR
    storage: memory
  - name: routed
    kind: env.variable
    variable: WISP_ENV_TEST_ROUTED
    storage: router
  - name: with_default
    kind: env.variable
    variable: WITH_DEFAULT
    storage: memory
    default: fallback
  - name: locked
    kind: env.variable
    variable: LOCKED
    storage: memory
    readonly: true
  - name: dotenv
    kind: env.storage.file
    file_path: config/.env
    auto_create: true
  - name: fixed
    kind: env.storage.static
    values:
      STATIC_VAR: constant
  - name: existing
    kind: env.variable
    variable: EXISTING
    storage: dotenv
  - name: file_var
    kind: env.variable
    variable: FILE_VAR
    storage: dotenv
  - name: static_var
    kind: env.variable
    variable: STATIC_VAR
    storage: fixed
  - name: probe
    kind: process.lua
    source: file://probe.lua
    method: main
    modules: [env]
`;

const PROBE = `
local env = require("env")
local function E(v, err) if err == nil then return { ok = v } end return { kind = err:kind(), message = err:message() } end
return function(step)
  if step == "file" then
    return { E(env.get("EXISTING")), E(env.set("EXISTING", "2")), E(env.set("FILE_VAR", "new")), E(env.get("EXISTING")),
      E(env.get("FILE_VAR")), E(env.get("STATIC_VAR")), E(env.set("STATIC_VAR", "x")) }
  end
  if step == "write" then return { E(env.set("MEM_VAR", "one")), E(env.set("routed", "via-router")) } end
  local all = env.get_all()
  return {
    E(env.get("WISP_ENV_TEST_HOME")), E(env.get("app:home")), E(env.get("home")), E(env.get("MEM_VAR")),
    E(env.get("WISP_ENV_TEST_ROUTED")), E(env.get("WITH_DEFAULT")), E(env.set("LOCKED", "x")), E(env.set("home", "x")),
    E(env.get("UNDECLARED")), E(env.get("")), E(env.set("", "v")), all.WISP_ENV_TEST_HOME, all.MEM_VAR,
  }
end`;

describe('env', () => {
  let dir: string;
  beforeAll(() => {
    process.env.WISP_ENV_TEST_HOME = '/home/test';
    process.env.WISP_ENV_TEST_ROUTED = 'from-os';
    dir = writeProject({ '_index.yaml': indexWithHosts('app', ENTRIES), 'probe.lua': PROBE });
  });
  afterAll(() => {
    delete process.env.WISP_ENV_TEST_HOME;
    delete process.env.WISP_ENV_TEST_ROUTED;
    rmSync(dir, { recursive: true, force: true });
  });

  const probe = async (runtime: Runtime, step: string): Promise<unknown> => {
    const out = await runEntry(runtime, 'app:probe', 'app:processes', [step]);
    if (out.error) throw new Error(out.error.message);
    return valueToPlain(out.value);
  };

  test('variables by name and by id, router reads in order and writes to its first storage, defaults, errors', async () => {
    const runtime = new Runtime(loadProject(dir), { logs: SILENT, terminal: null });
    runtime.boot();
    const before = (await probe(runtime, 'read')) as unknown[];
    expect(before.slice(0, 3)).toEqual([{ ok: '/home/test' }, { ok: '/home/test' }, { ok: '/home/test' }]);
    expect(before[3]).toEqual({ kind: 'NotFound', message: 'get environment variable failed: environment variable not found' });
    expect(before[4]).toEqual({ ok: 'from-os' }); // the router falls through memory to os
    expect(before[5]).toEqual({ ok: 'fallback' });
    expect(before[6]).toEqual({ kind: 'PermissionDenied', message: 'set environment variable failed: environment variable is read-only' });
    expect(before[7]).toEqual({ kind: 'PermissionDenied', message: 'set environment variable failed: storage is read-only' });
    expect(before[8]).toMatchObject({ kind: 'NotFound' }); // only declared variables are reachable
    expect(before[9]).toEqual({ kind: 'Invalid', message: 'empty key' });
    expect(before[10]).toEqual({ kind: 'Invalid', message: 'empty key' });
    expect(before[11]).toBe('/home/test');

    expect(await probe(runtime, 'write')).toEqual([{ ok: true }, { ok: true }]);
    const after = (await probe(runtime, 'read')) as unknown[];
    expect(after[3]).toEqual({ ok: 'one' }); // a set is seen by other processes of the runtime
    expect(after[4]).toEqual({ ok: 'via-router' }); // written to memory, which the router reads first
    expect(after[12]).toBe('one');
    expect(process.env.WISP_ENV_TEST_ROUTED).toBe('from-os'); // the process environment is never written

    const fresh = new Runtime(loadProject(dir), { logs: SILENT, terminal: null });
    fresh.boot();
    expect(((await probe(fresh, 'read')) as unknown[])[3]).toMatchObject({ kind: 'NotFound' }); // memory is per runtime
  });

  test('a .env file storage is read on each get and rewritten in place on set; a static storage is read-only', async () => {
    const fileDir = writeProject({ '_index.yaml': indexWithHosts('app', ENTRIES), 'probe.lua': PROBE });
    try {
      const runtime = new Runtime(loadProject(fileDir), { logs: SILENT, terminal: null });
      runtime.boot();
      // auto_create makes config/.env (relative to the project directory) on the first set
      expect(((await probe(runtime, 'file')) as unknown[]).slice(0, 1)).toEqual([{ kind: 'NotFound', message: expect.stringMatching(/not found/) }]);
      const envFile = join(fileDir, 'config', '.env');
      expect(readFileSync(envFile, 'utf8')).toBe('EXISTING=2\nFILE_VAR=new\n');
      writeFileSync(envFile, '# settings\nEXISTING = 1 # keep me\n\nOTHER=x\n');
      const r = (await probe(runtime, 'file')) as unknown[];
      expect(r).toEqual([{ ok: '1' }, { ok: true }, { ok: true }, { ok: '2' }, { ok: 'new' }, { ok: 'constant' },
        { kind: 'PermissionDenied', message: 'set environment variable failed: storage is read-only' }]);
      expect(readFileSync(envFile, 'utf8')).toBe('# settings\nEXISTING=2 # keep me\n\nOTHER=x\nFILE_VAR=new\n');
    } finally {
      rmSync(fileDir, { recursive: true, force: true });
    }
  });

  test('a VM without a runtime answers Internal errors', async () => {
    expect(await runWith(['env'], `local env = require("env")
      local v, err = env.get("PATH") return { v == nil, err:kind(), err:message() }`)).toEqual([true, 'Internal', 'environment registry not found']);
  });
});

test('an env.variable name other than letters, digits and _ is refused at load', () => {
  const bad = writeProject({ '_index.yaml': indexWithHosts('app', `
  - name: os
    kind: env.storage.os
  - name: v
    kind: env.variable
    variable: BAD-NAME
    storage: os
`) });
  try {
    expect(() => loadProject(bad)).toThrow(/invalid environment variable name "BAD-NAME"/);
  } finally {
    rmSync(bad, { recursive: true, force: true });
  }
});
