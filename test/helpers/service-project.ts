/**
 * A throwaway project booted in-process with its services (real registry, kernel, Lua hosts, fs and exec
 * services), for the modules that need service entries: write the definitions and Lua files, boot, run a
 * process.lua entry and get its result as plain JS.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { dirname, join } from 'path';
import { loadProject } from '../../src/registry';
import { Runtime } from '../../src/hosts/runtime';
import { SILENT } from '../../src/modules/logger';
import { type Value } from '../../src/kernel/value';
import { runEntry } from './project';
import { valueToPlain } from '../../src/engine/plain';

/** Writes `files` (paths relative to the project) under a fresh temp directory; wippy.lock is added unless given. */
export function writeFiles(files: Record<string, string>, root = mkdtempSync(join(tmpdir(), 'wisp-svc-'))): string {
  const all = { 'wippy.lock': 'directories:\n  src: ./src\n', ...files };
  for (const [path, text] of Object.entries(all)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

/** The definitions of a test namespace `t` with a process host, the given entries added. */
export function definitions(entries: string): string {
  return `version: "1.0"\nnamespace: t\nentries:\n  - name: host\n    kind: process.host\n    lifecycle: { auto_start: true }\n${entries}`;
}

/** A process.lua entry `name` running `file` with `modules`. */
export function luaEntry(name: string, file: string, modules: string[]): string {
  return `  - name: ${name}\n    kind: process.lua\n    source: file://${file}\n    method: main\n    modules: [${modules.join(', ')}]\n`;
}

export async function bootProject(dir: string): Promise<Runtime> {
  const rt = new Runtime(loadProject(dir), { logs: SILENT, terminal: null });
  await rt.boot();
  return rt;
}

/** Runs t:<name> with `args`; resolves with its result as plain JS, rejects with its error. */
export async function runLua(rt: Runtime, name: string, args: Value[] = []): Promise<unknown> {
  const outcome = await runEntry(rt, `t:${name}`, 't:host', args);
  if (outcome.error) throw new Error(outcome.error.stack ?? outcome.error.message);
  return valueToPlain(outcome.value);
}
