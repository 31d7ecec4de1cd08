/**
 * Small differences from Wippy a user sees through the CLI (issue 28): the test directories Wippy's loader
 * leaves out by environment, and what `wisp run` says when it cannot open its control socket.
 */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { wisp, writeProject, indexWithHosts } from '../helpers/cli';

const entry = (name: string): string => `  - name: ${name}
    kind: process.lua
    source: file://main.lua
    method: main
`;

function project(): string {
  return writeProject({
    '_index.yaml': indexWithHosts('app', entry('main')),
    'main.lua': 'return { main = function() return "ran" end }',
    'test/sqs/_index.yaml': `namespace: app.sqs\nentries:\n${entry('queue').replace('file://main.lua', 'file://../../main.lua')}`,
    'test/temporal/_index.yaml': `namespace: app.temporal\nentries:\n${entry('flow').replace('file://main.lua', 'file://../../main.lua')}`,
    'test/extra/_index.yaml': `namespace: app.extra\nentries:\n${entry('more').replace('file://main.lua', 'file://../../main.lua')}`,
  });
}

/** The entry ids `wisp registry list` prints under `env` (added to this process's environment). */
async function listed(dir: string, env: Record<string, string>): Promise<string[]> {
  const r = await wisp(['registry', 'list'], { cwd: dir, env: { ...process.env, ...env } });
  expect([r.code, r.stderr]).toEqual([0, '']);
  return r.stdout.split('\n').filter((l) => /^app[.:]/.test(l)).map((l) => l.split(/\s+/)[0]).filter((id) => !/^app:(terminal|processes)$/.test(id));
}

describe("Wippy's SKIP_*_TESTS and SKIP_TEST_DIRS through the CLI", () => {
  const clean = Object.fromEntries(
    ['SKIP_TEMPORAL_TESTS', 'SKIP_CLOUDSTORAGE_TESTS', 'SKIP_SQS_TESTS', 'SKIP_NETWORK_TESTS', 'SKIP_TEST_DIRS'].map((k) => [k, '']),
  );

  test('every directory loads without them; each leaves out its own; the entry left out is not found', async () => {
    const dir = project();
    const ids = ['app.extra:more', 'app.sqs:queue', 'app.temporal:flow', 'app:main'];
    expect(await listed(dir, clean)).toEqual(ids);
    expect(await listed(dir, { ...clean, SKIP_SQS_TESTS: '1', SKIP_TEMPORAL_TESTS: '1' })).toEqual(['app.extra:more', 'app:main']);
    expect(await listed(dir, { ...clean, SKIP_TEST_DIRS: 'extra,sqs' })).toEqual(['app.temporal:flow', 'app:main']);
    const gone = await wisp(['run', '-x', 'app.sqs:queue'], { cwd: dir, env: { ...process.env, ...clean, SKIP_SQS_TESTS: '1' } });
    expect([gone.code, gone.stderr]).toEqual([1, 'Error: entry app.sqs:queue not found\n']);
    const ran = await wisp(['run', '-x', 'app.sqs:queue'], { cwd: dir, env: { ...process.env, ...clean } });
    expect([ran.code, ran.stdout]).toEqual([0, 'ran\n']);
  }, 30000);
});

describe('a .wisp that cannot hold the control socket', () => {
  const notice = (stderr: string): string[] => stderr.split('\n').filter((l) => l.includes('control socket')).map((l) => l.replace(/^.*control socket/, 'control socket'));

  test('a symbolic link or a file: the run goes on, and the warning says wisp top cannot attach', async () => {
    const linked = project();
    const elsewhere = mkdtempSync(join(tmpdir(), 'wisp-elsewhere-'));
    mkdirSync(join(elsewhere, 'd'));
    symlinkSync(join(elsewhere, 'd'), join(linked, '.wisp'));
    const a = await wisp(['run', '-v', '-x', 'app:main'], { cwd: linked });
    expect([a.code, a.stdout]).toEqual([0, 'ran\n']);
    expect(notice(a.stderr)).toEqual([`control socket not opened: ${join(linked, '.wisp')} is not a directory owned by this user; wisp top cannot attach`]);

    const file = project();
    writeFileSync(join(file, '.wisp'), 'not a directory');
    const b = await wisp(['run', '-v', '-x', 'app:main'], { cwd: file });
    expect([b.code, b.stdout]).toEqual([0, 'ran\n']);
    expect(notice(b.stderr)).toEqual([expect.stringMatching(/^control socket not opened: EEXIST: .*; wisp top cannot attach$/)]);
  }, 30000);
});
