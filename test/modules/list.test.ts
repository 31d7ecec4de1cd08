/** The module list is the one description of the modules: the README's table and the folders follow it. */
import { existsSync, readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { MODULES } from '../../src/modules';

const ROOT = join(__dirname, '..', '..');

describe('the module list', () => {
  const listed = MODULES.filter((m) => !m.hidden);

  test("the README's module table is the list, in order, with each description", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const table = /<!-- modules:begin -->([^]*?)<!-- modules:end -->/.exec(readme)?.[1] ?? '';
    const rows = [...table.matchAll(/^\| `([a-z_0-9]+)` \| (.*) \|$/gm)].map((m) => [m[1], m[2]]);
    expect(rows).toEqual(listed.map((m) => [m.name, m.description]));
  });

  test('every module is a folder with index.ts and spec.md, named as it is required', () => {
    const folders = readdirSync(join(ROOT, 'src', 'modules'), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
    expect(folders.sort()).toEqual(MODULES.map((m) => m.name).sort());
    const incomplete = MODULES.filter((m) => ['index.ts', 'spec.md'].some((f) => !existsSync(join(ROOT, 'src', 'modules', m.name, f)))).map((m) => m.name);
    expect(incomplete).toEqual([]);
  });

  test('names are unique and every module comes after those it needs', () => {
    expect(new Set(MODULES.map((m) => m.name)).size).toBe(MODULES.length);
    MODULES.forEach((m, i) => (m.needs ?? []).forEach((n) => expect(MODULES.indexOf(n)).toBeLessThan(i)));
  });
});
