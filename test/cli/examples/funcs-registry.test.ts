/**
 * Our own apps after Wippy's examples 02-func-call, 06-registry-dynamic, 07-event-bus, 10-chat-room and
 * 12-crontab-registry (fixtures/examples/: till, catalogue, order-bus, helpdesk, dispatcher), run with the real
 * `wisp` command; wippy-examples.test.ts runs Wippy's originals when a copy of their repository is at hand.
 */
import { rmSync } from 'fs';
import { join } from 'path';
import { logged, projectCopy, ROOT, sleep, startWisp, wisp } from '../../helpers/cli';

const fixture = (name: string): string => join(ROOT, 'fixtures', 'examples', name);

/** Runs `wisp run -x entry` in a copy of the fixture. */
async function runExample(name: string, entry: string) {
  const dir = projectCopy(fixture(name));
  try {
    return await wisp(['run', '-x', entry], { cwd: dir, timeoutMs: 30_000 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('function calls: arguments and results are copies, every call is fresh, errors come back as values', async () => {
  const r = await runExample('till', 'shop:till');
  expect(r.stderr).toBe('');
  expect(r.stdout).toBe(
    [
      '-- till --',
      'apple    1.80',
      'bread    2.10',
      'milk     1.98',
      'items 3, total 588',
      'basket kept: 3 lines, first 180',
      'bump 1 1',
      'unknown item: nil / shop:price:9: no price for caviar',
      'refuse: refused: closed',
      'missing: NotFound function not found: shop:discount',
      '',
    ].join('\n'),
  );
  expect(r.code).toBe(0);
}, 40_000);

test('the registry at run time: v0 as loaded, each apply the next version, a refused change changes nothing, entries are copies', async () => {
  const r = await runExample('catalogue', 'cat:browse');
  expect(r.stderr).toBe('');
  expect(r.stdout).toBe(
    [
      'loaded v0 id 0 Version{id=0}',
      'start [v0] cat:plugin.fmt=Formatter, cat:plugin.lint=Linter',
      'applied v1, previous v0',
      'added [v1] cat:plugin.fmt=Formatter, cat:plugin.lint=Linter, cat:plugin.spell=Speller',
      'swapped [v2] cat:plugin.diff=Differ, cat:plugin.fmt=Formatter, cat:plugin.spell=Speller',
      '  refused: delete: entry cat:plugin.lint not found',
      'after refusal [v2] cat:plugin.diff=Differ, cat:plugin.fmt=Formatter, cat:plugin.spell=Speller',
      'entries 4, themes 1 (Dark)',
      'v0 still has cat:plugin.lint; current has nil',
      'copies: Formatter, Temp',
      'history v0 v1 v2 v3',
      '',
    ].join('\n'),
  );
  expect(r.code).toBe(0);
}, 40_000);

test('chat-room shape: processes list themselves in the registry and by name, request/reply to a pid string, close removes both; a watcher sees their events and the registry\'s', async () => {
  const r = await runExample('helpdesk', 'hd:cli');
  expect(r.stderr).toBe('');
  expect(r.stdout).toBe(
    [
      'listed [billing returns]',
      '  no desk shipping',
      '  billing: 2 waiting, first ana: double charge',
      '  returns: 1 waiting, first bo: wrong size',
      'billing entry pid matches: true',
      'closed billing with 2 left',
      'listed [returns]',
      '  no desk billing',
      'bus: ticket /desk/billing ana',
      'bus: ticket /desk/billing cy',
      'bus: ticket /desk/returns bo',
      'bus: entry.create hd:desk.billing',
      'bus: entry.create hd:desk.returns',
      'bus: entry.delete hd:desk.billing',
      '',
    ].join('\n'),
  );
  expect(r.code).toBe(0);
}, 40_000);

test('a registry-driven scheduler: declared and run-time jobs tick until SIGINT cancels every worker', async () => {
  const dir = projectCopy(fixture('dispatcher'));
  const run = startWisp(['run'], dir);
  try {
    /** The runs of `task` logged so far, each `ran` (with a result) or `run failed` (with an error). */
    const ticks = (task: string) => [...logged(run.err(), 'ran'), ...logged(run.err(), 'run failed')].filter((f) => f.task === task).sort((a, b) => Number(a.run) - Number(b.run));
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && run.running() && !(ticks('cron:task.ping').length >= 3 && ticks('cron:task.late').length >= 1 && ticks('cron:task.flaky').length >= 1)) {
      await sleep(100);
    }
    // a run in flight at shutdown may fail as its function host stops: only the runs before SIGINT are checked
    const seen: Record<string, number> = Object.fromEntries(['cron:task.ping', 'cron:task.late', 'cron:task.flaky'].map((t) => [t, ticks(t).length]));
    const before = (task: string) => ticks(task).slice(0, seen[task]);
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
    const err = run.err();
    expect(logged(err, 'dispatcher ready')).toEqual([expect.objectContaining({ tasks: 3, version: 'v1' })]);
    const up = logged(err, 'runner up').map((f) => [f.task, f.every]).sort();
    expect(up).toEqual([
      ['cron:task.flaky', '400ms'],
      ['cron:task.late', '250ms'],
      ['cron:task.ping', '150ms'],
    ]);
    // each task ran before the checks below look at its runs (none ran: they would pass without looking)
    expect(seen['cron:task.ping']).toBeGreaterThanOrEqual(3);
    expect(seen['cron:task.late']).toBeGreaterThanOrEqual(1);
    expect(seen['cron:task.flaky']).toBeGreaterThanOrEqual(1);
    for (const f of before('cron:task.ping')) expect(f.result).toBe('pong');
    for (const f of before('cron:task.late')) expect(f.result).toBe('late job ran');
    for (const f of before('cron:task.flaky')) expect(f.error).toBe('cron:task.flaky:6: disk unavailable');
    expect(before('cron:task.ping').map((f) => f.run)).toEqual(before('cron:task.ping').map((_, i) => i + 1));
    // every worker got CANCEL at shutdown and reports the runs it logged
    for (const task of ['cron:task.flaky', 'cron:task.late', 'cron:task.ping']) {
      const down = logged(err, 'runner down').filter((f) => f.task === task);
      expect(down).toHaveLength(1);
      expect(down[0].runs).toBe(ticks(task).length);
    }
    expect(logged(err, 'dispatcher stopping')).toHaveLength(1);
    expect(ticks('not_a_task')).toEqual([]);
  } finally {
    if (run.running()) run.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}, 40_000);

test('event bus: a service and the CLI subscribe with patterns; order, copies at send time, close; a request by event', async () => {
  const r = await runExample('order-bus', 'ob:cli');
  expect(r.stderr).toBe('');
  expect(r.stdout).toBe(
    [
      'paid orders.eu /o/1 30',
      'paid orders.us /o/2 12',
      'closed: nil false',
      'tally saw 5: orders.eu/cancelled=1 orders.eu/paid=1 orders.eu/placed=1 orders.us/paid=1 orders.us/placed=1',
      '',
    ].join('\n'),
  );
  expect(r.code).toBe(0);
}, 40_000);
