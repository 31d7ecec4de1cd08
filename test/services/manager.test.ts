/**
 * The services of service kinds: kinds defined outside the core parse with one-line errors, supervised ones
 * start in dependency order with hosts and process services, failures restart after the backoff, registry
 * changes reach them, shutdown stops them in reverse order, and resources.get answers with the right errors.
 */
import { mkdtempSync, mkdirSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { loadProject, KindTable, kindDefinition, serviceBase, RegistryError, type ServiceEntry } from '../../src/registry';
import { Runtime } from '../../src/hosts/runtime';
import { serviceDefinition } from '../../src/services/service';
import { ErrorValue } from '../../src/kernel/value';
import type { LogRecord, LogSink } from '../../src/api/logging';
import { until } from '../helpers/poll';

interface Counter {
  readonly name: string;
  count(): number;
}

declare module '../../src/api/resources' {
  interface Facets {
    counter: Counter;
  }
}

interface CounterEntry extends ServiceEntry {
  kind: 'config.counter';
  start: number;
  failFirst: number;
}

const kinds = new KindTable([
  kindDefinition<CounterEntry>({
    kinds: ['config.counter'],
    parse: (f, base) => ({
      ...serviceBase(f, base, f.has('lifecycle'), f.has('after') ? [{ field: 'after', id: f.requiredString('after') }] : []),
      kind: 'config.counter',
      start: f.integer('start', 0, 0),
      failFirst: f.integer('fail_first', 0, 0),
    }),
  }),
]);

function project(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'wisp-services-'));
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'wippy.lock'), 'directories:\n  src: ./src\n');
  writeFileSync(join(dir, 'src', '_index.yaml'), yaml);
  writeFileSync(join(dir, 'src', 'svc.lua'), 'return { main = function() process.events():receive() return 0 end }\n');
  return dir;
}

function recorder(): LogSink & { records: LogRecord[] } {
  const records: LogRecord[] = [];
  return { records, enabled: () => true, write: (r) => records.push(r) };
}

/** A counter service that records when it starts and stops, and fails its first `failFirst` starts. */
function counters(events: string[]) {
  const attempts = new Map<string, number>();
  return serviceDefinition<CounterEntry>({
    kinds: ['config.counter'],
    start: async (entry, ctx) => {
      const n = (attempts.get(entry.id) ?? 0) + 1;
      attempts.set(entry.id, n);
      await new Promise((r) => setTimeout(r, 5));
      if (n <= entry.failFirst) throw new Error(`${entry.name} refused start ${n}`);
      events.push(`start ${entry.name}`);
      let value = entry.start;
      return {
        facets: { counter: { name: entry.name, count: () => value++ } },
        registryChanged: (_registry, changed) => {
          value = (changed as CounterEntry).start;
          events.push(`follow ${entry.name} ${value}`);
          ctx.log('info', 'followed');
        },
        stop: async () => void events.push(`stop ${entry.name}`),
      };
    },
  });
}


describe('service kinds', () => {
  test('a defined kind parses with one-line errors naming file and entry; an undefined one is skipped', () => {
    const bad = project('version: "1.0"\nnamespace: t\nentries:\n  - name: c\n    kind: config.counter\n    start: -1\n');
    expect(() => loadProject(bad, [], { kinds })).toThrow(RegistryError);
    expect(() => loadProject(bad, [], { kinds })).toThrow(/src\/_index\.yaml:\d+: entry t:c: field "start" must be a non-negative integer, got number -1/);
    const missing = project('version: "1.0"\nnamespace: t\nentries:\n  - name: c\n    kind: config.counter\n    after: nowhere\n');
    expect(() => loadProject(missing, [], { kinds })).toThrow(/entry t:c: field "after": entry "t:nowhere" not found/);
    const unknown = loadProject(bad); // the default table does not define config.counter
    expect(unknown.get('t:c')).toBeUndefined();
    expect(unknown.warnings.join('\n')).toMatch(/unknown kind "config.counter", entry skipped/);
  });

  test('supervised services start after what they name and before what needs them; shutdown reverses it', async () => {
    const events: string[] = [];
    const dir = project(`version: "1.0"
namespace: t
entries:
  - name: plain
    kind: config.counter
    start: 40
  - name: second
    kind: config.counter
    after: first
    lifecycle: { auto_start: true }
  - name: first
    kind: config.counter
    start: 7
    lifecycle: { auto_start: true }
  - name: idle
    kind: config.counter
    lifecycle: { auto_start: false }
  - name: processes
    kind: process.host
    lifecycle: { auto_start: true }
  - name: svc
    kind: process.lua
    source: file://svc.lua
    method: main
  - name: svc-service
    kind: process.service
    process: t:svc
    host: t:processes
    lifecycle: { auto_start: true, depends_on: [t:second] }
`);
    const rt = new Runtime(loadProject(dir, [], { kinds }), { logs: recorder(), terminal: null, services: [counters(events)] });
    await rt.boot();
    expect(events).toEqual(['start plain', 'start first', 'start second']);
    expect(rt.services.get('t:svc-service')?.state).toBe('Running');
    const first = rt.native.get('t:first', 'counter');
    expect(first).not.toBeInstanceOf(ErrorValue);
    expect((first as Counter).count()).toBe(7);
    expect((first as Counter).count()).toBe(8);
    const idle = rt.native.get('t:idle', 'counter') as ErrorValue;
    expect([idle.kind, idle.message]).toEqual(['Unavailable', 'resource t:idle is not running (not started)']);
    const none = rt.native.get('t:nope', 'counter') as ErrorValue;
    expect([none.kind, none.message]).toEqual(['NotFound', 'resource not found: t:nope']);
    const wrong = rt.native.get('t:svc', 'counter') as ErrorValue;
    expect([wrong.kind, wrong.message]).toEqual(['Invalid', 'resource t:svc is a process.lua, not a counter resource']);
    expect(rt.snapshot().services.find((s) => s.id === 't:first')).toMatchObject({ state: 'Running', process: 'config.counter', restarts: 0 });
    await rt.shutdown();
    expect(events.slice(3)).toEqual(['stop second', 'stop first', 'stop plain']);
  });

  test('a service that fails to start is restarted after its backoff; a required dependant waits for nothing', async () => {
    const events: string[] = [];
    const logs = recorder();
    const dir = project(`version: "1.0"
namespace: t
entries:
  - name: flaky
    kind: config.counter
    fail_first: 2
    lifecycle: { auto_start: true, restart: { initial_delay: 50ms, max_delay: 100ms, jitter: 0 } }
  - name: after
    kind: config.counter
    after: flaky
    lifecycle: { auto_start: true }
`);
    const rt = new Runtime(loadProject(dir, [], { kinds }), { logs, terminal: null, services: [counters(events)] });
    await rt.boot();
    expect(rt.native.services.get('t:flaky')?.state).toBe('Failed');
    expect(rt.native.services.has('t:after')).toBe(false);
    expect(logs.records.some((r) => r.message === 'service not started: a required dependency failed' && r.fields.service === 't:after')).toBe(true);
    await until(() => rt.native.services.get('t:flaky')?.state === 'Running');
    const flaky = rt.native.services.get('t:flaky');
    expect(flaky?.restarts).toBe(2);
    expect(flaky?.lastError?.message).toBe('flaky refused start 2');
    const failures = logs.records.filter((r) => r.message === 'service failed' && r.fields.service === 't:flaky');
    expect(failures.map((r) => [r.level, r.fields.error, r.fields.next_delay_ms])).toEqual([
      ['error', 'flaky refused start 1', 50],
      ['error', 'flaky refused start 2', 100],
    ]);
    await rt.shutdown();
  });

  test('a service that failed for good starts again when its entry changes', async () => {
    const events: string[] = [];
    const dir = project(`version: "1.0"
namespace: t
entries:
  - name: broken
    kind: config.counter
    fail_first: 100
    lifecycle: { auto_start: true, restart: { max_attempts: 1 } }
`);
    const rt = new Runtime(loadProject(dir, [], { kinds }), { logs: recorder(), terminal: null, services: [counters(events)] });
    await rt.boot();
    const service = rt.native.services.get('t:broken');
    expect([service?.state, service?.retry]).toEqual(['Failed', null]);
    const lifecycle = { auto_start: true, restart: { max_attempts: 1 } };
    rt.store.apply([{ kind: 'entry.update', record: { id: 't:broken', kind: 'config.counter', meta: {}, data: { fail_first: 0, start: 7, lifecycle } } }]);
    await until(() => rt.native.services.get('t:broken')?.state === 'Running');
    expect(events).toEqual(['start broken']);
    expect((rt.native.get('t:broken', 'counter') as Counter).count()).toBe(7);
    await rt.shutdown();
  });

  test('registry changes reach running services: updates are followed, deletes stop, creates start', async () => {
    const events: string[] = [];
    const dir = project('version: "1.0"\nnamespace: t\nentries:\n  - name: a\n    kind: config.counter\n    start: 1\n');
    const rt = new Runtime(loadProject(dir, [], { kinds }), { logs: recorder(), terminal: null, services: [counters(events)] });
    await rt.boot();
    const record = (name: string, start: number) => ({ id: `t:${name}`, kind: 'config.counter', meta: {}, data: { start } });
    rt.store.apply([{ kind: 'entry.update', record: record('a', 5) }, { kind: 'entry.create', record: record('b', 9) }]);
    await until(() => events.includes('start b'));
    expect(events).toEqual(['start a', 'follow a 5', 'start b']);
    expect((rt.native.get('t:a', 'counter') as Counter).count()).toBe(5);
    expect(() => rt.store.apply([{ kind: 'entry.update', record: { ...record('a', 1), data: { start: 'x' } } }])).toThrow(/field "start" must be a non-negative integer/);
    rt.store.apply([{ kind: 'entry.delete', record: record('a', 0) }]);
    await until(() => events.includes('stop a'));
    const gone = rt.native.get('t:a', 'counter') as ErrorValue;
    expect(gone.kind).toBe('NotFound');
    await rt.shutdown();
    expect(events.at(-1)).toBe('stop b');
  });
});
