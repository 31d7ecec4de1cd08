/**
 * The `store.*` services (Wippy's service/store): `store.memory` (./memory.ts) and `store.sql` (./sql.ts),
 * each offered as the `store` facet (src/api/store.ts) to the `store` module and to other services.
 */
import { serviceDefinition } from '../service';
import type { StoreEntry } from '../../registry/kinds/store';
import { MemoryStore } from './memory';
import { SqlStore } from './sql';

export const storeServices = serviceDefinition<StoreEntry>({
  kinds: ['store.memory', 'store.sql'],
  start: (entry, ctx) => {
    const store =
      entry.kind === 'store.memory'
        ? new MemoryStore(entry)
        : new SqlStore(entry, ctx.resources, (e) => ctx.log('warn', 'store cleanup failed', { error: e instanceof Error ? e.message : String(e) }));
    return {
      facets: { store },
      stop: () => {
        store.close();
        return Promise.resolve();
      },
    };
  },
});
