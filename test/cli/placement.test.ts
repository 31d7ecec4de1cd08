/**
 * Where a process runs under `wisp run --threads 2` (src/cluster/spec.md "Placement"), with real worker
 * threads and real Lua: a child on an unmarked host stays on its spawner's thread; a host marked
 * `host.threads: 1` lives on its own thread, so a spawn onto it from another thread runs there, and monitors
 * and links set at spawn see even a child that ends at once; a host marked `host.threads: 2` spreads a burst of
 * spawns over both threads; a child started on another thread is there before any message sent to it after
 * its spawn, even through a third thread; a spawn's actor and scope cross with it, rebuilt from the registry there.
 */
import { join } from 'path';
import { projectCopy, ROOT, wisp } from '../helpers/cli';

const FIXTURE = join(ROOT, 'fixtures', 'placement');

describe('placement of spawns over threads', () => {
  test('spawner thread by default, the host thread for a pinned host, spread by load for a marked one', async () => {
    const r = await wisp(['run', '--threads', '2', '-x', 'app:driver'], { cwd: projectCopy(FIXTURE), timeoutMs: 90_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      [
        'driver: t1',
        'plain: t1 value p',
        // Twenty rounds, each the same: every instant failure, link break and value reached the spawner.
        'pinned: t2 t2 t2 error early N / error linked N / value N',
        'echo: t2 true there 3 true ctx',
        // A spawn's actor and scope cross with it, as do its child's.
        'secured: t2 child t1 alice admin 3 b read true write false admin true',
        'bob: t2 bob nil nil nil read true write false admin false',
        // A name taken at spawn is the node's: seen from t2, whose spawn-or-signal reaches the holder on t1.
        'named: t1 found true same true got hi from t2',
        // A spawn with a name runs on its host's thread; the name is the spawner's at once.
        'named elsewhere: t2 seen true same true got hi again',
        'spawner: t2',
        'exec: 42 / nil exec failure',
        'spread: t1 true t2 true total 20 released 20',
        'bad: nil entry app:nope not found',
        'exec at once: 30 of 30',
        '',
      ].join('\n'),
    );
    expect(r.code).toBe(0);
  }, 120_000);

  test('three threads: a child started on t2 by t3 gets the message t1 sent it on hearing of it from t3, while t2 was busy', async () => {
    // t2 spins while t3 starts 50 children on it and has the relay on t1 message each at once: t2 then finds
    // both on its ports and must read t3's SPAWN before t1's message (without that, all 50 were lost once in 3).
    const r = await wisp(['run', '--threads', '3', '-x', 'app:driver', 'relay'], { cwd: projectCopy(FIXTURE), timeoutMs: 90_000 });
    expect([r.stdout, r.stderr]).toEqual(['relay on t1, looper on t3, children on t2: 50 of 50\n', '']);
    expect(r.code).toBe(0);
  }, 120_000);

  test('with one thread the marks change nothing: every child runs on the one thread', async () => {
    const r = await wisp(['run', '--threads', '1', '-x', 'app:driver'], { cwd: projectCopy(FIXTURE), timeoutMs: 90_000 });
    expect(r.stdout).toContain('pinned: ? ? ? error early N / error linked N / value N\n');
    expect(r.stdout).toContain('spread: t1 false t2 false total 0 released 20\n');
    expect(r.stdout).toContain('secured: ? child ? alice admin 3 b read true write false admin true\n');
    expect(r.stdout).toContain('named: ? found true same true got hi from ?\n');
    expect(r.stdout).toContain('named elsewhere: ? seen true same true got hi again\n');
    expect(r.code).toBe(0);
  }, 120_000);
});
