/**
 * Kernel operations aimed at a process on another thread answer as on one thread (src/cluster/spec.md
 * "Liveness"): `wisp run --threads 2` with real Lua, the driver on thread 1 and its targets on thread 2, prints
 * exactly what `--threads 1` prints. Operations on a process that has ended fail at once with one thread's
 * errors (not posted to a thread that drops them); on a living one they reach it. Names: a process of the other
 * thread can be given a name from here and have its name released from here, and the other way round; what
 * another thread did is seen once the node's table has told this thread (the driver polls for it).
 */
import { join } from 'path';
import { projectCopy, ROOT, wisp } from '../helpers/cli';

const FIXTURE = join(ROOT, 'fixtures', 'cross-thread');

const DEAD = [
  'exit value 1',
  'send nil process not found',
  'monitor nil pid not registered',
  'link nil pid not registered',
  'cancel nil process not found',
  'terminate nil process not found',
  'unmonitor nil pid not registered',
  'unlink nil pid not registered',
  'send live true',
  'exit done',
  'send after nil process not found',
  'monitor live true',
  'monitor again nil already monitoring pid',
  'unmonitor live true',
  'link down boom',
  'cancel live true',
  'cancelled cancelled',
  'terminate live true',
  'terminated process terminated',
];

const NAMES = [
  'register foreign true',
  'lookup foreign {app:far|N}',
  'its thread sees it {app:far|N}',
  'unregister foreign true',
  'lookup after nil name not registered',
  'its thread after nil',
  'it registers true nil',
  'lookup its name {app:far|N}',
  'unregister its name true',
  'lookup its name after nil name not registered',
  'its thread after nil',
  'register mine true',
  'it sees mine {app:terminal|N}',
  'it unregisters mine true',
  'mine after nil',
  'register for it true',
  'register taken nil name already registered',
  'register ended nil process not found',
  'it stops true',
  'its names go with it nil',
];

describe('kernel operations across threads', () => {
  test.each([1, 2])('on a process that ended or lives, --threads %i answers as one thread', async (threads) => {
    const r = await wisp(['run', '--threads', String(threads), '-x', 'app:driver'], { cwd: projectCopy(FIXTURE), timeoutMs: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(DEAD.join('\n') + '\n');
    expect(r.code).toBe(0);
  }, 90_000);

  test.each([1, 2])('names of processes on another thread: registered, released and seen as on one thread (--threads %i)', async (threads) => {
    const r = await wisp(['run', '--threads', String(threads), '-x', 'app:driver', 'names'], { cwd: projectCopy(FIXTURE), timeoutMs: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(NAMES.join('\n') + '\n');
    expect(r.code).toBe(0);
  }, 90_000);
});
