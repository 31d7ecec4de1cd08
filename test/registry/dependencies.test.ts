import { RegistryError, loadProject, startLevels, stopLevels } from '../../src/registry';
import { LOCK, fixture, removeTempProjects, tempProject } from './helpers';

afterAll(removeTempProjects);

describe('startLevels', () => {
  it('orders db <- cache <- api after their hosts, one level per dependency depth', () => {
    const registry = loadProject(fixture('deps'));
    expect(startLevels(registry)).toEqual([
      ['app:processes', 'app:terminal'],
      ['app:db', 'app:metrics'],
      ['app:cache'],
      ['app:api'],
    ]);
  });

  it('stops in the reverse order', () => {
    const registry = loadProject(fixture('deps'));
    expect(stopLevels(registry)).toEqual([
      ['app:api'],
      ['app:cache'],
      ['app:db', 'app:metrics'],
      ['app:processes', 'app:terminal'],
    ]);
  });

  it('leaves out non-service entries and handles an empty registry', () => {
    expect(startLevels(loadProject(fixture('no-lock')))).toEqual([]);
    const levels = startLevels(loadProject(fixture('layout'))).flat();
    expect(levels).toEqual(['app:terminal', 'app:processes', 'app:db', 'app.lib:worker-service']);
  });

  it('rejects a cycle, naming only the entries in it', () => {
    const registry = loadProject(fixture('cycle'));
    let error: unknown;
    try {
      startLevels(registry);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).message).toBe('dependency cycle: app:b -> app:c -> app:b');
    expect((error as RegistryError).entry).toBe('app:b');
    expect((error as RegistryError).file).toBe(registry.get('app:b')?.file);
  });

  it('rejects a service that requires itself', () => {
    const dir = tempProject({
      'wippy.lock': LOCK,
      'src/_index.yaml': 'namespace: app\nname: processes\nkind: process.host\nlifecycle: {requires: [processes]}\n',
    });
    expect(() => startLevels(loadProject(dir))).toThrow(
      new RegistryError('dependency cycle: app:processes -> app:processes'),
    );
  });
});
