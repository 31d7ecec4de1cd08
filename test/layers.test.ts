/**
 * The layers of src/, data flowing one way: a directory may import only from the layers below it (and from
 * itself), and no files import each other's values in a circle (outside engine/, where the VM, its processes
 * and the watchdog are one unit). Type-only imports count as edges between layers, not as circles.
 */
import { readdirSync, readFileSync, existsSync } from 'fs';
import { dirname, join, normalize, relative } from 'path';

const SRC = join(__dirname, '..', 'src');

/** Each layer and what it may import besides itself. */
const BASE = ['lib', 'util', 'dialect', 'types'];
const MAY_IMPORT: Record<string, readonly string[]> = {
  lib: ['util'], // util is the floor: small helpers (timers, queues, bounded caches) any library may use
  util: [],
  dialect: [],
  types: [],
  kernel: BASE,
  registry: [...BASE, 'kernel'],
  engine: [...BASE, 'kernel', 'registry'],
  api: [...BASE, 'kernel', 'registry', 'engine'],
  modules: [...BASE, 'kernel', 'registry', 'engine', 'api'],
  services: [...BASE, 'kernel', 'registry', 'engine', 'api'],
  hosts: [...BASE, 'kernel', 'registry', 'engine', 'api', 'modules', 'services'],
  cluster: [...BASE, 'kernel', 'api'],
  cli: [...BASE, 'kernel', 'registry', 'engine', 'api', 'modules', 'services', 'hosts', 'cluster'],
};

interface Import {
  readonly from: string;
  readonly to: string;
  readonly typeOnly: boolean;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    return d.isDirectory() ? sources(p) : d.name.endsWith('.ts') ? [p] : [];
  });
}

function resolveImport(file: string, spec: string): string | null {
  const p = normalize(join(dirname(file), spec));
  for (const c of [`${p}.ts`, join(p, 'index.ts'), `${p}.d.ts`]) if (existsSync(c)) return c;
  return null;
}

const IMPORT = /^(import|export)(\s+type)?([^;]*?)from '(\.[^']+)'/gms;

function importsOf(file: string): Import[] {
  const out: Import[] = [];
  for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
    const to = resolveImport(file, m[4]);
    if (to === null) continue;
    const named = /^\s*\{([^}]*)\}\s*$/.exec(m[3]);
    const allTypes = named !== null && named[1].split(',').map((s) => s.trim()).filter(Boolean).every((s) => s.startsWith('type '));
    out.push({ from: file, to, typeOnly: m[2] !== undefined || (m[1] === 'import' && allTypes) });
  }
  return out;
}

const layerOf = (file: string): string => relative(SRC, file).split('/')[0];
const FILES = sources(SRC);
const IMPORTS = FILES.flatMap(importsOf);

describe('layers', () => {
  test('every directory of src/ is a known layer', () => {
    const dirs = readdirSync(SRC, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
    expect(dirs.filter((d) => !(d in MAY_IMPORT))).toEqual([]);
  });

  test('no import goes up or sideways', () => {
    const wrong = IMPORTS.filter((i) => layerOf(i.from) !== layerOf(i.to) && !MAY_IMPORT[layerOf(i.from)]?.includes(layerOf(i.to)))
      .map((i) => `${relative(SRC, i.from)} -> ${relative(SRC, i.to)}`);
    expect(wrong).toEqual([]);
  });

  test('no files import values from each other in a circle (outside engine/)', () => {
    const graph = new Map<string, string[]>();
    for (const i of IMPORTS) if (!i.typeOnly) graph.set(i.from, [...(graph.get(i.from) ?? []), i.to]);
    const circles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const path: string[] = [];
    const visit = (f: string): void => {
      state.set(f, 'open');
      path.push(f);
      for (const t of graph.get(f) ?? []) {
        if (state.get(t) === 'open') {
          const circle = path.slice(path.indexOf(t));
          if (!circle.every((c) => layerOf(c) === 'engine')) circles.push(circle.map((c) => relative(SRC, c)).join(' -> '));
        } else if (state.get(t) === undefined) visit(t);
      }
      path.pop();
      state.set(f, 'done');
    };
    for (const f of FILES) if (state.get(f) === undefined) visit(f);
    expect(circles).toEqual([]);
  });

  test('the contracts layer holds types only', () => {
    const code = FILES.filter((f) => layerOf(f) === 'api').filter((f) =>
      /^export (const|function|class|let|enum)\b/m.test(readFileSync(f, 'utf8')));
    expect(code.map((f) => relative(SRC, f))).toEqual([]);
  });
});
