/**
 * No internal type leaks through the package's API: the files whose declarations src/index.ts exposes import
 * nothing but each other, so a program typechecking against the package never loads the kernel's, engine's or
 * Fengari's types. (test/package/install.test.ts checks the same on the installed package, without skipLibCheck.)
 */
import { readFileSync } from 'fs';
import { join } from 'path';

const SRC = join(__dirname, '..', '..', 'src');
/** The files src/index.ts re-exports from, and whose declarations are therefore public. */
const PUBLIC = ['embed/values.ts', 'embed/module.ts', 'embed/types.ts'];
const FROM = /^(?:import|export)[^;]*?from '([^']+)'/gm;

const importsOf = (file: string): string[] => [...readFileSync(join(SRC, file), 'utf8').matchAll(FROM)].map((m) => m[1]);

test('src/index.ts exports only from the public files and createRuntime', () => {
  expect(new Set(importsOf('index.ts'))).toEqual(new Set(['./embed/runtime', './embed/values', './embed/module', './embed/types']));
  const index = readFileSync(join(SRC, 'index.ts'), 'utf8');
  expect(index).toMatch(/export \{ createRuntime \} from '.\/embed\/runtime';/);
});

test('the public files import only each other', () => {
  for (const file of PUBLIC) expect({ file, imports: importsOf(file).filter((i) => !['./values', './module', './types'].includes(i)) }).toEqual({ file, imports: [] });
});

test("createRuntime's signature uses only public types", () => {
  const runtime = readFileSync(join(SRC, 'embed', 'runtime.ts'), 'utf8');
  const signature = /export function createRuntime\(([^)]*)\): (\w+)/.exec(runtime);
  expect(signature).not.toBeNull();
  const named = (signature?.[1] ?? '').match(/[A-Z]\w+/g) ?? [];
  const fromTypes = /import type \{([^}]*)\} from '.\/types';/.exec(runtime)?.[1].split(',').map((s) => s.trim()) ?? [];
  for (const name of [...named, signature?.[2] ?? '']) expect(fromTypes).toContain(name);
});
