import * as fs from 'fs';
import * as path from 'path';
import { RegistryError, loadProject } from '../../src/registry';
import { LOCK, fixture, removeTempProjects, tempProject } from './helpers';

afterAll(removeTempProjects);

describe('project layout', () => {
  const dir = fixture('layout');
  const registry = loadProject(dir);

  it('loads .yaml, .yml and .json files recursively in walk order, skipping files without namespace', () => {
    expect(registry.entries().map((e) => [e.id, path.relative(dir, e.file)])).toEqual([
      ['app:terminal', 'src/_index.yaml'],
      ['app:processes', 'src/_index.yaml'],
      ['app:main', 'src/_index.yaml'],
      ['app:util', 'src/_index.yaml'],
      ['app.lib:worker-service', 'src/lib/deep/nested/svc.json'],
      ['app.lib:helpers', 'src/lib/helpers.yml'],
      ['app:db', 'src/single.yaml'],
      ['app:dbproc', 'src/single_proc.yaml'],
    ]);
    expect(registry.warnings).toEqual([]);
    expect(registry.size).toBe(8);
    expect(registry.srcDir).toBe(path.join(dir, 'src'));
  });

  it('reads single-entry files', () => {
    expect(registry.get('app:db')).toEqual({
      id: 'app:db',
      namespace: 'app',
      name: 'db',
      kind: 'process.service',
      meta: { role: 'storage' },
      file: path.join(dir, 'src/single.yaml'),
      process: 'app:dbproc',
      host: 'app:processes',
      input: [],
      lifecycle: expect.objectContaining({ autoStart: false, requires: [] }),
    });
  });

  it('merges file-level meta under entry meta', () => {
    expect(registry.get('app:main')?.meta).toEqual({
      owner: 'team-a',
      tier: 'edge',
      command: { name: 'greet', short: 'Say hello' },
    });
    expect(registry.get('app:terminal')?.meta).toEqual({ owner: 'team-a', tier: 'core' });
  });

  it('qualifies imports and reads file:// relative to the defining file', () => {
    const main = registry.get('app:main');
    expect(main).toMatchObject({
      kind: 'process.lua',
      method: 'run',
      modules: ['io', 'time'],
      imports: { helpers: 'app.lib:helpers', local_util: 'app:util' },
      sourcePath: path.join(dir, 'src/main.lua'),
    });
    const helpers = registry.get('app.lib:helpers');
    expect(helpers).toMatchObject({ kind: 'library.lua', modules: [], imports: {} });
    expect(helpers?.kind === 'library.lua' && helpers.source).toEqual(
      fs.readFileSync(path.join(dir, 'src/lib/helpers.lua')),
    );
  });

  it('accepts an explicit data: mapping', () => {
    const util = registry.get('app:util');
    expect(util).toMatchObject({ kind: 'library.lua', source: Buffer.from('return {}'), modules: ['json'] });
    expect(util).not.toHaveProperty('sourcePath');
  });

  it('merges depends_on into requires, normalised and without duplicates', () => {
    const svc = registry.get('app.lib:worker-service');
    if (svc?.kind !== 'process.service') throw new Error('not a service');
    expect(svc.lifecycle.requires).toEqual(['app:db', 'app:processes']);
    expect(svc.lifecycle.autoStart).toBe(true);
    expect(svc.input).toEqual(['a', 2, { k: true }]);
  });

  it('reads host settings and converts lifecycle durations to milliseconds', () => {
    const [terminal] = registry.byKind('terminal.host');
    expect(terminal.hideLogs).toBe(true);
    const [host] = registry.byKind('process.host');
    expect(host).toMatchObject({ workers: 4, queueSize: 64, localQueueSize: 256 });
    expect(host.lifecycle).toEqual({
      autoStart: true,
      requires: [],
      startup: 'required',
      startTimeoutMs: 90_000,
      stopTimeoutMs: 1_500,
      stableThresholdMs: 500,
      restart: { initialDelayMs: 250, maxDelayMs: 30_000, backoffFactor: 1.5, jitter: 0, maxAttempts: 3 },
    });
  });

  it('byKind and get agree with entries()', () => {
    expect(registry.byKind('process.lua').map((e) => e.id)).toEqual(['app:main', 'app:dbproc']);
    expect(registry.has('app:main')).toBe(true);
    expect(registry.get('app:nope')).toBeUndefined();
  });
});

describe('loader details', () => {
  it('uses directories.src from the lock file', () => {
    const registry = loadProject(fixture('custom-src'));
    expect(registry.entries().map((e) => path.relative(fixture('custom-src'), e.file))).toEqual(['app/_index.yaml']);
  });

  it('skips node_modules directories', () => {
    const dir = tempProject({
      'wippy.lock': LOCK,
      'src/_index.yaml': 'namespace: app\nname: processes\nkind: process.host\n',
      'src/node_modules/pkg/_index.yaml': 'namespace: app\nname: processes\nkind: nonsense\n',
    });
    const registry = loadProject(dir);
    expect(registry.entries().map((e) => e.id)).toEqual(['app:processes']);
    expect(registry.warnings).toEqual([]);
  });

  describe("test directories Wippy's loader leaves out by environment", () => {
    const entry = (name: string): string => `namespace: app\nname: ${name}\nkind: process.host\n`;
    const dir = tempProject({
      'wippy.lock': LOCK,
      'src/_index.yaml': entry('root'),
      'src/test/temporal/_index.yaml': entry('temporal'),
      'src/test/temporal/deep/_index.yaml': entry('temporal_deep'),
      'src/test/_temporal/_index.yaml': entry('underscore_temporal'),
      'src/test/cloudstorage/_index.yaml': entry('cloudstorage'),
      'src/test/sqs/_index.yaml': entry('sqs'),
      'src/test/awssqs/_index.yaml': entry('awssqs'),
      'src/test/network/_index.yaml': entry('network'),
      'src/test/network_x/_index.yaml': entry('network_x'),
      'src/test/sql/_index.yaml': entry('sql'),
      'src/test/extra/_index.yaml': entry('extra'),
      'src/temporal.yaml': entry('temporal_file'),
    });
    const loaded = (env: Record<string, string>): string[] => loadProject(dir, [], { env }).entries().map((e) => e.name).sort();
    const all = ['awssqs', 'cloudstorage', 'extra', 'network', 'network_x', 'root', 'sql', 'sqs', 'temporal', 'temporal_deep', 'temporal_file', 'underscore_temporal'];

    it('loads everything without the variables, or with them empty', () => {
      expect(loaded({})).toEqual(all);
      expect(loaded({ SKIP_TEMPORAL_TESTS: '', SKIP_TEST_DIRS: ' , ' })).toEqual(all);
    });

    it('SKIP_TEMPORAL_TESTS leaves out temporal and _temporal directories (not a file named temporal.yaml)', () => {
      expect(loaded({ SKIP_TEMPORAL_TESTS: '1' })).toEqual(all.filter((n) => !['temporal', 'temporal_deep', 'underscore_temporal'].includes(n)));
    });

    it("each variable its directory; like Wippy's substring test, a directory ending in the name goes too", () => {
      expect(loaded({ SKIP_CLOUDSTORAGE_TESTS: 'true' })).toEqual(all.filter((n) => n !== 'cloudstorage'));
      expect(loaded({ SKIP_SQS_TESTS: '1' })).toEqual(all.filter((n) => n !== 'sqs' && n !== 'awssqs'));
      expect(loaded({ SKIP_NETWORK_TESTS: '0' })).toEqual(all.filter((n) => n !== 'network'));
    });

    it("Wippy's CI environment together, and SKIP_TEST_DIRS names (comma-separated, trimmed, a path too)", () => {
      const ci = { SKIP_NETWORK_TESTS: '1', SKIP_SQS_TESTS: '1', SKIP_TEMPORAL_TESTS: '1', SKIP_CLOUDSTORAGE_TESTS: '1' };
      expect(loaded(ci)).toEqual(['extra', 'network_x', 'root', 'sql', 'temporal_file']);
      expect(loaded({ SKIP_TEST_DIRS: ' extra , test/sql' })).toEqual(all.filter((n) => n !== 'extra' && n !== 'sql'));
    });
  });

  it('interpolates file:// anywhere in entry data (not meta); file:///p is p in the source directory, as in Wippy', () => {
    const dir = tempProject({
      'wippy.lock': LOCK,
      'shared/payload.txt': 'shared payload',
      'src/svc/_index.yaml': [
        'namespace: app',
        'meta: {doc: "file://nothing.md"}',
        'entries:',
        '  - {name: processes, kind: process.host}',
        '  - {name: empty, kind: process.lua, source: "file://empty.lua", method: main}',
        '  - name: svc',
        '    kind: process.service',
        '    process: empty',
        '    host: processes',
        '    input: ["file://../../shared/payload.txt", {deep: ["file:///abs.txt"]}, "plain file:// text"]',
      ].join('\n'),
      'src/svc/empty.lua': '',
      'src/abs.txt': 'rooted at src',
    });
    const registry = loadProject(dir);
    expect(registry.get('app:svc')).toMatchObject({
      input: ['shared payload', { deep: ['rooted at src'] }, 'plain file:// text'],
      meta: { doc: 'file://nothing.md' },
    });
    expect(registry.get('app:empty')).toMatchObject({ source: Buffer.alloc(0), sourcePath: path.join(dir, 'src/svc/empty.lua') });
  });

  it('reports a file whose top level is not usable, and a non-list entries field', () => {
    const dir = tempProject({ 'wippy.lock': LOCK, 'src/a.yaml': 'namespace: app\nentries: {name: x}\n' });
    expect(() => loadProject(dir)).toThrow(
      new RegistryError('src/a.yaml: field "entries" must be a list, got mapping'),
    );
    const dir2 = tempProject({ 'wippy.lock': LOCK, 'src/a.json': '{"namespace": "a:b", "entries": []}' });
    expect(() => loadProject(dir2)).toThrow(
      'src/a.json: invalid namespace "a:b": it must not contain ":", which separates the namespace from the name in an id',
    );
  });

  it('reports JSON syntax errors with a line number', () => {
    const dir = tempProject({ 'wippy.lock': LOCK, 'src/a.json': '{\n  "namespace": "app",\n  "entries": [\n}\n' });
    expect(() => loadProject(dir)).toThrow(/^src\/a\.json:4: /);
  });

  it('reports a bad lock file with its line', () => {
    const dir = tempProject({ 'wippy.lock': 'directories:\n  src: [\n' });
    expect(() => loadProject(dir)).toThrow(/^wippy\.lock:3: unexpected end of the stream within a flow collection$/);
  });
});
