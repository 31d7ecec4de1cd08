/**
 * The start-up check that Fengari runs with wisp's patches (scripts/fengari-patches/, applied at install by
 * scripts/patch-fengari.js). An unpatched or stale Fengari would run Lua, only wrongly (no preemption inside
 * pattern matching, colliding string keys, ...): the engine refuses to load instead, in one line that names
 * what is missing and how to fix it.
 */
import * as fs from 'fs';
import * as path from 'path';

interface PatchSet {
  readonly ids: readonly string[];
  readonly digest: string;
}

/** The set as the build saw it (dist/engine/fengari-patch-digest.js); absent when running from src/. */
interface BuiltSet {
  readonly digest: string;
}

interface Stamp {
  readonly digest?: string;
  readonly patches?: readonly string[];
}

const PACKAGE_ROOT = path.join(__dirname, '..', '..');
const FIX = `run \`node ${path.join(PACKAGE_ROOT, 'scripts', 'patch-fengari.js')}\``;

let checked: string | null | undefined;

/** Why the Fengari in `fengari` (default: the one `require` finds) is not as wisp needs it, or null. */
export function fengariPatchProblem(fengari?: string): string | null {
  if (fengari !== undefined) return problemOf(fengari);
  if (checked === undefined) checked = problemOf(path.dirname(require.resolve('fengari/package.json')));
  return checked;
}

function problemOf(fengari: string): string | null {
  const stampFile = path.join(fengari, 'wisp-patches.json');
  if (!fs.existsSync(stampFile)) return `Fengari is not patched for wisp (was it installed with --ignore-scripts?): ${FIX}`;
  const stamp = JSON.parse(fs.readFileSync(stampFile, 'utf8')) as Stamp;
  // The usual start-up: the stamp shows the set this build was made with, and no patch file is read or hashed.
  if (stamp.digest !== undefined && stamp.digest === builtDigest()) return null;
  const setFile = path.join(PACKAGE_ROOT, 'scripts', 'fengari-patch-set.js');
  // An installed package without its scripts can only trust the stamp.
  if (!fs.existsSync(setFile)) return null;
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const set = (require(setFile) as { patchSet(): PatchSet }).patchSet();
  if (stamp.digest === set.digest) return null;
  const applied = new Set(stamp.patches ?? []);
  const missing = set.ids.filter((id) => !applied.has(id));
  const what = missing.length > 0 ? `patch ${missing.join(', ')} is not applied` : 'a patch changed since it was applied';
  return `Fengari's wisp patches are out of date (${what}): ${FIX}`;
}

function builtDigest(): string | null {
  const file = path.join(__dirname, 'fengari-patch-digest.js');
  if (!fs.existsSync(file)) return null;
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  return (require(file) as BuiltSet).digest;
}

/**
 * Throws the one-line problem, if any, with the code `WISP_FENGARI_UNPATCHED` (bin/wisp.js prints just the
 * line). The engine asks when it loads, before anything reads what the patches add.
 */
export function assertFengariPatched(): void {
  const problem = fengariPatchProblem();
  if (problem !== null) throw Object.assign(new Error(problem), { code: 'WISP_FENGARI_UNPATCHED' });
}
