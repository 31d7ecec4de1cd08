/**
 * OffThread with a real worker thread: jobs answer in order, a job past its time is ended (and the next job
 * gets a fresh worker), one past its heap ends with a memory error, and the queue refuses input past its bound.
 */
import { OffThread, OffThreadError } from '../../src/lib/off-thread';

type Job = { readonly op: 'echo' | 'spin' | 'hog' | 'fail'; readonly text: string };

// Runs in the worker from its source text: nothing from this file's scope.
function job(input: Job): string {
  if (input.op === 'spin') for (;;);
  if (input.op === 'hog') {
    const hoard: string[][] = [];
    for (;;) hoard.push(new Array<string>(1e6).fill(input.text));
  }
  if (input.op === 'fail') throw new Error(`refused ${input.text}`);
  return input.text.toUpperCase();
}

describe('OffThread', () => {
  const worker = new OffThread<Job, string>(job, {}, { timeoutMs: 500, heapMb: 64, queueBytes: 100 }, (i) => i.text.length);

  test('jobs answer in order; a job error is its own', async () => {
    const answers = await Promise.all([worker.run({ op: 'echo', text: 'a' }), worker.run({ op: 'echo', text: 'b' })]);
    expect(answers).toEqual(['A', 'B']);
    await expect(worker.run({ op: 'fail', text: 'x' })).rejects.toThrow('refused x');
  });

  test('a job past its time or its heap is ended, and the next job runs on a fresh worker', async () => {
    const spin = worker.run({ op: 'spin', text: '' });
    const after = worker.run({ op: 'echo', text: 'still here' });
    await expect(spin).rejects.toMatchObject({ message: 'took longer than 500 ms', limit: 'time' });
    expect(await after).toBe('STILL HERE');
    const hog = await worker.run({ op: 'hog', text: 'x'.repeat(64) }).catch((e: OffThreadError) => e);
    expect(hog).toBeInstanceOf(OffThreadError);
    expect((hog as OffThreadError).limit === 'memory' || (hog as OffThreadError).limit === 'time').toBe(true);
    expect(await worker.run({ op: 'echo', text: 'ok' })).toBe('OK');
  }, 20000);

  test('input waiting past the queue bound is refused at once', async () => {
    const first = worker.run({ op: 'spin', text: '' }); // holds the worker
    const queued = worker.run({ op: 'echo', text: 'y'.repeat(80) });
    const refused = await worker.run({ op: 'echo', text: 'z'.repeat(40) }).catch((e: OffThreadError) => e);
    expect(refused).toMatchObject({ limit: 'queue' });
    expect((refused as Error).message).toMatch(/^is busy: 1 jobs \(80 bytes\) are waiting/);
    await expect(first).rejects.toMatchObject({ limit: 'time' });
    expect(await queued).toBe('Y'.repeat(80));
  }, 20000);
});
