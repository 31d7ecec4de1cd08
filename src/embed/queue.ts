/**
 * Items pushed by the runtime, taken by JavaScript with `await next()` or `for await`. Closing it ends the
 * iteration once what it holds has been taken; a waiting `next()` then resolves with null.
 */
import { Fifo } from '../util/fifo';

export class AsyncQueue<T> implements AsyncIterable<T> {
  private readonly items = new Fifo<T>();
  private readonly waiting = new Fifo<(item: T | null) => void>();
  private ended = false;

  get closed(): boolean {
    return this.ended;
  }

  /** Items not taken yet. */
  get size(): number {
    return this.items.length;
  }

  push(item: T): void {
    if (this.ended) return;
    const taker = this.waiting.shift();
    if (taker !== undefined) taker(item);
    else this.items.push(item);
  }

  /** The next item; null once the queue is closed and empty. */
  next(): Promise<T | null> {
    const item = this.items.shift();
    if (item !== undefined) return Promise.resolve(item);
    if (this.ended) return Promise.resolve(null);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  close(): void {
    this.ended = true;
    for (let w = this.waiting.shift(); w !== undefined; w = this.waiting.shift()) w(null);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (let item = await this.next(); item !== null; item = await this.next()) yield item;
  }
}
