import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { RegistryError, loadProject } from '../../src/registry';

export const FIXTURES = path.resolve(__dirname, '../../fixtures/registry');

export function fixture(name: string): string {
  return path.join(FIXTURES, name);
}

/** The RegistryError loading a fixture throws (fails the test if it loads, or throws anything else). */
export function loadError(name: string): RegistryError {
  try {
    loadProject(fixture(name));
  } catch (err) {
    if (err instanceof RegistryError) return err;
    throw err;
  }
  throw new Error(`fixture ${name} loaded without error`);
}

const temps: string[] = [];

/** A throwaway project directory built from `files` (path → contents). */
export function tempProject(files: Record<string, string> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wisp-registry-'));
  temps.push(dir);
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
  return dir;
}

export const LOCK = 'directories:\n    modules: .wippy\n    src: ./src\n';

export function removeTempProjects(): void {
  for (const dir of temps.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}
