/**
 * Apps shaped like Wippy's public examples (function calls, the registry changed at run time, a registry-driven
 * scheduler, processes that list themselves in the registry and emit events), each a fixture of ours run by
 * the real `wisp`.
 */
import { rmSync } from 'fs';
import { join } from 'path';
import { projectCopy, ROOT, sleep, startWisp, wisp } from '../helpers/cli';

const fixture = (name: string): string => join(ROOT, 'fixtures', `examples-${name}`);

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
  const r = await runExample('funcs', 'shop:till');
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
  const r = await runExample('registry', 'cat:browse');
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
  const r = await runExample('rooms', 'hd:cli');
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

interface LogLine {
  level: string;
  message: string;
  fields: Record<string, unknown>;
}

/** The default log format: `time<TAB>LEVEL<TAB>[logger<TAB>]message<TAB>{json}`. */
function logLines(text: string): LogLine[] {
  return text
    .split('\n')
    .filter((l) => l.includes('\t'))
    .map((l) => {
      const parts = l.split('\t');
      const json = parts[parts.length - 1];
      return { level: parts[1], message: parts[parts.length - 2], fields: JSON.parse(json) as Record<string, unknown> };
    });
}

test('a registry-driven scheduler: declared and run-time jobs tick until SIGINT cancels every worker', async () => {
  const dir = projectCopy(fixture('cron'));
  const run = startWisp(['run'], dir);
  try {
    const ticks = (task: string) => logLines(run.err()).filter((l) => l.fields.task === task && l.fields.run !== undefined);
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && run.running() && !(ticks('cron:task.ping').length >= 3 && ticks('cron:task.late').length >= 1 && ticks('cron:task.flaky').length >= 1)) {
      await sleep(100);
    }
    // a run in flight at shutdown may fail as its function host stops: only the runs before SIGINT are checked
    const seen: Record<string, number> = Object.fromEntries(['cron:task.ping', 'cron:task.late', 'cron:task.flaky'].map((t) => [t, ticks(t).length]));
    const before = (task: string) => ticks(task).slice(0, seen[task]);
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
    const lines = logLines(run.err());
    expect(lines.find((l) => l.message === 'dispatcher ready')?.fields).toMatchObject({ tasks: 3, version: 'v1' });
    const up = lines.filter((l) => l.message === 'runner up').map((l) => [l.fields.task, l.fields.every]).sort();
    expect(up).toEqual([
      ['cron:task.flaky', '400ms'],
      ['cron:task.late', '250ms'],
      ['cron:task.ping', '150ms'],
    ]);
    expect(seen['cron:task.ping']).toBeGreaterThanOrEqual(3);
    for (const l of before('cron:task.ping')) expect(l).toMatchObject({ level: 'INFO', message: 'ran', fields: { result: 'pong' } });
    for (const l of before('cron:task.late')) expect(l.fields.result).toBe('late job ran');
    for (const l of before('cron:task.flaky')) {
      expect(l).toMatchObject({ level: 'WARN', message: 'run failed', fields: { error: 'cron:task.flaky:6: disk unavailable' } });
    }
    // every worker got CANCEL at shutdown and reports the runs it logged
    for (const task of ['cron:task.flaky', 'cron:task.late', 'cron:task.ping']) {
      const down = lines.filter((l) => l.message === 'runner down' && l.fields.task === task);
      expect(down).toHaveLength(1);
      expect(down[0].fields.runs).toBe(ticks(task).length);
    }
    expect(lines.some((l) => l.message === 'dispatcher stopping')).toBe(true);
    expect(ticks('not_a_task')).toEqual([]);
  } finally {
    if (run.running()) run.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}, 40_000);
