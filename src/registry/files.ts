import { Site, describe, isMapping } from './errors';
import { ioReason, type ProjectFiles } from './project-files';
import { nameProblem, namespaceProblem } from './names';
import { Meta } from './types';
import { lineOf, parseYaml, YamlError } from '../util/yaml';

/** One entry as written, before kind-specific validation. */
export interface RawEntry {
  /** File-level site (no entry yet). */
  site: Site;
  namespace: string;
  name: string;
  kind: string;
  meta: Meta;
  data: Record<string, unknown>;
  /** The line the entry starts on in its file. */
  line?: number;
}

/** Parses a YAML (or JSON, a YAML subset) file; syntax errors name the file and line. */
export function parseYamlFile(site: Site, files: ProjectFiles): unknown {
  let text: string;
  try {
    text = files.read(site.file).toString('utf8');
  } catch (err) {
    throw site.error(`cannot read file: ${ioReason(err)}`);
  }
  try {
    return parseYaml(text, site.file);
  } catch (err) {
    if (err instanceof YamlError) throw site.error(err.reason, err.line);
    throw err;
  }
}

/** The entries a definition file declares; `[]` for files Wippy skips (no `namespace`). */
export function readDefinitionFile(site: Site, files: ProjectFiles): RawEntry[] {
  const doc = parseYamlFile(site, files);
  if (!isMapping(doc) || doc.namespace === undefined || doc.namespace === null) return [];
  const namespace = doc.namespace;
  if (typeof namespace !== 'string' || namespace === '') {
    throw site.error(`field "namespace" must be a non-empty string, got ${describe(namespace)}`);
  }
  const nsProblem = namespaceProblem(namespace);
  if (nsProblem !== null) throw site.error(`invalid namespace ${JSON.stringify(namespace)}: ${nsProblem}`);

  if (doc.entries === undefined || doc.entries === null) {
    if (doc.name === undefined && doc.kind === undefined) return [];
    // A single entry at the top level: `namespace` + `name` + `kind` + fields.
    const { namespace: _ns, version: _v, entries: _e, ...entry } = doc;
    return [rawEntry(site, namespace, {}, entry, 'entry')];
  }
  if (!Array.isArray(doc.entries)) {
    throw site.error(`field "entries" must be a list, got ${describe(doc.entries)}`);
  }
  const fileMeta = doc.meta ?? {};
  if (!isMapping(fileMeta)) throw site.error(`field "meta" must be a mapping, got ${describe(fileMeta)}`);
  return doc.entries.map((e: unknown, i: number) => {
    if (!isMapping(e)) throw site.error(`entries[${i}]: expected a mapping, got ${describe(e)}`);
    return rawEntry(site, namespace, fileMeta, e, `entries[${i}]`);
  });
}

function rawEntry(site: Site, namespace: string, fileMeta: Meta, e: Record<string, unknown>, at: string): RawEntry {
  const { name, kind, meta, ...rest } = e;
  if (name === undefined || name === null || name === '') throw site.error(`${at}: missing required field "name"`);
  if (typeof name !== 'string') throw site.error(`${at}: field "name" must be a string, got ${describe(name)}`);
  const line = lineOf(e);
  const es = site.forEntry(`${namespace}:${name}`, line);
  const problem = nameProblem(name);
  if (problem !== null) throw es.error(`invalid name ${JSON.stringify(name)}: ${problem}`);
  if (kind === undefined || kind === null || kind === '') throw es.error('missing required field "kind"');
  if (typeof kind !== 'string') throw es.error(`field "kind" must be a string, got ${describe(kind)}`);
  const entryMeta = meta ?? {};
  if (!isMapping(entryMeta)) throw es.error(`field "meta" must be a mapping, got ${describe(entryMeta)}`);

  // Fields sit directly on the entry; an explicit `data:` mapping is accepted too, with
  // direct fields winning. A non-mapping `data` is left alone as an ordinary field.
  let data: Record<string, unknown> = rest;
  if (isMapping(rest.data)) {
    const { data: explicit, ...direct } = rest;
    data = { ...(explicit as Record<string, unknown>), ...direct };
  }
  return { site, namespace, name, kind, meta: { ...fileMeta, ...entryMeta }, data, ...(line !== undefined ? { line } : {}) };
}
