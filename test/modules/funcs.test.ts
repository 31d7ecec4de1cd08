/**
 * funcs, ctx and registry through the real runtime: fixtures/funcs/src/probe.lua runs each step as a process
 * on a booted project and returns what it saw.
 */
import { join } from 'path';
import { loadProject } from '../../src/registry';
import { Runtime } from '../../src/hosts/runtime';
import { SILENT } from '../../src/modules/logger';
import { FIXTURES } from '../helpers/lua';
import { valueToPlain } from '../../src/engine/plain';

let runtime: Runtime;

beforeEach(() => {
  runtime = new Runtime(loadProject(join(FIXTURES, 'funcs')), { logs: SILENT, terminal: null });
  runtime.boot();
});
afterEach(() => runtime.shutdown());

/** Runs one probe step with `{from_test = "yes"}` as its context. */
async function step(name: string): Promise<Record<string, any>> {
  const r = runtime.node.spawn({
    entry: 'app:probe', host: 'app:processes', args: [name], parent: null, monitor: false, link: false,
    context: new Map([['from_test', 'yes']]),
  });
  if (!r.ok) throw new Error(r.error.message);
  const out = await new Promise<{ value: unknown; error: { message: string } | null }>((res) => runtime.node.onExit(r.value, res as never));
  if (out.error) throw new Error(out.error.message);
  return valueToPlain(out.value as never) as Record<string, any>;
}

describe('funcs', () => {
  test('call runs a function.lua in a fresh process on the function host and returns its value; arguments are copies', async () => {
    const r = await step('call');
    expect(r.echo.result).toEqual({ args: { 1: 'a', 2: 2, 4: { x: 'original' } }, n: 4, context: { from_test: 'yes' }, pid: expect.stringMatching(/^\{functions\|0x[0-9a-f]+\}$/) });
    expect(r.mutate.result).toEqual({ 1: 'added', x: 'changed' });
    expect(r.input_after).toEqual({ x: 'original' }); // the callee changed its copy only
    expect(r.nested.result).toBe(42); // a library's own imports resolve inside it
  });

  test('every bad target and failing function is `nil, err` with Wippy\'s kinds', async () => {
    const r = await step('errors');
    const invalid = { kind: 'Invalid', retryable: false };
    expect(r.empty.err).toEqual({ ...invalid, message: 'function target must not be empty' });
    expect(r.no_ns.err).toEqual({ ...invalid, message: 'invalid function target "nonamespace": expected namespace:name' });
    expect(r.no_name.err).toMatchObject(invalid);
    expect(r.missing.err).toEqual({ kind: 'NotFound', retryable: false, message: 'function not found: app:missing' });
    expect(r.unknown_kind.err).toEqual({ ...invalid, message: 'entry app:gateway is a http.service, not a function.lua or process.lua' });
    expect(r.library.err).toEqual({ ...invalid, message: 'entry app:inner is a library.lua, not a function.lua or process.lua' });
    expect(r.hostless.err).toEqual({ ...invalid, message: 'process app:hostless_process has no meta.default_host to run on' });
    expect(r.raised.err.message).toBe('app:boom:1: it broke');
    expect(r.typed.err).toEqual({ kind: 'Unavailable', message: 'down', retryable: true });
    expect(r.undeclared.err.message).toMatch(/module 'json' is not available to app:undeclared/);
    expect(r.uncopyable.result.n).toBe(1); // a function argument arrives as nil, as in process.send
    expect(r.async_empty.err).toMatchObject(invalid);
    expect(r.empty.result).toBeUndefined();
  });

  test('calls share nothing; a function that never returns is preempted and stopped by the timeout option', async () => {
    const r = await step('isolation');
    expect(r.first).toBeUndefined();
    expect(r.second).toBeUndefined(); // the global the first call set is gone
    expect(r.spin.err).toEqual({ kind: 'Timeout', message: 'call to app:spin timed out after 300 ms', retryable: true });
    expect(r.ticks).toBe(3); // the caller's other coroutine ran while the call spun
    expect(r.bad_timeout.err).toMatchObject({ kind: 'Invalid', message: expect.stringMatching(/option timeout/) });
    expect(r.after_spin).toBe('still here');
  });

  test('call blocks only the calling coroutine', async () => {
    expect(await step('blocking')).toEqual({ result: { value: 'late' }, ticks: 5 });
  });

  test('async: a future with is_complete, result, error and one value on its channel', async () => {
    const r = await step('future');
    expect(r.before).toEqual({ complete: false, result: {}, error: { 2: false } });
    expect(r.same).toBe(true);
    expect(r.ok).toBe(true);
    expect(r.value).toEqual({ value: 'v1' });
    expect(r.after).toEqual({ complete: true, result: { value: 'v1' }, has_error: false });
    expect(r.drained).toEqual({ ok: false }); // the channel is closed after its one value
    expect(r.failing).toEqual({ ok: true, kind: '', message: 'app:boom:1: async broke', re: 'app:boom:1: async broke', has: true, fe: 'app:boom:1: async broke' });
  });

  test('channel.select over futures picks the first to finish', async () => {
    expect(await step('select')).toEqual({ first: 'fast', value: 'fast' });
  });

  test('cancel stops the callee (it never gets to send) and the future ends Canceled', async () => {
    const r = await step('cancel');
    expect(r).toEqual({ canceled: true, kind: 'Canceled', ok: true, err: { kind: 'Canceled', message: 'call canceled', retryable: false }, notified: false });
  });

  test('executors are immutable; context merges over the caller\'s; with_actor(nil) is an argument error', async () => {
    const r = await step('executor');
    const context = { from_test: 'yes', request_id: 'r-1', nested: { n: 1 }, user: 42 };
    expect(r.distinct).toBe(true);
    expect(r.context).toEqual(context);
    expect(r.async_context).toEqual(context);
    expect(r.plain_context).toEqual({ from_test: 'yes' });
    expect(r.nil_actor).toEqual([false, expect.stringMatching(/actor cannot be nil/)]);
  });

  test('a caller that dies takes its call with it', async () => {
    const pids = () => runtime.node.allProcesses().filter((p) => p.pid.host === 'functions').length;
    const r = runtime.node.spawn({ entry: 'app:probe', host: 'app:processes', args: ['blocking'], parent: null, monitor: false, link: false });
    if (!r.ok) throw new Error(r.error.message);
    for (let waited = 0; pids() === 0 && waited < 10_000; waited += 10) await new Promise((res) => setTimeout(res, 10));
    expect(pids()).toBe(1);
    runtime.node.terminate('', r.value);
    expect(pids()).toBe(0);
  });
});

describe('ctx and the spawn builder', () => {
  test('context flows to spawned processes, to calls and from a function to what it spawns', async () => {
    const r = await step('context');
    expect(r.mine).toEqual({ from_test: 'yes' });
    expect(r.child).toEqual({ from_test: 'yes', trace: 't-9', flag: true, extra: 1 });
    expect(r.through_func).toEqual({ from_test: 'yes', via: 'function' });
    expect(r.empty).toEqual({ kind: 'Invalid', message: 'context key must not be empty', retryable: false });
    expect(r.missing).toEqual({ kind: 'NotFound', message: 'context key not found: nope', retryable: false });
    expect(r.process_call.result).toEqual({ a: 'one', b: { two: 2 }, pid: expect.stringMatching(/^\{app:processes\|/) });
  });
});

describe('registry', () => {
  test('get, find (kind, meta, operators, globs), parse_id, snapshots; entries of unknown kinds are listed', async () => {
    const r = await step('registry_read');
    expect(r.entry).toEqual({ id: 'app:test_a', kind: 'function.lua', meta: { type: 'test', suite: 'alpha', tags: ['fast', 'unit'], title: 'first test' }, data: { source: 'return { main = function() return true end }', method: 'main' } });
    expect(r.missing).toEqual({ kind: 'NotFound', message: 'entry not found: nope:none', retryable: false });
    expect(r.by_kind).toBe(12);
    expect(r.by_root_kind).toBe(1);
    expect(r.by_meta).toEqual(['app:test_a', 'app:test_b']);
    expect(r.nested).toEqual(['app:test_a']);
    expect(r.bare).toEqual(['app:test_b']);
    expect(r.tags).toEqual(['app:test_a']);
    expect([r.regex, r.contains, r.prefix, r.suffix]).toEqual([['app:test_b'], ['app:test_a'], ['app:test_a'], ['app:test_b']]);
    expect(r.glob).toEqual(['app:test_a', 'app:test_b']);
    expect(r.all).toBe(20);
    expect(r.unknown_kind).toEqual({ id: 'app:gateway', kind: 'http.service', meta: {}, data: { addr: ':0' } });
    expect(r.parse).toEqual([{ ns: 'a.b', name: 'c:d' }, { ns: '', name: 'bare' }]);
    expect(r.snap).toEqual({ version: 0, str: 'Snapshot{version=0}', ns: 20, entries: 20 });
  });

  test('changes create, update and delete functions callable at once; bad Lua is refused whole; rollback and history', async () => {
    const r = await step('registry_change');
    expect(r.ops).toEqual([{ kind: 'entry.create', entry: { id: 'app:dyn', kind: 'function.lua', meta: { comment: 'dynamic' }, data: { source: expect.any(String), method: 'main' } } }]);
    expect(r.ids).toEqual({ v0: 0, v1: 1, v2: 2 });
    const notFound = { err: { kind: 'NotFound', message: 'function not found: app:dyn', retryable: false } };
    expect(r.calls).toEqual(['v1:1', 'v2:2', 'v2:3', notFound, 'v2:5', notFound]);
    expect(r.bad.err).toEqual({ kind: 'Invalid', retryable: false, message: "app:dyn:1: syntax error: <name> or '...' expected near 'end' (entry app:dyn)" });
    expect(r.dup.err).toEqual({ kind: 'Invalid', message: 'create: entry app:dyn already exists', retryable: false });
    expect(r.empty).toEqual({ kind: 'Invalid', message: 'no changes to apply', retryable: false });
    expect(r.shape).toEqual({ kind: 'Invalid', message: 'entry must have a valid id field', retryable: false });
    expect(r.restore).toEqual([true]);
    expect(r.history).toEqual({ ids: [0, 1, 2, 3], first_prev: true, first_next: 1, str: 'History{versions=4}', vstr: 'Version{id=0}' });
    expect(r.current).toBe(0);
    expect(r.at).toEqual([true, 1, true]);
    expect(r.old_snapshot).toMatch(/v1:/); // an old version keeps its entries
    // the runtime's registry is the restored one: a later process sees no app:dyn
    expect(runtime.registry.get('app:dyn')).toBeUndefined();
  });

  test('applied changes and rollbacks are published on the event bus (system "registry"), one event per entry', async () => {
    const r = await step('registry_events');
    const e = (kind: string, version: number) => ({ system: 'registry', kind, path: 'app:evt', version, entry_kind: 'function.lua' });
    expect(Object.values(r)).toEqual([e('entry.create', 1), e('entry.update', 2), e('entry.delete', 0)]);
  });

  test('entries too deep or too big once written out are refused, so nobody\'s find() can be broken', async () => {
    const r = await step('registry_attacks');
    expect(r.deep).toEqual({ kind: 'Invalid', message: 'entry nested more than 1000 levels deep', retryable: false });
    expect(r.dag).toEqual({ kind: 'Invalid', message: 'entry has more than 100000 values once shared parts are written out', retryable: false });
    expect(r.cyclic_version).toBe(1); // the first change set after v0
    expect(r.cyclic_data).toEqual({ name: 'loop', self: '<cycle>' });
    expect(r.all).toBe(21);
  });

  test('build_delta lists the creates, updates and deletes between two entry lists', async () => {
    expect(Object.values(await step('delta'))).toEqual(['entry.update a:x', 'entry.create a:z', 'entry.delete a:y']);
  });
});
