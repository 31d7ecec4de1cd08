import * as fs from 'fs';
import * as path from 'path';
import * as yaml from 'js-yaml';
import { RegistryError, Site, describe, isMapping } from './errors';
import { parseYamlFile } from './files';
import { ioReason, ProjectFiles } from './project-files';

export const DEFAULT_SRC_DIR = './src';
export const DEFAULT_MODULES_DIR = '.wippy';

export interface LockFile {
  /** Both as written (relative to the lock file's directory), defaults applied. */
  directories: { src: string; modules: string };
  /** Pinned hub modules, kept verbatim; this runtime does not load them. */
  modules: Record<string, unknown>[];
  /** Local directories standing in for hub modules (`replacements: [{from: org/module, to: dir}]`), as written. */
  replacements: Replacement[];
  /** Any other top-level keys (`replacements`, `options`, …), kept so a rewrite loses nothing. */
  rest: Record<string, unknown>;
}

export interface Replacement {
  /** The module it stands in for, `org/module`. */
  readonly from: string;
  /** Its directory, relative to the lock file's directory (or absolute). */
  readonly to: string;
}

export interface LockDirectoryOptions {
  srcDir?: string;
  modulesDir?: string;
}

/** Reads and validates a `wippy.lock`; errors name the file relative to its directory. */
export function readLockFile(file: string): LockFile {
  const lock = parseLockFile(file);
  // Wippy takes an empty lock for its defaults; here it is refused, as it is what an interrupted write leaves.
  if (lock === null) throw new Site(path.dirname(path.resolve(file)), path.resolve(file)).error('the lock file is empty (left by an interrupted write?): run `wisp init` to write it again');
  return lock;
}

/** The lock file, or null when it is empty (or only comments). */
function parseLockFile(file: string): LockFile | null {
  const abs = path.resolve(file);
  const site = new Site(path.dirname(abs), abs);
  const doc = parseYamlFile(site, new ProjectFiles(site.root));
  if (doc === null || doc === undefined) return null;
  if (!isMapping(doc)) throw site.error(`expected a mapping at the top level, got ${describe(doc)}`);
  const { directories, modules, ...rest } = doc;

  const dirs = directories ?? {};
  if (!isMapping(dirs)) throw site.error(`field "directories" must be a mapping, got ${describe(dirs)}`);
  const dir = (key: string, fallback: string): string => {
    const v = dirs[key];
    if (v === undefined || v === null || v === '') return fallback;
    if (typeof v !== 'string') throw site.error(`field "directories.${key}" must be a string, got ${describe(v)}`);
    return v;
  };

  const mods = modules ?? [];
  if (!Array.isArray(mods) || !mods.every(isMapping)) {
    throw site.error(`field "modules" must be a list of mappings, got ${describe(mods)}`);
  }
  const repl = rest.replacements ?? [];
  if (!Array.isArray(repl)) throw site.error(`field "replacements" must be a list of {from, to} mappings, got ${describe(repl)}`);
  const replacements = repl.map((r: unknown, i): Replacement => {
    if (!isMapping(r) || typeof r.from !== 'string' || r.from === '' || typeof r.to !== 'string' || r.to === '') {
      throw site.error(`field "replacements[${i}]" must be a mapping with non-empty strings "from" and "to", got ${describe(r)}`);
    }
    return { from: r.from, to: r.to };
  });
  return {
    directories: { src: dir('src', DEFAULT_SRC_DIR), modules: dir('modules', DEFAULT_MODULES_DIR) },
    modules: mods,
    replacements,
    rest,
  };
}

/**
 * The text `wippy init` writes: the `directories` block, then an existing file's
 * `modules:` and other keys, laid out as Go's yaml.v3 does with 4-space indentation.
 */
export function renderLockFile(opts: LockDirectoryOptions, existing?: LockFile): string {
  const doc: Record<string, unknown> = {
    directories: { modules: opts.modulesDir ?? DEFAULT_MODULES_DIR, src: opts.srcDir ?? DEFAULT_SRC_DIR },
  };
  if (existing && existing.modules.length > 0) doc.modules = existing.modules;
  if (existing) Object.assign(doc, existing.rest);
  return emitMapping(doc, 0).join('\n') + '\n';
}

/**
 * Creates or overwrites the lock file, keeping an existing file's modules. Written atomically (a
 * temporary file beside it, synced, then renamed over it), so a full disk or a crash leaves the old file or
 * none, never a part; a failure is a RegistryError naming the file.
 */
export function writeLockFile(file: string, opts: LockDirectoryOptions = {}): void {
  const existing = fs.existsSync(file) ? (parseLockFile(file) ?? undefined) : undefined; // an empty one is rewritten
  const text = renderLockFile(opts, existing);
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    const fd = fs.openSync(temp, 'wx', 0o644);
    try {
      fs.writeFileSync(fd, text);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, file);
  } catch (e) {
    fs.rmSync(temp, { force: true });
    throw new RegistryError(`cannot write ${file}: ${ioReason(e)}`, { file: path.resolve(file) });
  }
}

const INDENT = 4;

function emitMapping(map: Record<string, unknown>, col: number): string[] {
  const pad = ' '.repeat(col);
  const lines: string[] = [];
  for (const [key, value] of Object.entries(map)) {
    const k = scalar(key);
    if (isMapping(value) && Object.keys(value).length > 0) {
      lines.push(`${pad}${k}:`, ...emitMapping(value, col + INDENT));
    } else if (Array.isArray(value) && value.length > 0) {
      lines.push(`${pad}${k}:`, ...emitSequence(value, col + INDENT));
    } else {
      lines.push(`${pad}${k}: ${scalar(value)}`);
    }
  }
  return lines;
}

// yaml.v3 writes a mapping item as `- key: v` with the following keys aligned after "- ".
function emitSequence(items: unknown[], col: number): string[] {
  const pad = ' '.repeat(col);
  const lines: string[] = [];
  for (const item of items) {
    let body: string[];
    if (isMapping(item) && Object.keys(item).length > 0) body = emitMapping(item, col + 2);
    else if (Array.isArray(item) && item.length > 0) body = emitSequence(item, col + 2);
    else body = [`${pad}  ${scalar(item)}`];
    lines.push(`${pad}- ${body[0].slice(col + 2)}`, ...body.slice(1));
  }
  return lines;
}

function scalar(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return '[]';
  if (isMapping(value)) return '{}';
  if (typeof value !== 'string') return String(value);
  const plain = yaml.dump(value, { lineWidth: -1, quotingType: '"' }).replace(/\n$/, '');
  // Multi-line strings would come back as block scalars; a JSON string is valid YAML.
  return plain.includes('\n') ? JSON.stringify(value) : plain;
}
