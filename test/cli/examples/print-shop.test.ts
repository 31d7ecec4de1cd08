/**
 * Our own task-queue app (fixtures/examples/print-shop), the features of Wippy's 14-task-queue example and a
 * few more: jobs POSTed over HTTP are published to a memory queue, a consumer pool prints them into SQLite
 * through the query builder, GET lists and shows them. A jam nacks (redelivered), a job that jams twice goes
 * to the dead-letter queue and its own consumer records it. Run with the real `wisp run`, real sockets.
 */
import { join } from 'path';
import { ROOT, logged, projectCopy, startWisp } from '../../helpers/cli';
import { until } from '../../helpers/poll';
import { freePort } from '../../helpers/net';

interface Job {
  id: string;
  customer: string;
  document: string;
  sheets: number;
  cost_cents: number;
  state: string;
  attempts: number;
}
interface Listing {
  jobs: Job[];
  count: number;
  total_cents: number;
}

async function boot() {
  const port = await freePort();
  const dir = projectCopy(join(ROOT, 'fixtures', 'examples', 'print-shop'), {
    'src/_index.yaml': (t) => t.replace('127.0.0.1:8080', `127.0.0.1:${port}`),
  });
  const app = startWisp(['run'], dir);
  await until('the shop to listen and its schema to be made', () => app.err().includes('service listening on') && logged(app.err(), 'ledger ready').length === 1, 30000, app.err);
  return { app, base: `http://127.0.0.1:${port}/api/jobs` };
}

const submit = (base: string, body: unknown, customer?: string) =>
  fetch(base, { method: 'POST', headers: customer === undefined ? {} : { 'X-Customer': customer }, body: typeof body === 'string' ? body : JSON.stringify(body) });
const list = async (url: string): Promise<Listing> => (await (await fetch(url)).json()) as Listing;

describe('example: a print shop (HTTP -> memory queue -> consumers -> SQLite)', () => {
  test('jobs are queued (202), printed by the consumers, listed, filtered and shown; a jam retries; a job that always jams is dead-lettered', async () => {
    const { app, base } = await boot();
    try {
      expect(await list(base)).toEqual({ jobs: [], count: 0, total_cents: 0 });

      const flyer = await submit(base, { document: 'flyer', pages: 2, copies: 10 }, 'acme');
      expect(flyer.status).toBe(202);
      const { id: flyerId, state } = (await flyer.json()) as { id: string; state: string };
      expect(state).toBe('queued');
      expect(flyerId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect((await submit(base, { document: 'jam-report', pages: 3 }, 'acme')).status).toBe(202);
      expect((await submit(base, { document: 'shred-minutes', pages: 1 })).status).toBe(202);
      // a burst, concurrently: 3 presses with 4 held each, so the queue buffers the rest
      const burst = await Promise.all(Array.from({ length: 24 }, (_, i) => submit(base, { document: `page-${String(i).padStart(2, '0')}`, pages: 1, copies: i + 1 }, 'bulk')));
      expect(burst.map((r) => r.status)).toEqual(Array(24).fill(202));

      const all = await until('every job settled', async () => {
        const l = await list(base);
        return l.count === 27 && l;
      }, 30000, app.err);
      const byDoc = new Map(all.jobs.map((j) => [j.document, j]));
      expect(byDoc.get('flyer')).toEqual({ id: flyerId, customer: 'acme', document: 'flyer', sheets: 20, cost_cents: 140, state: 'printed', attempts: 1 });
      expect(byDoc.get('jam-report')).toMatchObject({ customer: 'acme', sheets: 3, state: 'printed', attempts: 2 });
      expect(byDoc.get('shred-minutes')).toMatchObject({ customer: 'walk-in', sheets: 0, state: 'jammed', attempts: 2 });
      // 20 + 3 sheets, plus 1 + 2 + ... + 24 for the burst, 7 cents a sheet
      expect(all.total_cents).toBe((23 + (24 * 25) / 2) * 7);
      expect(all.jobs.map((j) => j.document)).toEqual([...all.jobs.map((j) => j.document)].sort());

      const jammed = await list(`${base}?state=jammed`);
      expect(jammed.jobs.map((j) => j.document)).toEqual(['shred-minutes']);
      const acme = await list(`${base}?customer=acme&state=printed`);
      expect(acme.jobs.map((j) => j.document)).toEqual(['flyer', 'jam-report']);

      const one = await fetch(`${base}/${flyerId}`);
      expect(one.status).toBe(200);
      expect(await one.json()).toMatchObject({ id: flyerId, document: 'flyer' });

      // each print was one consumer call; the jam was delivered twice, the shredded job twice then dead-lettered
      const printing = logged(app.err(), 'printing');
      expect(printing).toHaveLength(24 + 1 + 2 + 2);
      expect(logged(app.err(), 'paper jam')).toHaveLength(3);

      app.child.kill('SIGINT');
      expect(await app.exited).toBe(0);
    } finally {
      if (app.running()) app.child.kill('SIGKILL');
    }
  }, 90000);

  test('bad input is refused with 400 and queues nothing; query values cannot inject SQL; an unknown id is 404', async () => {
    const { app, base } = await boot();
    try {
      const refused: [unknown, string][] = [
        ['not json', 'body must be a JSON object'],
        ['[1,2]', 'document required'],
        [{ pages: 1 }, 'document required'],
        [{ document: '', pages: 1 }, 'document required'],
        [{ document: 'x', pages: 1.5 }, 'pages and copies must be positive integers'],
        [{ document: 'x', pages: 0 }, 'pages and copies must be positive integers'],
        [{ document: 'x', pages: 1, copies: '2' }, 'pages and copies must be positive integers'],
      ];
      for (const [body, error] of refused) {
        const r = await submit(base, body);
        expect(r.status).toBe(400);
        expect(await r.json()).toEqual({ error });
      }
      expect((await submit(base, { document: "x'); DROP TABLE jobs; --", pages: 1 }, "o'hara")).status).toBe(202);
      await until('the job printed', async () => (await list(base)).count === 1, 20000, app.err);
      for (const hostile of ["printed' OR '1'='1", "x'; DELETE FROM jobs; --"]) {
        expect(await list(`${base}?state=${encodeURIComponent(hostile)}`)).toEqual({ jobs: [], count: 0, total_cents: 0 });
      }
      const kept = await list(base);
      expect(kept.jobs).toEqual([expect.objectContaining({ document: "x'); DROP TABLE jobs; --", customer: "o'hara", state: 'printed' })]);
      const missing = await fetch(`${base}/${encodeURIComponent("' OR 1=1 --")}`);
      expect(missing.status).toBe(404);
      expect(await missing.json()).toEqual({ error: 'no such job' });
      expect(logged(app.err(), 'printing')).toHaveLength(1);
      app.child.kill('SIGINT');
      expect(await app.exited).toBe(0);
    } finally {
      if (app.running()) app.child.kill('SIGKILL');
    }
  }, 90000);
});
