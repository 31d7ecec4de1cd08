import { dirname, isAbsolute, resolve } from 'path';
import { Site } from './errors';
import { Fields } from './fields';
import { RawEntry } from './files';
import { interpolateFiles } from './interpolate';
import { parseLifecycle } from './lifecycle';
import { BaseEntry, Entry, EntryKind, LuaCode, qualify } from './types';

/** Host scheduler defaults (spec §1.4). */
export const HOST_DEFAULTS = Object.freeze({ queueSize: 1024, localQueueSize: 256 });

/**
 * Validates one raw entry of a known kind into its typed form. `roots` bounds relative
 * `file://` paths. References to other entries are only normalised here; whether they
 * exist is checked once every file is loaded (see references.ts).
 */
export function buildEntry(raw: RawEntry, kind: EntryKind, site: Site, roots: string[]): Entry {
  const { data, sources } = interpolateFiles(site, raw.data, roots);
  const f = new Fields(site, data);
  const base: BaseEntry = {
    id: `${raw.namespace}:${raw.name}`,
    namespace: raw.namespace,
    name: raw.name,
    kind,
    meta: raw.meta,
    file: raw.site.file,
  };
  const ns = raw.namespace;

  switch (kind) {
    case 'terminal.host':
      return { ...base, kind, hideLogs: f.boolean('hide_logs', false), lifecycle: parseLifecycle(f, ns) };

    case 'process.host': {
      const host = f.sub('host');
      const workers = host.integer('workers', undefined, 1);
      return {
        ...base,
        kind,
        ...(workers !== undefined ? { workers } : {}),
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
        filePath: isAbsolute(filePath) ? filePath : resolve(roots[0] ?? dirname(raw.site.file), filePath),
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

function luaCode(f: Fields, sources: Map<string, string>, ns: string): LuaCode {
  // An empty .lua file is still a source; only a missing or empty literal is an error.
  const source = sources.has('source') ? String(f.data.source) : f.requiredString('source');
  const imports: Record<string, string> = {};
  for (const [alias, target] of Object.entries(f.stringMap('imports'))) imports[alias] = qualify(target, ns);
  const sourcePath = sources.get('source');
  return {
    source,
    ...(sourcePath !== undefined ? { sourcePath } : {}),
    modules: f.stringList('modules'),
    imports,
  };
}
