import { RegistryError, Site } from './errors';
import { didYouMean } from '../util/suggest';
import { Entry, EntryKind, HOST_KINDS, LUA_KINDS, SERVICE_KINDS, isServiceEntry, isServiceLike } from './types';
import { CONTROL_HOST } from '../kernel/pid';

export { CONTROL_HOST };

/**
 * Checks that every reference between entries names an existing entry of a usable kind.
 * Runs after all files are loaded because references may point forward or across files.
 * `skipped` maps ids of entries left out (an unknown kind, ...) to the one-line error that says why, so a
 * reference to one names the broken entry, its file and line, instead of just "not found".
 * `tolerant`: an entry with a broken reference is left out (its error added to `skipped`) instead of thrown;
 * returns the entries kept.
 */
export function checkReferences(root: string, entries: Entry[], skipped: Map<string, string>, tolerant = false): Entry[] {
  const byId = new Map(entries.map((e) => [e.id, e]));

  const expect = (site: Site, field: string, ref: string, kinds: readonly string[]): void => {
    const target = byId.get(ref);
    if (target === undefined) {
      const why = skipped.get(ref);
      throw site.error(
        why !== undefined
          ? `field "${field}": entry "${ref}" was left out: ${why}`
          : `field "${field}": entry "${ref}" not found${didYouMean(ref, byId.keys())}`,
      );
    }
    if (kinds.length > 0 && !kinds.includes(target.kind)) {
      throw site.error(`field "${field}": entry "${ref}" is a ${target.kind}, expected ${listKinds(kinds)}`);
    }
  };

  const kept: Entry[] = [];
  for (const entry of entries) {
    try {
      checkEntry(entry);
      kept.push(entry);
    } catch (err) {
      if (!tolerant || !(err instanceof RegistryError)) throw err;
      skipped.set(entry.id, err.message);
    }
  }
  return kept;

  function checkEntry(entry: Entry): void {
    const site = new Site(root, entry.file, entry.id, undefined, entry.line);
    switch (entry.kind) {
      case 'process.service':
        if (entry.host === CONTROL_HOST) {
          throw site.error(`field "host": services cannot run on "${CONTROL_HOST}", the supervisor's own host`);
        }
        expect(site, 'process', entry.process, ['process.lua']);
        expect(site, 'host', entry.host, HOST_KINDS);
        break;
      case 'process.lua':
      case 'function.lua':
      case 'library.lua':
        for (const [alias, ref] of Object.entries(entry.imports)) {
          // Any Lua entry may be imported (requiring it gives the table its chunk returns), as in Wippy.
          expect(site, `imports.${alias}`, ref, LUA_KINDS);
        }
        break;
      case 'env.storage.router':
        if (entry.storages.length === 0) throw site.error('field "storages": router storage must have at least one storage');
        for (const ref of entry.storages) expect(site, 'storages', ref, ENV_STORAGE_KINDS);
        break;
      case 'env.variable':
        expect(site, 'storage', entry.storage, ENV_STORAGE_KINDS);
        break;
    }
    if (isServiceEntry(entry)) {
      for (const ref of entry.refs) expect(site, ref.field, ref.id, ref.kinds);
    }
    if ('lifecycle' in entry && entry.lifecycle !== undefined) {
      for (const ref of entry.lifecycle.requires) {
        const target = byId.get(ref);
        if (target !== undefined && isServiceEntry(target) && !isServiceLike(target)) {
          throw site.error(`field "lifecycle.requires": entry "${ref}" is a ${target.kind}, which is not started as a service`);
        }
        if (target === undefined || !isServiceLike(target)) expect(site, 'lifecycle.requires', ref, SERVICE_KINDS);
      }
    }
  }
}

const ENV_STORAGE_KINDS: readonly EntryKind[] = [
  'env.storage.memory', 'env.storage.os', 'env.storage.router', 'env.storage.file', 'env.storage.static',
];

function listKinds(kinds: readonly string[]): string {
  if (kinds.length === 1) return `a ${kinds[0]}`;
  return `a ${kinds.slice(0, -1).join(', ')} or ${kinds[kinds.length - 1]}`;
}
