/**
 * Names across threads are exact (src/cluster/spec.md "Threads", "Names"): under `wisp run --threads 3`, with
 * real worker threads and real Lua, whatever a process hears of from another thread after that thread's process
 * registered a name, gave it back or ended holding it, its lookups and registrations see, as on one thread; and
 * of two processes of two threads that register one name at once, one gets it and the other is refused; a
 * child started on another thread with a name has it from its first instruction. The
 * driver on t1 has children on t2 and t3 (fixtures/thread-names), a hundred rounds of each.
 */
import { join } from 'path';
import { projectCopy, ROOT, wisp } from '../helpers/cli';

const FIXTURE = join(ROOT, 'fixtures', 'thread-names');

describe('names across threads', () => {
  test('a name registered, released or left by a process of one thread is seen so by the threads that hear of it', async () => {
    const r = await wisp(['run', '--threads', '3', '-x', 'app:driver'], { cwd: projectCopy(FIXTURE), timeoutMs: 90_000 });
    expect([r.stdout, r.stderr]).toEqual([
      [
        'told: from t2, seen on t3 100 of 100, here 100 of 100',
        'mine: seen on t3 100 of 100, gone there 100 of 100',
        // A supervisor's restart with the same name on another thread, as soon as it hears of the EXIT.
        'ended: on t2, gone here 100 of 100, taken on t3 100 of 100',
        'unregistered: taken on t3 100 of 100',
        // Before names were exact, one in three of these rounds gave both the name, and revoked it from one later.
        'race: one holder 100 of 100, refused 100, revoked 0',
        // Before, the child's thread learnt the name a moment after the child had started: 0 of 100.
        'spawned with a name: on t2, its own at once 100 of 100',
        '',
      ].join('\n'),
      '',
    ]);
    expect(r.code).toBe(0);
  }, 120_000);

  test('one thread: the same', async () => {
    const r = await wisp(['run', '--threads', '1', '-x', 'app:driver'], { cwd: projectCopy(FIXTURE), timeoutMs: 90_000 });
    expect(r.stdout).toBe(
      [
        'told: from ?, seen on ? 100 of 100, here 100 of 100',
        'mine: seen on ? 100 of 100, gone there 100 of 100',
        'ended: on ?, gone here 100 of 100, taken on ? 100 of 100',
        'unregistered: taken on ? 100 of 100',
        'race: one holder 100 of 100, refused 100, revoked 0',
        'spawned with a name: on ?, its own at once 100 of 100',
        '',
      ].join('\n'),
    );
    expect(r.code).toBe(0);
  }, 120_000);
});
