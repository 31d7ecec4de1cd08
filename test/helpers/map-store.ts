/**
 * A key-value store service of the `store` family (`store.test_map`, with expiry), defined the way an embedder
 * adds one, for the token store's tests until wisp has `store.memory`; and a boot that knows it.
 */
import { loadProject, KindTable, KIND_DEFINITIONS, kindDefinition, serviceBase, type ServiceEntry } from '../../src/registry';
import { Runtime } from '../../src/hosts/runtime';
import { SILENT } from '../../src/modules/logger';
import { serviceDefinition, type ServiceDefinition } from '../../src/services/service';
import { ErrorValue, type Value } from '../../src/kernel/value';
import type { KeyValueStore } from '../../src/api/store';

interface MapStoreEntry extends ServiceEntry {
  readonly kind: 'store.test_map';
}
const mapStoreKind = kindDefinition<MapStoreEntry>({
  kinds: ['store.test_map'],
  parse: (f, base) => ({ ...serviceBase(f, base, false), kind: 'store.test_map' }),
});
const mapStoreService = serviceDefinition<MapStoreEntry>({
  kinds: ['store.test_map'],
  start: () => {
    const data = new Map<string, { value: Value; until: number }>();
    const live = (key: string): { value: Value; until: number } | undefined => {
      const e = data.get(key);
      if (e !== undefined && e.until <= Date.now()) data.delete(key);
      return data.get(key);
    };
    const store: KeyValueStore = {
      get: async (key) => {
        const e = live(key);
        if (e === undefined) throw new ErrorValue('key not found', 'NotFound', false);
        return e.value;
      },
      set: async (key, value, ttlMs) => void data.set(key, { value, until: ttlMs > 0 ? Date.now() + ttlMs : Infinity }),
      has: (key) => live(key) !== undefined,
      delete: async (key) => live(key) !== undefined && data.delete(key),
      acquire: () => ({ release: () => undefined }),
    };
    return { facets: { store }, stop: async () => undefined };
  },
});

export async function bootWithMapStore(dir: string, securityStrict = false): Promise<Runtime> {
  const kinds = new KindTable([...KIND_DEFINITIONS, mapStoreKind as never]);
  const rt = new Runtime(loadProject(dir, [], { kinds }), { logs: SILENT, terminal: null, services: [mapStoreService as ServiceDefinition], securityStrict });
  await rt.boot();
  return rt;
}
