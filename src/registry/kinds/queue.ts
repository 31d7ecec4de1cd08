/**
 * Queues (Wippy's api/service/queue): `queue.driver.memory` (messages kept in this process), `queue.queue` (a
 * named queue on a driver: `driver`, `driver_options.memory.max_length`, `dead_letter.{queue,max_attempts}`;
 * `codec` and `queue_name` are accepted) and `queue.consumer` (`queue`, `func`, `concurrency` 1-1000,
 * `prefetch` 1-10000; `auto_ack`, `driver_options` accepted). `driver_options.memory.max_bytes` is wisp's
 * addition: the most bytes a memory queue's waiting messages may hold.
 */
import { kindDefinition, serviceBase } from '../kind';
import type { ServiceEntry } from '../types';

export interface MemoryQueueDriverEntry extends ServiceEntry {
  kind: 'queue.driver.memory';
}

export interface DeadLetter {
  /** Full id of the queue.queue that takes messages nacked `maxAttempts` times. */
  readonly queue: string;
  readonly maxAttempts: number;
}

export interface QueueEntry extends ServiceEntry {
  kind: 'queue.queue';
  readonly driver: string;
  readonly maxLength: number;
  readonly maxBytes: number;
  readonly deadLetter: DeadLetter | null;
}

export interface QueueConsumerEntry extends ServiceEntry {
  kind: 'queue.consumer';
  readonly queue: string;
  readonly func: string;
  readonly concurrency: number;
  readonly prefetch: number;
}

export type QueueKindEntry = MemoryQueueDriverEntry | QueueEntry | QueueConsumerEntry;

/** Wippy's memory driver default length; a dead-letter queue without max_attempts takes a message at its third nack. */
const DEFAULT_MAX_LENGTH = 1000;
const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
const DEFAULT_DEAD_LETTER_ATTEMPTS = 3;
const MAX_CONCURRENCY = 1000;
const MAX_PREFETCH = 10_000;

export const queueKinds = kindDefinition<QueueKindEntry>({
  kinds: ['queue.driver.memory', 'queue.queue', 'queue.consumer'],
  parse: (f, base) => {
    const supervised = f.has('lifecycle');
    if (base.kind === 'queue.driver.memory') return { ...serviceBase(f, base, supervised), kind: 'queue.driver.memory' };
    if (base.kind === 'queue.queue') {
      const driver = f.requiredString('driver');
      const memory = f.sub('driver_options').sub('memory');
      const dl = f.sub('dead_letter');
      const dlQueue = dl.has('queue') ? dl.requiredString('queue') : null;
      const refs = [{ field: 'driver', id: driver, kinds: ['queue.driver.memory'] }];
      if (dlQueue !== null) refs.push({ field: 'dead_letter.queue', id: dlQueue, kinds: ['queue.queue'] });
      const common = serviceBase(f, base, supervised, refs);
      return {
        ...common,
        kind: 'queue.queue',
        driver: common.refs[0].id,
        maxLength: memory.integer('max_length', 0, 0) || DEFAULT_MAX_LENGTH,
        maxBytes: memory.integer('max_bytes', 0, 0) || DEFAULT_MAX_BYTES,
        deadLetter: dlQueue === null ? null : { queue: common.refs[1].id, maxAttempts: dl.integer('max_attempts', 0, 0) || DEFAULT_DEAD_LETTER_ATTEMPTS },
      };
    }
    const common = serviceBase(f, base, supervised, [
      { field: 'queue', id: f.requiredString('queue'), kinds: ['queue.queue'] },
      { field: 'func', id: f.requiredString('func'), kinds: ['function.lua'] },
    ]);
    const concurrency = f.integer('concurrency', 1, 1);
    if (concurrency > MAX_CONCURRENCY) f.typeError('concurrency', `at most ${MAX_CONCURRENCY}`);
    const prefetch = f.integer('prefetch', 10, 1);
    if (prefetch > MAX_PREFETCH) f.typeError('prefetch', `at most ${MAX_PREFETCH}`);
    return { ...common, kind: 'queue.consumer', queue: common.refs[0].id, func: common.refs[1].id, concurrency, prefetch };
  },
});
