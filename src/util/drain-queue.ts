/**
 * Work that may cause more of the same while it is done (an exit that ends linked processes, a process whose
 * end ends its callees): the first `run` handles items in a loop until none is left; a `run` from inside the
 * loop only queues its item. So a cascade of any length is a loop, never JS recursion. One item's failure
 * does not cost the items behind it: the first is rethrown once the queue is empty.
 */
import { Fifo } from './fifo';

export class DrainQueue<T> {
  private readonly queue = new Fifo<T>();
  private running = false;

  constructor(private readonly handle: (item: T) => void) {}

  run(item: T): void {
    this.queue.push(item);
    if (this.running) return;
    this.running = true;
    let failure: unknown = null;
    try {
      for (let next = this.queue.shift(); next !== undefined; next = this.queue.shift()) {
        try {
          this.handle(next);
        } catch (e) {
          failure ??= e;
        }
      }
    } finally {
      this.running = false;
    }
    if (failure !== null) throw failure;
  }
}
