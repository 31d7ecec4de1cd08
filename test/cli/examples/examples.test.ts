/**
 * Our own versions of three of Wippy's example apps (pipeline, env variables, mass spawn), run with the real
 * `wisp` command as a user runs them. The fixtures are ours (fixtures/examples/); wippy-examples.test.ts runs
 * Wippy's originals when a copy of their repository is at hand.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { ROOT, logged, projectCopy, startWisp, wisp } from '../../helpers/cli';
import { until } from '../../helpers/poll';

const FIXTURES = join(ROOT, 'fixtures', 'examples');

/** This process's environment without the names a fixture reads, plus `extra`. */
function envWith(extra: Record<string, string>, drop: string[]): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of drop) delete env[name];
  return { ...env, ...extra };
}


describe('example: a pipeline of four processes', () => {
  test('orders flow parse -> price -> serialize (JSON) -> tally and the summary comes back', async () => {
    const dir = projectCopy(join(FIXTURES, 'pipeline'));
    const r = await wisp(['run', '-x', 'app:orders'], { cwd: dir, timeoutMs: 30000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').slice(8)).toEqual([
      'orders: 6, units: 48, rejected: 1',
      'revenue: 71.50',
      '  gadget: 14',
      '  sprocket: 10',
      '  widget: 24',
      '  bulk orders: 3',
      '  retail orders: 3',
      'by size as JSON: [3,3]',
      'json bytes on the way: 379',
      'all 4 stages exited',
      '',
    ]);
  });
});

describe('example: layered environment variables', () => {
  const NAMES = ['SERVICE_NAME', 'LISTEN_PORT', 'LOG_LEVEL', 'RELEASE', 'TOKEN', 'SHELL_ONLY', 'OVERRIDE_ME', 'HOST_NAME'];

  test('reads go memory -> file -> OS, writes go to memory, read-only refuses, the file is untouched', async () => {
    const dir = projectCopy(join(FIXTURES, 'env-config'));
    const before = readFileSync(join(dir, 'settings.env'), 'utf8');
    const env = envWith({ SHELL_ONLY: 'from-shell', OVERRIDE_ME: 'from-shell' }, NAMES);
    const r = await wisp(['run', '-x', 'app:show'], { cwd: dir, env, timeoutMs: 30000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        '-- read through memory -> file -> os',
        'SERVICE_NAME = Inventory Service',
        'LISTEN_PORT  = 9000',
        'LOG_LEVEL    = warn',
        'RELEASE      = 2.4.1',
        'SHELL_ONLY   = from-shell',
        'OVERRIDE_ME  = from-file',
        'HOST_NAME    = localhost',
        'TOKEN        ! get environment variable failed: environment variable not found (NotFound)',
        '-- writes',
        'set LOG_LEVEL: true',
        'LOG_LEVEL    = debug',
        'another process reads LOG_LEVEL = debug',
        'set RELEASE: PermissionDenied: set environment variable failed: environment variable is read-only',
        'set HOST_NAME: PermissionDenied: set environment variable failed: storage is read-only',
        '-- get_all (declared names only shown)',
        '  SERVICE_NAME = Inventory Service',
        '  LISTEN_PORT = nil',
        '  LOG_LEVEL = debug',
        '  RELEASE = 2.4.1',
        '  SHELL_ONLY = from-shell',
        '  OVERRIDE_ME = from-file',
        '  HOST_NAME = nil',
        '',
      ].join('\n'),
    );
    expect(readFileSync(join(dir, 'settings.env'), 'utf8')).toBe(before);
  });

  test('the memory layer lasts one run; without the shell variable its default shows; the OS layer is read on start', async () => {
    const dir = projectCopy(join(FIXTURES, 'env-config'));
    const env = envWith({ HOST_NAME: 'box-7' }, NAMES);
    for (let run = 0; run < 2; run++) {
      const r = await wisp(['run', '-x', 'app:show'], { cwd: dir, env, timeoutMs: 30000 });
      expect(r.code).toBe(0);
      const lines = r.stdout.split('\n');
      expect(lines[3]).toBe('LOG_LEVEL    = warn');
      expect(lines[5]).toBe('SHELL_ONLY   = unset');
      expect(lines[7]).toBe('HOST_NAME    = box-7');
      expect(lines[22]).toBe('  HOST_NAME = box-7');
    }
  });
});

describe('example: mass spawn', () => {
  test('2000 ticking workers under a supervised service: all spawned, all heard, none failed, Ctrl+C stops it', async () => {
    const dir = projectCopy(join(FIXTURES, 'mass-spawn'));
    // ~700 beats a second: enough to keep every worker busy, little enough for a shared 2-core machine
    const env = envWith({ FLEET_SIZE: '2000', BEAT_MIN: '2s', BEAT_MAX: '4s', REPORT_EVERY: '1s' }, []);
    const app = startWisp(['run'], dir, env);
    const reports = (): Record<string, number>[] => logged(app.err(), 'report') as Record<string, number>[];
    try {
      // generous: 2000 VMs take a while to start on a busy core
      await until('a report that has heard every worker', () => reports().some((r) => r.members_heard === 2000), 90000, app.err);
      const up = logged(app.err(), 'fleet up');
      expect(up).toHaveLength(1);
      expect(up[0].size).toBe(2000);
      const last = reports().at(-1) as Record<string, number>;
      expect(last).toMatchObject({ alive: 2000, failed: 0, members_heard: 2000 });
      expect(last.beats).toBeGreaterThanOrEqual(2000);
      app.child.kill('SIGINT');
      expect(await app.exited).toBe(0);
      const down = logged(app.err(), 'fleet down');
      expect(down).toHaveLength(1);
      expect(down[0]).toMatchObject({ alive: 2000, failed: 0, members_heard: 2000 });
      expect(down[0].beats as number).toBeGreaterThanOrEqual(last.beats);
    } finally {
      if (app.running()) app.child.kill('SIGKILL');
    }
  }, 150000);
});
