/**
 * `http.static`: files of an `fs.directory` (or a plain directory) under a mount path, as Go's FileServer
 * with StripPrefix serves them: GET/HEAD only, a directory answers its `index.html`, a missing file is 404,
 * a path leading out of the directory is refused by the volume (404 here). SPA mode answers the index for any
 * missing path; `cache` sets Cache-Control.
 */
import { extname } from 'path';
import { ConfinedDirectory, type FsVolume } from '../../lib/confined-dir';
import { ErrorValue } from '../../kernel/value';
import type { HttpStaticEntry } from '../../registry/kinds/http';
import type { ServiceContext } from '../service';
import type { Exchange } from './exchange';
import type { Handler } from './middleware';
import '../../api/fs';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.htm': 'text/html; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8', '.json': 'application/json',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif',
  '.webp': 'image/webp', '.ico': 'image/vnd.microsoft.icon', '.txt': 'text/plain; charset=utf-8', '.wasm': 'application/wasm',
  '.xml': 'text/xml; charset=utf-8', '.pdf': 'application/pdf', '.woff': 'font/woff', '.woff2': 'font/woff2',
};

export function staticHandler(mount: HttpStaticEntry, service: ServiceContext): Handler {
  let plain: Promise<FsVolume> | null = null;
  const volume = async (): Promise<FsVolume | null> => {
    if (mount.fs !== '') {
      const v = service.resources.get(mount.fs, 'fs');
      return v instanceof ErrorValue ? null : v;
    }
    plain ??= ConfinedDirectory.open(mount.directory, 0o755, false);
    return plain;
  };
  const prefix = mount.path.replace(/\/$/, '');
  return async (x: Exchange): Promise<void> => {
    const w = x.response;
    if (x.req.method !== 'GET' && x.req.method !== 'HEAD') {
      w.setHeader('Allow', 'GET, HEAD');
      return w.fail(405, 'Method Not Allowed');
    }
    const v = await volume().catch(() => null);
    if (v === null) return w.fail(503, 'static files unavailable');
    let rel = x.request.path.slice(prefix.length);
    if (rel === '' || rel.endsWith('/')) rel += mount.index;
    const served = await serveFile(x, v, rel, mount.cache);
    if (served) return;
    if (mount.spa && (await serveFile(x, v, `/${mount.index}`, mount.cache, 'text/html; charset=utf-8'))) return;
    w.fail(404, '404 page not found');
  };
}

async function serveFile(x: Exchange, v: FsVolume, path: string, cache: string, type?: string): Promise<boolean> {
  let opened;
  try {
    opened = await v.openRead(path);
  } catch {
    return false;
  }
  const { file, stat } = opened;
  const w = x.response;
  try {
    w.setHeader('Content-Type', type ?? TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream');
    w.setHeader('Content-Length', String(stat.size));
    w.setHeader('Last-Modified', new Date(stat.modified * 1000).toUTCString());
    if (cache !== '') w.setHeader('Cache-Control', cache);
    w.writeHeader(200);
    if (x.req.method === 'HEAD') return true;
    for (;;) {
      const chunk = await file.read(64 * 1024);
      if (chunk === null) break;
      await w.write(chunk);
    }
    return true;
  } finally {
    await file.close();
  }
}
