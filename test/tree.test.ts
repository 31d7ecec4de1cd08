/**
 * The test tree mirrors src/: the tests of src/<part>/ are in test/<part>/, so what tests a file is found where
 * the file is. A folder with no src/ counterpart must be listed here with the reason.
 */
import { existsSync, readdirSync, statSync } from 'fs';
import { join, relative } from 'path';

const ROOT = join(__dirname, '..');

/** Test folders that test no part of src/, and why. */
const NOT_MIRRORS: Record<string, string> = {
  helpers: 'shared helpers of the tests (temp projects, the CLI as a child process, servers), no tests of their own',
  bench: "tests the benchmark harness, bench/ at the repository's root",
  package: 'the npm package as a whole (packed, installed, run), which is no one part of src/',
  'cli/examples': 'the example apps (fixtures/examples/, Wippy\'s examples) run through the real `wisp` command',
};

function folders(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => {
      const p = join(dir, d.name);
      return [p, ...folders(p)];
    });
}

test('every test folder has a src/ counterpart, or is listed with the reason it has none', () => {
  const test = join(ROOT, 'test');
  const unmatched = folders(test)
    .map((dir) => relative(test, dir).split('\\').join('/'))
    .filter((rel) => !Object.keys(NOT_MIRRORS).some((x) => rel === x || rel.startsWith(`${x}/`)))
    .filter((rel) => !(existsSync(join(ROOT, 'src', rel)) && statSync(join(ROOT, 'src', rel)).isDirectory()));
  expect(unmatched).toEqual([]);
});

test('every folder listed as having no src/ counterpart exists and indeed has none', () => {
  for (const rel of Object.keys(NOT_MIRRORS)) {
    expect([rel, existsSync(join(ROOT, 'test', rel))]).toEqual([rel, true]);
    expect([rel, existsSync(join(ROOT, 'src', rel))]).toEqual([rel, false]);
  }
});
