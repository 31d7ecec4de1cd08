/**
 * The `queue.*` services (Wippy's service/queue): the memory driver (./memory.ts), queues on drivers
 * (./queue.ts) and consumers that run a function per message (./consumer.ts), offered as the facets of
 * src/api/queue.ts.
 */
import { serviceDefinition } from '../service';
import type { QueueKindEntry } from '../../registry/kinds/queue';
import { MemoryDriver } from './memory';
import { QueueEndpoint } from './queue';
import { Consumer } from './consumer';

export const queueServices = serviceDefinition<QueueKindEntry>({
  kinds: ['queue.driver.memory', 'queue.queue', 'queue.consumer'],
  start: (entry, ctx) => {
    if (entry.kind === 'queue.driver.memory') {
      const driver = new MemoryDriver(entry.id);
      return { facets: { queue_driver: driver }, stop: () => Promise.resolve(driver.close()) };
    }
    if (entry.kind === 'queue.queue') {
      const queue = new QueueEndpoint(entry, ctx.resources, (message, fields) => ctx.log('warn', message, fields));
      return { facets: { queue }, stop: () => Promise.resolve() };
    }
    const consumer = new Consumer(entry, ctx);
    consumer.start();
    return { facets: { queue_consumer: consumer }, stop: (graceMs) => consumer.stop(graceMs) };
  },
});
