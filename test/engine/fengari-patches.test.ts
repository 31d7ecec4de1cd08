/**
 * The Fengari fork, owned: scripts/fengari-patches/README.md indexes every patch, the set applied to a copy of
 * the release as published gives exactly the installed sources, a patch whose target is gone fails the install
 * naming itself, and the engine's start-up check names what is missing.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { fengariPatchProblem } from '../../src/engine/fengari-patches';

const ROOT = path.join(__dirname, '..', '..');
const PATCHES = path.join(ROOT, 'scripts', 'fengari-patches');
const SCRIPT = path.join(ROOT, 'scripts', 'patch-fengari.js');
const installed = path.dirname(require.resolve('fengari/package.json'));
const pristine = path.dirname(require.resolve('fengari-pristine/package.json'));

const patchIds = (): string[] => fs.readdirSync(PATCHES).filter((n) => n.endsWith('.js')).sort().map((n) => n.slice(0, -3));

/** A copy of the release as published, in a temp dir named like the package. */
function pristineCopy(): string {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'wisp-fengari-')), 'fengari');
  fs.mkdirSync(path.join(dir, 'src'), { recursive: true });
  fs.copyFileSync(path.join(pristine, 'package.json'), path.join(dir, 'package.json'));
  for (const name of fs.readdirSync(path.join(pristine, 'src'))) fs.copyFileSync(path.join(pristine, 'src', name), path.join(dir, 'src', name));
  return dir;
}

test('the index lists every patch once, in order, numbered 01.. without gaps, each with an existing test or bench', () => {
  const ids = patchIds();
  expect(ids.map((id) => id.slice(0, 2))).toEqual(ids.map((_, i) => String(i + 1).padStart(2, '0')));
  const rows = fs.readFileSync(path.join(PATCHES, 'README.md'), 'utf8').split('\n').filter((l) => /^\| \d\d-/.test(l));
  expect(rows.map((r) => r.split('|')[1].trim())).toEqual(ids);
  for (const row of rows) {
    const covered = row.split('|')[4].trim();
    if (covered !== 'bench') expect(fs.existsSync(path.join(ROOT, covered))).toBe(true);
  }
});

test('the set applied to the release as published gives the installed sources, byte for byte', () => {
  const dir = pristineCopy();
  execFileSync(process.execPath, [SCRIPT, dir], { stdio: 'pipe' });
  for (const name of fs.readdirSync(path.join(installed, 'src'))) {
    expect([name, fs.readFileSync(path.join(dir, 'src', name), 'utf8') === fs.readFileSync(path.join(installed, 'src', name), 'utf8')]).toEqual([name, true]);
  }
  expect(fengariPatchProblem(dir)).toBeNull();
  expect(fengariPatchProblem()).toBeNull();
});

test('a patch whose target text is gone fails the install, naming the patch and the text', () => {
  const dir = pristineCopy();
  const corolib = path.join(dir, 'src', 'lcorolib.js');
  fs.writeFileSync(corolib, fs.readFileSync(corolib, 'utf8').replace('return lua_yield(L, lua_gettop(L));', 'return 0;'));
  const r = spawnSync(process.execPath, [SCRIPT, dir], { encoding: 'utf8' });
  expect(r.status).toBe(1);
  expect(r.stderr.trim()).toBe('patch-fengari: 09-yield-without-throw: coroutine.yield not found in lcorolib.js; not patched');
  expect(fs.existsSync(path.join(dir, 'wisp-patches.json'))).toBe(false);
});

test('the start-up check names an unpatched Fengari and a missing patch in one line', () => {
  const dir = pristineCopy();
  expect(fengariPatchProblem(dir)).toBe(`Fengari is not patched for wisp (was it installed with --ignore-scripts?): run \`node ${SCRIPT}\``);
  const ids = patchIds();
  fs.writeFileSync(path.join(dir, 'wisp-patches.json'), JSON.stringify({ version: '0.1.5', digest: 'old', patches: ids.filter((id) => id !== '07-fast-rep') }));
  expect(fengariPatchProblem(dir)).toBe(`Fengari's wisp patches are out of date (patch 07-fast-rep is not applied): run \`node ${SCRIPT}\``);
  fs.writeFileSync(path.join(dir, 'wisp-patches.json'), JSON.stringify({ version: '0.1.5', digest: 'old', patches: ids }));
  expect(fengariPatchProblem(dir)).toContain('(a patch changed since it was applied)');
});

test('the build records the set it was made with beside the compiled check, so start-up needs not hash the patches', () => {
  const built = path.join(ROOT, 'dist', 'engine', 'fengari-patch-digest.js');
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { patchSet } = require(path.join(ROOT, 'scripts', 'fengari-patch-set.js')) as { patchSet(): { ids: string[]; digest: string } };
  const set = patchSet();
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  expect(require(built)).toEqual({ ids: set.ids, digest: set.digest });
  const stamp = JSON.parse(fs.readFileSync(path.join(installed, 'wisp-patches.json'), 'utf8')) as { digest: string };
  expect(stamp.digest).toBe(set.digest);
});
