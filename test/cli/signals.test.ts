import { spawn } from 'child_process';
import { writeFileSync } from 'fs';
import { join } from 'path';
import { plain, projectCopy, ROOT, wisp, WISP } from '../helpers/cli';

const SUPERVISION = join(ROOT, 'fixtures', 'supervision');

function project(services: string): string {
  const dir = projectCopy(SUPERVISION);
  const yaml = `version: "1.0"
namespace: sig
entries:
  - name: processes
    kind: process.host
    lifecycle:
      auto_start: true
  - name: service
    kind: process.lua
    source: file://service.lua
    method: main
    modules: [time, logger]
${services}`;
  writeFileSync(join(dir, 'src', '_index.yaml'), yaml);
  return dir;
}

const service = (name: string, behaviour: string, extra = '') => `  - name: ${name}
    kind: process.service
    process: service
    host: processes
    input: [${behaviour}]
    lifecycle:
      auto_start: true
${extra}`;

/** Starts `wisp run -c` and resolves once every named service is running. */
function start(dir: string, running: string[]) {
  const child = spawn(process.execPath, [WISP, 'run', '-c'], { cwd: dir, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += plain(d.toString())));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const ready = new Promise<void>((resolve) => {
    child.stdout.on('data', (d: Buffer) => {
      stdout += plain(d.toString());
      if (running.every((s) => stdout.includes(`service running  {"service": "${s}"`))) resolve();
    });
  });
  return { child, exited, ready, out: () => stdout, err: () => stderr };
}

describe('signals', () => {
  test('SIGINT: services that honour CANCEL stop at once, in reverse dependency order; exit code 0', async () => {
    const dir = project(service('first', 'graceful') + service('second', 'graceful', '      requires: [first]\n'));
    const run = start(dir, ['sig:first', 'sig:second']);
    await run.ready;
    const t0 = Date.now();
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(7000); // at once, not after the 10 s default stop_timeout (margin for a loaded machine)
    const stopped = [...run.out().matchAll(/service stopped  \{"service": "(sig:\w+)"/g)].map((m) => m[1]);
    expect(stopped).toEqual(['sig:second', 'sig:first']);
    expect(run.out()).toContain('stopping  {"pid": ');
    expect(run.err()).toBe('');
  });

  test('a service that ignores CANCEL: one line says what shutdown waits for; a second SIGINT exits at once with 1', async () => {
    const dir = project(service('stubborn', 'stubborn', '      stop_timeout: 20s\n'));
    const run = start(dir, ['sig:stubborn']);
    await run.ready;
    run.child.kill('SIGINT');
    while (!run.err().includes('waiting')) await new Promise((r) => setTimeout(r, 20));
    expect(run.err()).toBe('sig:stubborn did not stop on CANCEL; waiting up to 20s (stop_timeout); Ctrl+C to exit now\n');
    const t0 = Date.now();
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(1);
    expect(Date.now() - t0).toBeLessThan(10_000); // at once, not after the 20 s stop_timeout
    expect(run.err()).toContain('force exit\n');
  });

  test('SIGTERM shuts down like SIGINT', async () => {
    const run = start(project(service('only', 'graceful')), ['sig:only']);
    await run.ready;
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
  });

  test('a dependency cycle is a load error naming the cycle', async () => {
    const dir = project(service('a', 'graceful', '      requires: [b]\n') + service('b', 'graceful', '      requires: [a]\n'));
    const r = await wisp(['run'], { cwd: dir });
    expect([r.code, r.stderr]).toEqual([1, 'Error: dependency cycle: sig:a -> sig:b -> sig:a\n']);
  });

  test('with --threads 2 the same mistake is still the one line (a worker failing alike is not logged over it)', async () => {
    const dir = project(service('a', 'graceful', '      requires: [b]\n') + service('b', 'graceful', '      requires: [a]\n'));
    const r = await wisp(['run', '--threads', '2'], { cwd: dir });
    expect([r.code, r.stderr]).toEqual([1, 'Error: dependency cycle: sig:a -> sig:b -> sig:a\n']);
  });
});
