/**
 * Bad input to the CLI through the real command: the runtime config (`.wippy.yaml`, `--config`) goes through the
 * same gate as the project's other files (no FIFO, no device, no link out of the project), and `wisp init`
 * writes `wippy.lock` atomically (a full disk leaves the old file or none, never an empty one, which a run
 * refuses). Each mistake is one line naming the file, exit code 1, at once.
 */
import { execFileSync, spawnSync } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { wisp, type CliResult } from '../helpers/cli';

const LOCK = 'directories:\n    modules: .wippy\n    src: ./src\n';
const INDEX = `namespace: app
entries:
  - {name: terminal, kind: terminal.host}
  - {name: main, kind: process.lua, method: main, source: "file://main.lua"}
`;
/** Generous: the bound is there to catch a hang, not to time the CLI. */
const QUICK_MS = 10_000;

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wisp-input-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'wippy.lock'), LOCK);
  writeFileSync(join(dir, 'src', '_index.yaml'), INDEX);
  writeFileSync(join(dir, 'src', 'main.lua'), 'return { main = function() return "ran" end }\n');
  return dir;
}

const run = (dir: string, args: string[] = []): Promise<CliResult> => wisp([...args, 'run', '-x', 'app:main'], { cwd: dir, timeoutMs: 3 * QUICK_MS });

function expectUserError(r: CliResult, line: string): void {
  expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code: 1, stdout: '', stderr: `Error: ${line}\n` });
  expect(r.ms).toBeLessThan(QUICK_MS);
}

describe('the runtime config file goes through the project-files gate', () => {
  test('.wippy.yaml as a FIFO: refused at once (it used to hang the run)', async () => {
    const dir = project();
    execFileSync('mkfifo', [join(dir, '.wippy.yaml')]);
    expectUserError(await run(dir), 'config file .wippy.yaml: not a regular file (a FIFO)');
  });

  test('.wippy.yaml linked to /dev/zero or out of the project: refused, naming where it leads', async () => {
    const dir = project();
    symlinkSync('/dev/zero', join(dir, '.wippy.yaml'));
    expectUserError(await run(dir), 'config file .wippy.yaml: leads outside the project directory (to /dev/zero)');
    const outside = mkdtempSync(join(tmpdir(), 'wisp-outside-'));
    dirs.push(outside);
    writeFileSync(join(outside, 'secret.yaml'), 'version: "1.0"\nlogger:\n  level: debug\n');
    rmSync(join(dir, '.wippy.yaml'));
    symlinkSync(join(outside, 'secret.yaml'), join(dir, '.wippy.yaml'));
    expectUserError(await run(dir), `config file .wippy.yaml: leads outside the project directory (to ${join(outside, 'secret.yaml')})`);
  });

  test('.wippy.yaml linked inside the project is read; a link to nothing is named', async () => {
    const dir = project();
    writeFileSync(join(dir, 'config.yaml'), 'version: "1.0"\nlogger:\n  level: debug\n');
    symlinkSync('config.yaml', join(dir, '.wippy.yaml'));
    expect(await run(dir)).toMatchObject({ code: 0, stdout: 'ran\n' });
    rmSync(join(dir, '.wippy.yaml'));
    symlinkSync('missing.yaml', join(dir, '.wippy.yaml'));
    expectUserError(await run(dir), 'config file .wippy.yaml: a symbolic link to nothing');
  });

  test('--config: a FIFO or a device is refused; a regular file the operator names may be outside the project', async () => {
    const dir = project();
    execFileSync('mkfifo', [join(dir, 'config.fifo')]);
    expectUserError(await run(dir, ['--config', 'config.fifo']), 'config file config.fifo: not a regular file (a FIFO)');
    expectUserError(await run(dir, ['--config', '/dev/zero']), 'config file /dev/zero: not a regular file (a character device)');
    const outside = mkdtempSync(join(tmpdir(), 'wisp-outside-'));
    dirs.push(outside);
    writeFileSync(join(outside, 'prod.yaml'), 'version: "1.0"\nlogger:\n  level: warn\n');
    expect(await run(dir, ['--config', join(outside, 'prod.yaml')])).toMatchObject({ code: 0, stdout: 'ran\n' });
  });
});

describe('wisp init writes wippy.lock atomically; an empty lock is refused', () => {
  test('an empty wippy.lock (what an interrupted write leaves) is refused by a run; wisp init rewrites it', async () => {
    const dir = project();
    writeFileSync(join(dir, 'wippy.lock'), '');
    expectUserError(await run(dir), 'wippy.lock: the lock file is empty (left by an interrupted write?): run `wisp init` to write it again');
    const init = await wisp(['init'], { cwd: dir });
    expect(init).toMatchObject({ code: 0, stderr: 'lock file initialized successfully\n' });
    expect(readFileSync(join(dir, 'wippy.lock'), 'utf8')).toBe(LOCK);
    expect(await run(dir)).toMatchObject({ code: 0, stdout: 'ran\n' });
  });

  // A small tmpfs filled up is a full disk; mounting one needs root (the tests skip without it).
  const full = mkdtempSync(join(tmpdir(), 'wisp-full-'));
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', full]).status === 0;
  afterAll(() => {
    if (mounted) spawnSync('umount', [full]);
    rmSync(full, { recursive: true, force: true });
  });
  const onFullDisk = mounted ? test : test.skip;

  onFullDisk('on a full disk: one line naming the file; no wippy.lock (or the old one, whole) and no temporary file left', async () => {
    const fresh = join(full, 'fresh');
    const old = join(full, 'old');
    mkdirSync(fresh);
    mkdirSync(old);
    const kept = `${LOCK}modules:\n    - name: wippy/http\n      version: v1.0.0\n`;
    writeFileSync(join(old, 'wippy.lock'), kept);
    spawnSync('dd', ['if=/dev/zero', `of=${join(full, 'filler')}`, 'bs=1k', 'count=1024']); // fills it (and fails, full)
    const r1 = await wisp(['init'], { cwd: fresh });
    expect({ code: r1.code, stderr: r1.stderr }).toEqual({ code: 1, stderr: 'Error: cannot write wippy.lock: no space left on device\n' });
    expect(readdirSync(fresh)).toEqual([]);
    const r2 = await wisp(['init', '--src-dir', './lib'], { cwd: old });
    expect({ code: r2.code, stderr: r2.stderr }).toEqual({ code: 1, stderr: 'Error: cannot write wippy.lock: no space left on device\n' });
    expect(readdirSync(old)).toEqual(['wippy.lock']);
    expect(readFileSync(join(old, 'wippy.lock'), 'utf8')).toBe(kept);
    // Room again: the same command works, keeping the modules.
    rmSync(join(full, 'filler'));
    expect(await wisp(['init', '--src-dir', './lib'], { cwd: old })).toMatchObject({ code: 0 });
    expect(readFileSync(join(old, 'wippy.lock'), 'utf8')).toContain('src: ./lib');
    expect(readFileSync(join(old, 'wippy.lock'), 'utf8')).toContain('wippy/http');
    expect(existsSync(join(fresh, 'wippy.lock'))).toBe(false);
  });
});
