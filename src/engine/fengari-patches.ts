/**
 * The start-up check that Fengari runs with wisp's patches (scripts/fengari-patches/, applied at install by
 * scripts/patch-fengari.js). An unpatched or stale Fengari would run Lua, only wrongly (no preemption inside
 * pattern matching, colliding string keys, ...): the first VM refuses to start instead, in one line that names
 * what is missing and how to fix it.
 */
import * as fs from 'fs';
import * as path from 'path';

interface PatchSet {
  readonly ids: readonly string[];
  readonly digest: string;
}

interface Stamp {
  readonly digest?: string;
  readonly patches?: readonly string[];
}

const PACKAGE_ROOT = path.join(__dirname, '..', '..');
const FIX = 'run `node scripts/patch-fengari.js` (or reinstall wisp)';

let checked: string | null | undefined;

/** Why the Fengari in `fengari` (default: the one `require` finds) is not as wisp needs it, or null. */
export function fengariPatchProblem(fengari?: string): string | null {
  if (fengari !== undefined) return problemOf(fengari);
  if (checked === undefined) checked = problemOf(path.dirname(require.resolve('fengari/package.json')));
  return checked;
}

function problemOf(fengari: string): string | null {
  const stampFile = path.join(fengari, 'wisp-patches.json');
  if (!fs.existsSync(stampFile)) return `Fengari at ${fengari} is not patched for wisp: ${FIX}`;
  const stamp = JSON.parse(fs.readFileSync(stampFile, 'utf8')) as Stamp;
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

/** Throws the one-line problem, if any (the first VM of a process asks). */
export function assertFengariPatched(): void {
  const problem = fengariPatchProblem();
  if (problem !== null) throw new Error(problem);
}
