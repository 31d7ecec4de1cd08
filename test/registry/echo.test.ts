import * as fs from 'fs';
import * as path from 'path';
import { Lifecycle, loadProject, startLevels } from '../../src/registry';

/** The tutorial project itself (lua/echo-service holds its files byte for byte). */
const ECHO = path.join(__dirname, '..', '..', 'lua', 'echo-service');

describe('the echo tutorial project', () => {
  const registry = loadProject(ECHO);

  it('loads the six entries in file order with their kinds', () => {
    expect(registry.entries().map((e) => [e.id, e.kind])).toEqual([
      ['app:terminal', 'terminal.host'],
      ['app:processes', 'process.host'],
      ['app:cli', 'process.lua'],
      ['app:relay', 'process.lua'],
      ['app:relay-service', 'process.service'],
      ['app:worker', 'process.lua'],
    ]);
    expect(registry.warnings).toEqual([]);
    expect(registry.root).toBe(ECHO);
    for (const e of registry.entries()) {
      expect(e.file).toBe(path.join(ECHO, 'src/_index.yaml'));
      expect(e.namespace).toBe('app');
      expect(e.meta).toEqual({});
    }
  });

  it('replaces file:// sources with the .lua file contents', () => {
    for (const name of ['cli', 'relay', 'worker']) {
      const entry = registry.get(`app:${name}`);
      if (entry?.kind !== 'process.lua') throw new Error(`app:${name} is not a process.lua`);
      const file = path.join(ECHO, 'src', `${name}.lua`);
      expect(entry.source).toEqual(fs.readFileSync(file));
      expect(entry.sourcePath).toBe(file);
      expect(entry.method).toBe('main');
      expect(entry.imports).toEqual({});
    }
    const cli = registry.get('app:cli');
    expect(cli?.kind === 'process.lua' && cli.modules).toEqual(['io', 'process', 'time', 'channel']);
  });

  it('applies the lifecycle and host defaults', () => {
    const expected: Lifecycle = {
      autoStart: true,
      requires: [],
      startup: 'required',
      startTimeoutMs: 10_000,
      stopTimeoutMs: 10_000,
      stableThresholdMs: 5_000,
      restart: { initialDelayMs: 1_000, maxDelayMs: 90_000, backoffFactor: 2, jitter: 0.1, maxAttempts: 0 },
    };
    const [terminal] = registry.byKind('terminal.host');
    expect(terminal).toMatchObject({ id: 'app:terminal', hideLogs: false, lifecycle: expected });
    const [host] = registry.byKind('process.host');
    expect(host).toMatchObject({ queueSize: 1024, localQueueSize: 256, lifecycle: expected });
    expect(host.workers).toBeUndefined();
  });

  it('defines the relay service on app:processes', () => {
    expect(registry.get('app:relay-service')).toMatchObject({
      kind: 'process.service',
      process: 'app:relay',
      host: 'app:processes',
      input: [],
      lifecycle: { autoStart: true, requires: [] },
    });
  });

  it('starts the hosts before the relay service that depends on app:processes', () => {
    expect(startLevels(registry)).toEqual([['app:terminal', 'app:processes'], ['app:relay-service']]);
  });
});
