/** The README's data section runs as written: its notes app on SQLite, then pointed at PostgreSQL from the command line. */
import { readmeSectionFiles, wisp, writeProject } from '../helpers/cli';
import { describePostgres, PostgresServer } from '../helpers/postgres';

const dataSectionFiles = (): Record<string, string> => readmeSectionFiles('Data: SQL databases');

test('README data section: the notes app runs on the embedded SQLite', async () => {
  const files = dataSectionFiles();
  expect(Object.keys(files).sort()).toEqual(['_index.yaml', 'notes.lua']);
  const r = await wisp(['run', '-x', 'app:notes'], { cwd: writeProject(files) });
  expect([r.code, r.stdout, r.stderr]).toEqual([0, '1\tbuy milk\n2\tcall Ada\n', '']);
});

describePostgres('README data section on PostgreSQL', () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await PostgresServer.start();
  }, 120_000);
  afterAll(async () => server?.destroy(), 60_000);

  test('the same app, its db entry overridden to db.sql.postgres with -o, password from the environment', async () => {
    const files = dataSectionFiles();
    files['_index.yaml'] += [
      '  - name: os',
      '    kind: env.storage.os',
      '  - name: password',
      '    kind: env.variable',
      '    variable: APP_DB_PASSWORD',
      '    storage: app:os',
      '',
    ].join('\n');
    const o = (field: string, value: string | number): string[] => ['-o', `app:db:${field}=${value}`];
    const args = [...o('kind', 'db.sql.postgres'), ...o('host', '127.0.0.1'), ...o('port', server.port), ...o('database', server.database),
      ...o('username', server.user), ...o('password_env', 'APP_DB_PASSWORD'), ...o('options.sslmode', 'disable')];
    const r = await wisp(['run', ...args, '-x', 'app:notes'], { cwd: writeProject(files), env: { ...process.env, APP_DB_PASSWORD: 'secret' }, timeoutMs: 60_000 });
    expect([r.code, r.stdout, r.stderr]).toEqual([0, '1\tbuy milk\n2\tcall Ada\n', '']);
  }, 90_000);
});

test('README stores and queues section: a job published, processed by the consumer, read back from the store', async () => {
  const files = readmeSectionFiles('Data: stores and queues');
  expect(Object.keys(files).sort()).toEqual(['_index.yaml', 'submit.lua', 'work.lua']);
  const r = await wisp(['run', '-x', 'app:submit'], { cwd: writeProject(files) });
  expect([r.code, r.stdout, r.stderr]).toEqual([0, 'job-7 -> 49\n', '']);
});
