import { isAbsolute, resolve } from 'path';
import { Site } from './errors';
import { Fields } from './fields';
import { RawEntry } from './files';
import { interpolateFiles, type FileSource } from './interpolate';
import type { ProjectFiles } from './project-files';
import { parseLifecycle } from './lifecycle';
import { BaseEntry, Entry, EntryKind, LuaCode, qualify, isServiceKind, type ServiceKind } from './types';
import type { KindTable } from './kinds';

/** Host scheduler defaults (Wippy's). */
export const HOST_DEFAULTS = Object.freeze({ queueSize: 1024, localQueueSize: 256 });

/**
 * Validates one raw entry of a known kind into its typed form; `file://` values are read
 * through `files` (`file:///p` from `srcDir`). References to other entries are only
 * normalised here; whether they exist is checked once every file is loaded (see references.ts).
 */
export function buildEntry(
  raw: RawEntry,
  kind: EntryKind | ServiceKind,
  site: Site,
  files: ProjectFiles,
  srcDir: string,
  kinds: KindTable,
  moduleRoot?: string,
): Entry {
  const { data, sources } = interpolateFiles(site, raw.data, files, srcDir);
  const f = new Fields(site, data);
  if (isServiceKind(kind)) {
    const definition = kinds.definitionOf(kind);
    if (definition === undefined) throw site.error(`unknown kind "${kind}"`);
    const base = { id: `${raw.namespace}:${raw.name}`, namespace: raw.namespace, name: raw.name, kind, meta: raw.meta, file: raw.site.file, ...lineOf(raw) };
    return definition.parse(f, base, { root: site.root, srcDir, sources, moduleRoot });
  }
  const base: BaseEntry = {
    id: `${raw.namespace}:${raw.name}`,
    namespace: raw.namespace,
    name: raw.name,
    kind,
    meta: raw.meta,
    file: raw.site.file,
    ...lineOf(raw),
  };
  const ns = raw.namespace;

  switch (kind) {
    case 'terminal.host':
      return { ...base, kind, hideLogs: f.boolean('hide_logs', false), lifecycle: parseLifecycle(f, ns) };

    case 'process.host': {
      const host = f.sub('host');
      const workers = host.integer('workers', undefined, 1);
      const threads = host.integer('threads', undefined, 1);
      return {
        ...base,
        kind,
        ...(workers !== undefined ? { workers } : {}),
        ...(threads !== undefined ? { threads } : {}),
        queueSize: host.integer('queue_size', HOST_DEFAULTS.queueSize, 1),
        localQueueSize: host.integer('local_queue_size', HOST_DEFAULTS.localQueueSize, 1),
        lifecycle: parseLifecycle(f, ns),
      };
    }

    case 'process.lua':
      if (f.has('lifecycle')) {
        // Spec decision 6: Wippy silently ignores this, which leaves users wondering why
        // nothing starts.
        site.warn(
          '"lifecycle" has no effect on a process.lua entry; ' +
            'define a process.service with "process: ' + base.id + '" to run it as a service',
        );
      }
      return { ...base, kind, ...luaCode(f, sources, ns), method: f.requiredString('method') };

    case 'function.lua':
      return { ...base, kind, ...luaCode(f, sources, ns), method: f.requiredString('method') };

    case 'library.lua':
      return { ...base, kind, ...luaCode(f, sources, ns) };

    case 'env.storage.memory':
    case 'env.storage.os':
      return { ...base, kind };

    case 'env.storage.file': {
      const filePath = f.requiredString('file_path');
      return {
        ...base,
        kind,
        filePath: isAbsolute(filePath) ? filePath : resolve(files.root, filePath),
        autoCreate: f.boolean('auto_create', false),
        fileMode: f.integer('file_mode', 0o644, 0),
        dirMode: f.integer('dir_mode', 0o755, 0),
      };
    }

    case 'env.storage.static':
      return { ...base, kind, values: f.stringMap('values') };

    case 'env.storage.router':
      return { ...base, kind, storages: f.stringList('storages').map((id) => qualify(id, ns)) };

    case 'env.variable': {
      /** An optional scalar field as text ('' when absent). */
      const text = (key: string): string => {
        const v = f.data[key];
        if (v === undefined || v === null) return '';
        if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
        return f.typeError(key, 'a string');
      };
      const variable = text('variable');
      if (variable !== '' && !/^[A-Za-z0-9_]+$/.test(variable)) {
        throw site.error(`field "variable": invalid environment variable name "${variable}" (letters, digits and _ only)`);
      }
      return {
        ...base,
        kind,
        variable,
        storage: qualify(f.requiredString('storage'), ns),
        default: text('default'),
        readonly: f.boolean('readonly', false),
      };
    }

    case 'process.service': {
      const process = qualify(f.requiredString('process'), ns);
      const host = qualify(f.requiredString('host'), ns);
      return { ...base, kind, process, host, input: f.list('input'), lifecycle: parseLifecycle(f, ns) };
    }
  }
}

function luaCode(f: Fields, sources: Map<string, FileSource>, ns: string): LuaCode {
  // A source read from a file is compiled from its exact bytes; an inline one is YAML text, so UTF-8.
  // An empty .lua file is still a source; only a missing or empty literal is an error.
  const file = sources.get('source');
  const source = file !== undefined ? file.bytes : Buffer.from(f.requiredString('source'), 'utf8');
  const imports: Record<string, string> = {};
  for (const [alias, target] of Object.entries(f.stringMap('imports'))) imports[alias] = qualify(target, ns);
  return {
    source,
    ...(file !== undefined ? { sourcePath: file.path } : {}),
    modules: f.stringList('modules'),
    imports,
  };
}

/** `{line}` when the entry's line is known, to spread into what is built from it. */
function lineOf(raw: RawEntry): { line?: number } {
  return raw.line !== undefined ? { line: raw.line } : {};
}
