import * as path from 'path';
import { Site, displayPath, isMapping } from './errors';
import { ioReason, isInside, type ProjectFiles } from './project-files';

const PREFIX = 'file://';

export interface FileSource {
  /** Absolute path as resolved from the reference (links not resolved), for messages. */
  path: string;
  /** The file's exact bytes (Lua sources are compiled from these, not from the UTF-8 text). */
  bytes: Uint8Array;
}

export interface Interpolated {
  data: Record<string, unknown>;
  /** Field path (`source`, `config.items[1]`) → the file read into it. */
  sources: Map<string, FileSource>;
}

/**
 * Replaces every string that starts with `file://` anywhere in `data` with that file's
 * contents as UTF-8 text. As in Wippy, `file://rel` is relative to the definition
 * file's directory and `file:///p` to the source directory; either way the file must really
 * be inside the project directory (see project-files.ts).
 */
export function interpolateFiles(
  site: Site,
  data: Record<string, unknown>,
  files: ProjectFiles,
  srcDir: string,
): Interpolated {
  const sources = new Map<string, FileSource>();
  const walk = (value: unknown, at: string): unknown => {
    if (typeof value === 'string') {
      if (!value.startsWith(PREFIX)) return value;
      const file = resolveRef(site, value, at, files, srcDir);
      const bytes = readRef(site, value, at, file, files);
      sources.set(at, { path: file, bytes });
      return bytes.toString('utf8');
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

function resolveRef(site: Site, ref: string, at: string, files: ProjectFiles, srcDir: string): string {
  const target = ref.slice(PREFIX.length);
  if (target === '' || target === '/') throw site.error(`field "${at}": empty path in ${ref}`);
  if (target.startsWith('/')) {
    // Wippy reads `file:///p` from the source directory's file system, where `/` is its root.
    const file = path.join(srcDir, target);
    if (!isInside(srcDir, file)) throw site.error(`field "${at}": ${ref} escapes the source directory (path traversal)`);
    return file;
  }
  const file = path.resolve(path.dirname(site.file), target);
  if (!files.contains(file)) throw site.error(`field "${at}": ${ref} escapes the project root (path traversal)`);
  return file;
}

function readRef(site: Site, ref: string, at: string, file: string, files: ProjectFiles): Buffer {
  try {
    return files.read(file);
  } catch (err) {
    throw site.error(`field "${at}": cannot read ${ref} (${displayPath(site.root, file)}): ${ioReason(err)}`);
  }
}
