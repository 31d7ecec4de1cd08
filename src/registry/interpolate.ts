import * as fs from 'fs';
import * as path from 'path';
import { Site, displayPath, isMapping } from './errors';

const PREFIX = 'file://';

export interface Interpolated {
  data: Record<string, unknown>;
  /** Field path (`source`, `config.items[1]`) → absolute path of the file read into it. */
  sources: Map<string, string>;
}

/**
 * Replaces every string that starts with `file://` anywhere in `data` with that file's
 * contents (spec §1.2). Relative paths are resolved against the definition file's
 * directory and must stay inside one of `roots`; `file:///abs` is an absolute host path,
 * taken as written since the user spelled it out.
 */
export function interpolateFiles(site: Site, data: Record<string, unknown>, roots: string[]): Interpolated {
  const sources = new Map<string, string>();
  const walk = (value: unknown, at: string): unknown => {
    if (typeof value === 'string') {
      if (!value.startsWith(PREFIX)) return value;
      const file = resolveRef(site, value, at, roots);
      sources.set(at, file);
      return readRef(site, value, at, file);
    }
    if (Array.isArray(value)) return value.map((v, i) => walk(v, `${at}[${i}]`));
    if (isMapping(value)) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = walk(v, at === '' ? k : `${at}.${k}`);
      return out;
    }
    return value;
  };
  return { data: walk(data, '') as Record<string, unknown>, sources };
}

function resolveRef(site: Site, ref: string, at: string, roots: string[]): string {
  const target = ref.slice(PREFIX.length);
  if (target === '') throw site.error(`field "${at}": empty path in ${ref}`);
  if (path.isAbsolute(target)) return path.normalize(target);
  const file = path.resolve(path.dirname(site.file), target);
  if (!roots.some((root) => isInside(root, file))) {
    throw site.error(`field "${at}": ${ref} escapes the project root (path traversal)`);
  }
  return file;
}

function readRef(site: Site, ref: string, at: string, file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw site.error(`field "${at}": cannot read ${ref} (${displayPath(site.root, file)}): ${ioReason(err)}`);
  }
}

function isInside(root: string, file: string): boolean {
  const rel = path.relative(root, file);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

export function ioReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'ENOTDIR':
      return 'not a directory';
    default:
      return err instanceof Error ? err.message : String(err);
  }
}
