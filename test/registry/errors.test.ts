import * as path from 'path';
import { KIND_DEFINITIONS, RegistryError, loadProject } from '../../src/registry';
import { fixture, loadError, tempProject } from './helpers';

const INDEX = 'src/_index.yaml';
const KIND_NAMES =
  'terminal.host, process.host, process.lua, function.lua, library.lua, process.service, ' +
  'env.storage.memory, env.storage.os, env.storage.router, env.storage.file, env.storage.static, env.variable' +
  [...KIND_DEFINITIONS.flatMap((d) => d.kinds)].map((k) => `, ${k}`).join('');

/** fixture → [exact message, entry id named by the error (undefined when none)] */
const ERRORS: Record<string, [string, string | undefined]> = {
  'err-missing-source': [`${INDEX}:9: entry app:relay: missing required field "source"`, 'app:relay'],
  'err-missing-method': [`${INDEX}:5: entry app:relay: missing required field "method"`, 'app:relay'],
  'err-missing-kind': [`${INDEX}:9: entry app:relay: missing required field "kind"`, 'app:relay'],
  'err-missing-name': [`${INDEX}: entries[1]: missing required field "name"`, undefined],
  'err-wrong-type': [
    `${INDEX}:9: entry app:relay: field "modules" must be a list of strings, got string "process"`,
    'app:relay',
  ],
  'err-wrong-type-bool': [
    `${INDEX}:5: entry app:processes: field "lifecycle.auto_start" must be true or false, got string "yes"`,
    'app:processes',
  ],
  'err-bad-startup': [
    `${INDEX}:5: entry app:processes: field "lifecycle.startup" must be "required" or "optional", got string "sometimes"`,
    'app:processes',
  ],
  'err-bad-duration': [
    `${INDEX}:5: entry app:processes: field "lifecycle.restart.initial_delay": time: unknown unit " seconds" in duration "10 seconds"`,
    'app:processes',
  ],
  'err-file-missing': [
    `${INDEX}:5: entry app:relay: field "source": cannot read file://scripts/relay.lua (src/scripts/relay.lua): no such file or directory`,
    'app:relay',
  ],
  'err-path-traversal': [
    `${INDEX}:5: entry app:relay: field "source": file://../../outside.lua escapes the project root (path traversal)`,
    'app:relay',
  ],
  'err-duplicate-id': [
    'src/more/extra.yaml:3: entry app:processes: duplicate id, already defined in src/_index.yaml',
    'app:processes',
  ],
  'err-unknown-process': [
    `${INDEX}:9: entry app:relay-service: field "process": entry "app:relay" not found`,
    'app:relay-service',
  ],
  'err-unknown-host': [
    `${INDEX}:9: entry app:relay-service: field "host": entry "app:workers" not found`,
    'app:relay-service',
  ],
  'err-unknown-import': [
    `${INDEX}:5: entry app:relay: field "imports.helpers": entry "app.lib:helpers" not found`,
    'app:relay',
  ],
  'err-unknown-requires': [
    `${INDEX}:5: entry app:processes: field "lifecycle.requires": entry "app:db" not found`,
    'app:processes',
  ],
  'err-requires-skipped': [
    `${INDEX}:7: entry app:processes: field "lifecycle.requires": entry "app:gateway" was left out: ${INDEX}:5: entry app:gateway: unknown kind "temporal.worker", entry skipped (supported: ${KIND_NAMES})`,
    'app:processes',
  ],
  'err-requires-not-service': [
    `${INDEX}:9: entry app:processes: field "lifecycle.requires": entry "app:relay" is a process.lua, expected a terminal.host, process.host or process.service`,
    'app:processes',
  ],
  'err-import-not-lua': [
    `${INDEX}:7: entry app:other: field "imports.r": entry "app:relay" is a process.host, expected a library.lua, function.lua or process.lua`,
    'app:other',
  ],
  'err-process-not-lua': [
    `${INDEX}:9: entry app:relay-service: field "process": entry "app:processes" is a process.host, expected a process.lua`,
    'app:relay-service',
  ],
  'err-host-not-host': [
    `${INDEX}:9: entry app:relay-service: field "host": entry "app:relay" is a process.lua, expected a terminal.host or process.host`,
    'app:relay-service',
  ],
  'err-control-host': [
    `${INDEX}:9: entry app:relay-service: field "host": services cannot run on "node:control", the supervisor's own host`,
    'app:relay-service',
  ],
  'missing-src': ['wippy.lock: source directory "./nowhere" not found', undefined],
};

describe('load errors: one line naming the file and the entry', () => {
  it.each(Object.entries(ERRORS))('%s', (name, [message, entry]) => {
    const err = loadError(name);
    expect(err.message).toBe(message);
    expect(err.message).not.toContain('\n');
    expect(err.entry).toBe(entry);
    expect(err.file && path.isAbsolute(err.file)).toBe(true);
    expect(err.line).toBe(/^[^:]+:(\d+): entry /.exec(message)?.[1] !== undefined ? Number(/^[^:]+:(\d+): /.exec(message)![1]) : undefined);
  });

  it('reports a YAML syntax error with its line and the parser reason', () => {
    const err = loadError('err-yaml-syntax');
    expect(err.message).toBe('src/_index.yaml:11: bad indentation of a sequence entry');
    expect(err).toBeInstanceOf(RegistryError);
    expect(err.name).toBe('RegistryError');
    expect(err.line).toBe(11);
    expect(err.file).toBe(path.join(fixture('err-yaml-syntax'), 'src/_index.yaml'));
  });
});

describe('load warnings: the entry is kept or skipped, loading goes on', () => {
  it('skips an entry of unknown kind with a warning', () => {
    const registry = loadProject(fixture('warn-unknown-kind'));
    expect(registry.entries().map((e) => e.id)).toEqual(['app:processes']);
    expect(registry.get('app:gateway')).toBeUndefined();
    expect(registry.warnings).toEqual([
      `src/_index.yaml:9: entry app:gateway: unknown kind "temporal.worker", entry skipped (supported: ${KIND_NAMES})`,
    ]);
  });

  it('a registry.entry (Wippy\'s data-only kind) loads without a warning and stays a record for the registry module', () => {
    const dir = tempProject({
      'wippy.lock': 'directories:\n  src: ./src\n',
      'src/_index.yaml': 'version: "1.0"\nnamespace: app\nentries:\n  - name: product.pen\n    kind: registry.entry\n    meta: {type: product}\n    sku: PEN-1\n  - name: processes\n    kind: process.host\n',
    });
    const registry = loadProject(dir);
    expect(registry.warnings).toEqual([]);
    expect(registry.entries().map((e) => e.id)).toEqual(['app:processes']);
    expect(registry.records().find((r) => r.id === 'app:product.pen')).toMatchObject({ kind: 'registry.entry', meta: { type: 'product' }, data: { sku: 'PEN-1' } });
  });

  it('warns that lifecycle on a process.lua has no effect and points at process.service', () => {
    const registry = loadProject(fixture('warn-lifecycle-on-process'));
    expect(registry.get('app:worker')?.kind).toBe('process.lua');
    expect(registry.get('app:worker')).not.toHaveProperty('lifecycle');
    expect(registry.warnings).toEqual([
      'src/_index.yaml:9: entry app:worker: "lifecycle" has no effect on a process.lua entry; ' +
        'define a process.service with "process: app:worker" to run it as a service',
    ]);
  });

  it('warns about unknown lifecycle fields and bare-number (nanosecond) durations', () => {
    const registry = loadProject(fixture('warn-unknown-lifecycle-field'));
    const host = registry.byKind('process.host')[0];
    expect(host.lifecycle.autoStart).toBe(false);
    expect(host.lifecycle.startTimeoutMs).toBe(5e-6);
    expect(registry.warnings).toEqual([
      'src/_index.yaml:5: entry app:processes: unknown field "lifecycle.auto_strat" ignored',
      'src/_index.yaml:5: entry app:processes: field "lifecycle.start_timeout": the bare number 5 is read ' +
        'as nanoseconds, as Wippy does; write a duration such as "5s" if that was meant',
    ]);
  });

  it('starts with an empty registry and a warning when there is no wippy.lock', () => {
    const dir = fixture('no-lock');
    const registry = loadProject(dir);
    expect(registry.entries()).toEqual([]);
    expect(registry.warnings).toEqual([`no wippy.lock found in ${dir}, starting with an empty registry`]);
  });

  it('warns that hub modules listed in the lock file are not loaded', () => {
    const registry = loadProject(fixture('lock-modules'));
    expect(registry.entries().map((e) => e.id)).toEqual(['app:processes']);
    expect(registry.warnings).toEqual([
      'wippy.lock: 1 hub module(s) listed under "modules" are not supported and were not loaded',
    ]);
  });
});
