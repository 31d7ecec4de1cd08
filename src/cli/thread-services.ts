/**
 * The memory services of a node on several threads (src/cluster/spec.md "Threads"): `store.memory` and the
 * memory queue driver are thread 1's, reached from the other threads through proxies with the same facets
 * (src/cluster/shared.ts); a ":memory:" SQLite database is one file of the node's, which every thread opens.
 */
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { serviceDefinition, type ServiceDefinition } from '../services/service';
import { dbService } from '../services/db';
import type { SqlEntry } from '../registry/kinds/db';
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

/** Thread 1 makes the directory of the node's ":memory:" databases, removed when the process exits. */
export function memoryDatabaseDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wisp-threads-memory-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * `db.sql.sqlite` with every ":memory:" database opened as the node's file for it in `dir`, the same on every
 * thread, so that the threads share it as they share a database file (WAL; a lock held by one thread's
 * connection makes another's wait up to the busy timeout).
 */
export function sharedMemoryDatabases(dir: string): ServiceDefinition<SqlEntry> {
  const place = (entry: SqlEntry): SqlEntry =>
    entry.kind === 'db.sql.sqlite' && entry.file === ':memory:' ? { ...entry, file: join(dir, `${encodeURIComponent(entry.id)}.db`) } : entry;
  return serviceDefinition<SqlEntry>({
    kinds: dbService.kinds,
    start: async (entry, ctx) => {
      const running = await dbService.start(place(entry), ctx);
      const changed = running.registryChanged?.bind(running);
      return changed === undefined ? running : { ...running, registryChanged: (registry, next) => changed(registry, place(next as SqlEntry)) };
    },
  });
}
