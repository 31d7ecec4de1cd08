/**
 * wisp as a package, as a new user meets it: `npm pack` in a copy of the checkout (dist/ and its declarations
 * built by the pack itself), the tarball installed into a fresh directory, then the README's embedding example
 * typechecked (strict, without skipLibCheck: no internal type may leak) and run against the installed
 * package, and `npx wisp-lua init` + the echo tutorial run from the installed package's own copy.
 *
 * npm takes the dependencies from its cache when it has them (`--prefer-offline`); the commands run after the
 * install are offline (`npm_config_offline`). Installing compiles better-sqlite3 where no prebuilt binary can be
 * downloaded: minutes, hence the whole suite only (it starts child processes).
 */
import { spawn, spawnSync } from 'child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

const ROOT = join(__dirname, '..', '..');
// eslint-disable-next-line no-control-regex
const plain = (s: string): string => s.replace(/\x1b\[[0-9;]*m/g, '');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const INSTALL_MS = 15 * 60_000;

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(command: string, args: string[], cwd: string, options: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

const must = (r: Run, what: string): Run => {
  if (r.code !== 0) throw new Error(`${what} failed (${r.code}):\n${r.stderr}\n${r.stdout}`);
  return r;
};

/** The checkout as git sees it (tracked and untracked-but-not-ignored files), without dist/ and node_modules/. */
function copyCheckout(): string {
  const copy = mkdtempSync(join(tmpdir(), 'wisp-checkout-'));
  const listed = spawnSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' });
  if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`);
  for (const file of listed.stdout.split('\0').filter((f) => f !== '' && existsSync(join(ROOT, f)))) {
    cpSync(join(ROOT, file), join(copy, file), { recursive: true });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
  return copy;
}

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
const offline = { ...process.env, npm_config_offline: 'true', npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };

let consumer = '';
let tarball = '';

beforeAll(async () => {
  const checkout = copyCheckout();
  const packed = mkdtempSync(join(tmpdir(), 'wisp-tarball-'));
  must(await run(npm, ['pack', '--pack-destination', packed], checkout, { timeoutMs: INSTALL_MS }), 'npm pack');
  tarball = join(packed, readdirSync(packed).find((f) => f.endsWith('.tgz')) ?? 'none');
  consumer = mkdtempSync(join(tmpdir(), 'wisp-consumer-'));
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
  must(await run(npm, ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], consumer, { timeoutMs: INSTALL_MS }), 'npm install');
}, 2 * INSTALL_MS);

describe('the packed tarball', () => {
  test('holds dist/ with declarations, the bin, the patches and the tutorial; no tests, fixtures or benchmarks', () => {
    const listing = spawnSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).stdout.split('\n');
    for (const file of ['package/dist/index.js', 'package/dist/index.d.ts', 'package/dist/cli/main.js', 'package/bin/wisp.js', 'package/scripts/patch-fengari.js', 'package/lua/echo-service/src/_index.yaml']) {
      expect(listing).toContain(file);
    }
    expect(listing.filter((f) => /^package\/(test|fixtures|bench|src|\.ci)\//.test(f))).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(consumer, 'node_modules', 'wisp-lua', 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest.private).toBeUndefined();
    expect(manifest.bin).toEqual({ wisp: 'bin/wisp.js' });
  });

  test('the install patched Fengari where it installed it', () => {
    const luaconf = readFileSync(require.resolve('fengari/src/luaconf.js', { paths: [join(consumer, 'node_modules', 'wisp-lua')] }), 'utf8');
    expect(luaconf).toContain('wisp_limits');
  });
});

describe('an install that skipped the scripts', () => {
  test('says in one line that Fengari is unpatched and how to patch it; that command makes it work', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wisp-noscripts-'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
    must(await run(npm, ['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', tarball], dir, { timeoutMs: INSTALL_MS }), 'npm install --ignore-scripts');
    const bin = join(dir, 'node_modules', '.bin', 'wisp');
    const refused = await run(bin, ['version', '--short'], dir);
    const script = join(dir, 'node_modules', 'wisp-lua', 'scripts', 'patch-fengari.js');
    expect([refused.code, refused.stdout, refused.stderr]).toEqual([1, '', `Error: Fengari is not patched for wisp (was it installed with --ignore-scripts?): run \`node ${script}\`\n`]);
    must(await run(process.execPath, [script], dir), 'patch-fengari');
    expect(must(await run(bin, ['version', '--short'], dir), 'wisp version').stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  }, INSTALL_MS);
});

describe('embedding the installed package', () => {
  test("the README's example typechecks (strict, no skipLibCheck) and exchanges messages with Lua processes", async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = readme.split('\n## Embedding in a Node program\n')[1].split('\n## ')[0];
    const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    expect(code).toContain("from 'wisp-lua'");
    writeFileSync(join(consumer, 'main.ts'), code);
    writeFileSync(join(consumer, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        strict: true, target: 'ES2022', module: 'commonjs', moduleResolution: 'node10', esModuleInterop: true, skipLibCheck: false,
        types: ['node'], typeRoots: [join(ROOT, 'node_modules', '@types')],
      },
      files: ['main.ts'],
    }));
    must(await run(process.execPath, [TSC, '-p', '.'], consumer), 'tsc');
    const r = must(await run(process.execPath, ['main.js'], consumer, { env: offline }), 'main.js');
    expect(r.stdout).toBe([
      "greeting { text: 'hello, Ada', waited: '10 ms later', count: 1 }",
      "greeting { text: 'hello, Grace', waited: '10 ms later', count: 2 }",
      'double(21) = 42',
      '',
    ].join('\n'));
  }, 120_000);

  test('a deep import into dist/ is not part of the API', async () => {
    const r = await run(process.execPath, ['-e', "require('wisp-lua/dist/hosts/runtime')"], consumer);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('ERR_PACKAGE_PATH_NOT_EXPORTED');
  });
});

describe('the command from the installed package', () => {
  test('npx wisp-lua init, then the echo tutorial runs', async () => {
    const project = join(consumer, 'echo');
    mkdirSync(project);
    const init = must(await run(npx, ['wisp-lua', 'init'], project, { env: offline }), 'npx wisp-lua init');
    expect(init.stderr).toContain('lock file initialized successfully');
    expect(readFileSync(join(project, 'wippy.lock'), 'utf8')).toContain('src: ./src');
    // The tutorial as the package ships it; the relay ignores CANCEL, so it stops after its 10 s stop_timeout.
    cpSync(join(consumer, 'node_modules', 'wisp-lua', 'lua', 'echo-service', 'src'), join(project, 'src'), { recursive: true });
    const r = must(await run(npx, ['wisp-lua', 'run', '-x', 'app:terminal/app:cli'], project, { env: offline, input: 'hello world\n' }), 'echo');
    const stdout = plain(r.stdout); // the tutorial colours its own output
    expect(stdout).toContain('Echo Client\n');
    expect(stdout).toContain('>   HELLO WORLD\n');
    expect(stdout.endsWith('\nGoodbye!\n')).toBe(true);
    expect(r.stderr).toContain('did not stop on CANCEL');
  }, 120_000);

  test('npx wisp (the bin name) works in the project too, and says its version', async () => {
    const r = must(await run(npx, ['wisp', 'version', '--short'], consumer, { env: offline }), 'npx wisp version');
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
  });
});
