/**
 * The memory services of a thread other than thread 1 (src/cluster/spec.md "Threads"): `store.memory` and the
 * memory queue driver are thread 1's, reached through proxies with the same facets (src/cluster/shared.ts).
 */
import { serviceDefinition, type ServiceDefinition } from '../services/service';
import { QueueDriverProxy, StoreProxy, type SharedLink } from '../cluster/shared';
import type { MemoryStoreEntry } from '../registry/kinds/store';
import type { MemoryQueueDriverEntry } from '../registry/kinds/queue';

export function sharedServiceProxies(link: SharedLink): ServiceDefinition[] {
  return [
    serviceDefinition<MemoryStoreEntry>({
      kinds: ['store.memory'],
      start: (entry) => {
        const store = new StoreProxy(link, entry.id);
        return { facets: { store }, stop: () => Promise.resolve(store.close()) };
      },
    }),
    serviceDefinition<MemoryQueueDriverEntry>({
      kinds: ['queue.driver.memory'],
      start: (entry) => {
        const driver = new QueueDriverProxy(link, entry.id);
        return { facets: { queue_driver: driver }, stop: () => Promise.resolve(driver.close()) };
      },
    }),
  ];
}
