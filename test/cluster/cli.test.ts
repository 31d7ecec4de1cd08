/** The cluster settings of `wisp run`: mistakes are one line and exit 1; a standalone run never loads NATS. */
import { spawnSync } from 'child_process';
import { writeFileSync } from 'fs';
import { join } from 'path';
import { indexWithHosts, ROOT, wisp, writeProject } from '../helpers/cli';
import { describeNats, NatsServer } from '../helpers/nats';
import { freePort } from '../helpers/net';
import { oneThreadEnv } from '../helpers/pid';

const project = (): string =>
  writeProject({
    '_index.yaml': indexWithHosts('app', '  - name: main\n    kind: process.lua\n    source: file://main.lua\n    method: main\n'),
    'main.lua': 'return { main = function() return 0 end }\n',
  });

describe('wisp run cluster settings', () => {
  test.each([
    [['--node', 'a'], '', 'Error: --node needs a cluster: add --cluster nats://HOST:PORT\n'],
    [['--cluster', 'nats://127.0.0.1:1'], '', 'Error: a cluster node needs a name: --node NAME or WISP_NODE\n'],
    [['--cluster', 'nats://127.0.0.1:1', '--node', 'a.b'], '', 'Error: node name "a.b" must be 1-64 letters, digits, - or _\n'],
    [['--cluster', 'http://x', '--node', 'a'], '', 'Error: bad NATS server "http://x" (expected nats://HOST:PORT)\n'],
    [[], 'cluster:\n  enabled: true\n', /^Error: .*\.wippy\.yaml: cluster\.enabled is true but no NATS server is given \(cluster\.nats\.url or --cluster\)\n$/],
    [['--cluster', 'nats://127.0.0.1:1', '--node', 'a'], 'cluster:\n  heartbeat:\n    timeout: soon\n', /^Error: .*\.wippy\.yaml: cluster\.heartbeat\.timeout must be a positive duration like "5s"\n$/],
  ])('%j with .wippy.yaml %j', async (args, config, expected) => {
    const dir = project();
    if (config !== '') writeFileSync(join(dir, '.wippy.yaml'), `version: "1.0"\n${config}`);
    const r = await wisp(['run', ...args, '-x', 'app:main'], { cwd: dir });
    expect(r.code).toBe(1);
    if (typeof expected === 'string') expect(r.stderr).toBe(expected);
    else expect(r.stderr).toMatch(expected);
  });

  test('--config names the file to read; a missing one is an error', async () => {
    const dir = project();
    writeFileSync(join(dir, 'other.yaml'), 'version: "1.0"\ncluster:\n  nats:\n    url: http://nope\n');
    const r = await wisp(['run', '--config', 'other.yaml', '--node', 'a', '-x', 'app:main'], { cwd: dir });
    expect([r.code, r.stderr]).toEqual([1, 'Error: bad NATS server "http://nope" (expected nats://HOST:PORT)\n']);
    const missing = await wisp(['run', '--config', 'absent.yaml', '-x', 'app:main'], { cwd: dir });
    expect([missing.code, missing.stderr]).toEqual([1, 'Error: config file absent.yaml: not found\n']);
  });

  test('a NATS server that cannot be reached is one line naming it', async () => {
    const port = await freePort();
    const r = await wisp(['run', '--cluster', `nats://127.0.0.1:${port}`, '--node', 'a', '-x', 'app:main'], { cwd: project() });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^Error: cannot join the cluster at nats://127\\.0\\.0\\.1:${port}: .+\\n$`));
  });

  test('WISP_NODE names the node when --node is not given (the error then is about the server, not the name)', async () => {
    const port = await freePort();
    const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'wisp.js'), 'run', '--cluster', `nats://127.0.0.1:${port}`, '-x', 'app:main'], {
      cwd: project(), env: { ...process.env, WISP_NODE: 'n1' }, encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^Error: cannot join the cluster at /);
  });

  test('a standalone run loads neither the cluster code nor the NATS client nor msgpackr nor the threads\' code', () => {
    const script = `
      const { run } = require(${JSON.stringify(join(ROOT, 'dist', 'cli', 'run'))});
      run(['x'], { exec: 'app:main' }, process.argv[1]).then((code) => {
        const loaded = Object.keys(require.cache).filter((f) => /@nats-io|msgpackr|[\\\\/]dist[\\\\/]cluster[\\\\/](index|router|wire|threads)|[\\\\/]dist[\\\\/]cli[\\\\/]thread|[\\\\/]dist[\\\\/]hosts[\\\\/]node-snapshot/.test(f));
        console.log(JSON.stringify({ code, loaded }));
        process.exit(0);
      });`;
    const r = spawnSync(process.execPath, ['-e', script, project()], { encoding: 'utf8', env: oneThreadEnv() });
    expect(JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}')).toEqual({ code: 0, loaded: [] });
  });
});

describeNats('cluster credentials', () => {
  test('a token is passed to the NATS client (WISP_NATS_TOKEN or cluster.nats.token); without it the server refuses, in one line', async () => {
    const nats = await NatsServer.start(['--auth', 's3cret']);
    try {
      const dir = project();
      const args = [join(ROOT, 'bin', 'wisp.js'), 'run', '--cluster', nats.url, '--node', 'a', '-x', 'app:main'];
      const refused = spawnSync(process.execPath, args, { cwd: dir, encoding: 'utf8' });
      expect(refused.status).toBe(1);
      expect(refused.stderr).toMatch(/^Error: cannot join the cluster at nats:\/\/127\.0\.0\.1:\d+: .*(auth|Authorization).*\n$/i);
      const byEnv = spawnSync(process.execPath, args, { cwd: dir, encoding: 'utf8', env: { ...process.env, WISP_NATS_TOKEN: 's3cret' } });
      expect([byEnv.status, byEnv.stderr]).toEqual([0, '']);
      writeFileSync(join(dir, '.wippy.yaml'), 'version: "1.0"\ncluster:\n  nats:\n    token: s3cret\n');
      const byFile = spawnSync(process.execPath, args, { cwd: dir, encoding: 'utf8' });
      expect([byFile.status, byFile.stderr]).toEqual([0, '']);
    } finally {
      await nats.stop();
    }
  }, 60_000);
});
