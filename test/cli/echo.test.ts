import { join } from 'path';
import { ECHO, projectCopy, ROOT, wisp } from '../helpers/cli';
import { pidPattern } from '../helpers/pid';

const PID = pidPattern('app:processes');
/** The tutorial's relay ignores CANCEL, so shutdown waits for its stop_timeout; these copies stop in 0.5 s. */
const quickStop = (yaml: string): string => yaml.replace('      auto_start: true\n\n  - name: worker', '      auto_start: true\n      stop_timeout: 500ms\n\n  - name: worker');

describe('the echo service tutorial, unmodified, through the wisp CLI', () => {
  test('several lines are echoed in upper case by worker processes, then Goodbye and exit 0', async () => {
    const r = await wisp(['run', '-x', 'app:terminal/app:cli'], { cwd: ECHO, input: 'hello world\nsecond line\nthird\n' });
    expect(r.code).toBe(0);
    const out = r.stdout.split('\n');
    expect(out[0]).toBe('Echo Client');
    expect(out[1]).toBe('Type messages to echo. Ctrl+C to exit.');
    expect(r.stdout).toContain('>   HELLO WORLD\n');
    expect(r.stdout).toMatch(new RegExp(`  from worker: ${PID.source}\\n> {3}SECOND LINE\\n`));
    expect(r.stdout).toContain('  THIRD\n');
    const workers = [...r.stdout.matchAll(/from worker: (\{[^}]+\})/g)].map((m) => m[1]);
    expect(new Set(workers).size).toBe(3); // a fresh worker per message
    expect(r.stdout.endsWith('\nGoodbye!\n')).toBe(true);
    // The tutorial's relay never reads CANCEL: shutdown says so on stderr and waits for its stop_timeout (10s).
    expect(r.stderr).toBe('app:relay-service did not stop on CANCEL; waiting up to 10s (stop_timeout); Ctrl+C to exit now\n');
    expect(r.ms).toBeGreaterThanOrEqual(10000);
  }, 30000);

  test('the ns:entry form works too, and EOF on stdin ends cleanly', async () => {
    const dir = projectCopy(ECHO, { 'src/_index.yaml': quickStop });
    const r = await wisp(['run', '-x', 'app:cli'], { cwd: dir, input: '' });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('Echo Client\nType messages to echo. Ctrl+C to exit.\n\n> \nGoodbye!\n');
  });

  test('without the relay service the CLI says "error: relay not available"', async () => {
    const dir = projectCopy(ECHO, {
      'src/_index.yaml': (y) => y.replace(/  - name: relay-service\n(.*\n){5}/, ''),
    });
    const r = await wisp(['run', '-x', 'app:terminal/app:cli'], { cwd: dir, input: 'anyone there?\n' });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('>   error: relay not available\n');
    expect(r.stderr).toBe('');
  });

  test('a worker slower than the 2s timeout gives the timeout path', async () => {
    const dir = projectCopy(ECHO, {
      'src/_index.yaml': quickStop,
      'src/worker.lua': (w) => w.replace('time.sleep("100ms")', 'time.sleep("3s")'),
    });
    const r = await wisp(['run', '-x', 'app:cli'], { cwd: dir, input: 'slow\n' });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('>   timeout\n');
    expect(r.stdout).not.toContain('SLOW');
  });

  test('logs are silent under -x; -c shows the relay and supervisor logs on stdout', async () => {
    const dir = projectCopy(ECHO, { 'src/_index.yaml': quickStop });
    const r = await wisp(['run', '-c', '-x', 'app:cli'], { cwd: dir, input: 'x\n' });
    expect(r.code).toBe(0);
    const relay = pidPattern('app:processes', { uniq: '0x00002' }).source;
    expect(r.stdout).toMatch(new RegExp(`INFO +relay started +\\{"pid": "${relay}", "location": "app:relay:\\d+"\\}`));
    expect(r.stdout).toMatch(new RegExp(`INFO +supervisor +service running +\\{"service": "app:relay-service", "pid": "${relay}"\\}`));
    expect(r.stdout).toMatch(/INFO +worker exited/);
  });
});

describe('a typed variant of the echo service (Luau annotations added to the three scripts)', () => {
  test('runs end to end', async () => {
    const dir = projectCopy(join(ROOT, 'fixtures', 'dialect', 'typed-echo'), { 'src/_index.yaml': quickStop });
    const r = await wisp(['run', '-x', 'app:terminal/app:cli'], { cwd: dir, input: 'typed lua\n' });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('>   TYPED LUA\n');
    expect(r.stdout).toMatch(new RegExp(`  from worker: ${PID.source}\\n`));
    expect(r.stdout.endsWith('\nGoodbye!\n')).toBe(true);
  });
});
