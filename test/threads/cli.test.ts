/**
 * `wisp run --threads N` as a child process (needs `npm run build`): the tutorial's echo service with the CLI on
 * thread 1 and the relay and its workers on thread 2; bad values of the flag; one thread is today's node.
 */
import { ECHO, wisp } from '../helpers/cli';

describe('wisp run --threads', () => {
  test('--threads 2: the echo tutorial answers from workers on thread 2', async () => {
    const r = await wisp(['run', '--threads', '2', '-x', 'app:terminal/app:cli'], { cwd: ECHO, input: 'hello threads\nagain\n', timeoutMs: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/> {3}HELLO THREADS\n {2}from worker: \{t2@app:processes\|0x[0-9a-f]{5,}\}\n/);
    expect(r.stdout).toMatch(/> {3}AGAIN\n {2}from worker: \{t2@app:processes\|0x[0-9a-f]{5,}\}\n/);
    expect(r.stdout).toContain('Goodbye!');
    expect(r.code).toBe(0);
  }, 90_000);

  test('--threads 1 is the node of today: PIDs without a node part', async () => {
    const r = await wisp(['run', '--threads', '1', '-x', 'app:terminal/app:cli'], { cwd: ECHO, input: 'one\n', timeoutMs: 60_000 });
    expect(r.stdout).toMatch(/ {2}ONE\n {2}from worker: \{app:processes\|0x[0-9a-f]{5,}\}\n/);
    expect(r.code).toBe(0);
  }, 90_000);

  test.each(['0', 'two', '1.5', '-2', '100000'])('--threads %s is refused with one line', async (value) => {
    const r = await wisp(['run', '--threads', value, '-x', 'app:terminal/app:cli'], { cwd: ECHO });
    expect(r.stderr).toBe(`Error: --threads must be a whole number from 1 to 256, not "${value}"\n`);
    expect(r.code).not.toBe(0);
  });
});
