/**
 * The name table of one node's threads (spec.md "Threads", "Names"): thread 1 owns it (`MemoryBucket`), the
 * other threads reach it over a port each (`PortBucket`). Unlike a KV bucket between nodes it is exact across
 * threads: a thread's write waits for thread 1's answer, and a thread about to read its replica first takes in,
 * without waiting, every change thread 1 has made so far. So whatever a process hears of from another thread
 * after that thread's process registered or released a name, its lookups see, as on one thread. (The name of a
 * process that ended is let go without waiting: every thread reads a claim of an ended process as free.)
 *
 * The memory the threads share for it: word 0 is the table's revision once every thread has been sent that
 * change (a thread whose replica is older reads its port); word i counts thread i's answers (it waits on it).
 */
import { receiveMessageOnPort, type MessagePort } from 'worker_threads';
import type { NameBucket, NameBucketEntry } from './names';

type Apply = (entry: NameBucketEntry) => void;

/** How long a thread waits for thread 1 to answer a write (it answers within a turn of its event loop). */
const ANSWER_WAIT_MS = 10_000;

const REVISION = 0;

/** The node's name table (thread 1): first write wins by revision, as on a KV bucket. */
export class MemoryBucket implements NameBucket {
  readonly exact = true;
  /** Shared with the other threads: REVISION, then one answer counter per thread (index = thread number). */
  readonly memory: SharedArrayBuffer;
  private readonly words: Int32Array;
  private readonly entries = new Map<string, { value: Uint8Array; revision: number }>();
  private revision = 0;
  private readonly listeners = new Set<Apply>();
  /** Changes made while an earlier one is being passed on (a listener's own write): passed on after it, in order. */
  private readonly outbox: NameBucketEntry[] = [];

  constructor(threads = 1) {
    this.memory = new SharedArrayBuffer(4 * (threads + 1));
    this.words = new Int32Array(this.memory);
  }

  /** Passes `apply` what the table holds, then every change as it is made; returns the table's revision. */
  subscribe(apply: Apply): number {
    for (const [key, e] of this.entries) apply({ key, operation: 'PUT', value: e.value, revision: e.revision });
    this.listeners.add(apply);
    return this.revision;
  }

  unsubscribe(apply: Apply): void {
    this.listeners.delete(apply);
  }

  follow(apply: Apply): Promise<void> {
    this.subscribe(apply);
    return Promise.resolve();
  }

  create(key: string, value: Uint8Array): Promise<number> {
    return settled(() => this.createNow(key, value));
  }

  get(key: string): Promise<NameBucketEntry | null> {
    return settled(() => this.getNow(key));
  }

  update(key: string, value: Uint8Array, revision: number): Promise<number> {
    return settled(() => this.updateNow(key, value, revision));
  }

  delete(key: string, options: { previousSeq: number }): Promise<unknown> {
    return settled(() => this.deleteNow(key, options.previousSeq));
  }

  forget(key: string, revision: number): void {
    if (this.entries.get(key)?.revision === revision) this.deleteNow(key, revision);
  }

  // The calls done at once (the answers serveBucket gives): a result, or an Error thrown.

  createNow(key: string, value: Uint8Array): number {
    if (this.entries.has(key)) throw new Error('wrong last sequence: key exists');
    return this.put(key, value);
  }

  getNow(key: string): NameBucketEntry | null {
    const e = this.entries.get(key);
    return e === undefined ? null : { key, operation: 'PUT', value: e.value, revision: e.revision };
  }

  updateNow(key: string, value: Uint8Array, revision: number): number {
    if (this.entries.get(key)?.revision !== revision) throw new Error(`wrong last sequence: ${revision}`);
    return this.put(key, value);
  }

  deleteNow(key: string, revision: number): null {
    if (this.entries.get(key)?.revision !== revision) throw new Error('wrong last sequence');
    this.entries.delete(key);
    this.emit({ key, operation: 'DEL', value: new Uint8Array(0), revision: ++this.revision });
    return null;
  }

  /** Tells thread `index`, waiting in PortBucket.call, that its answer is on its port. */
  answered(index: number): void {
    Atomics.add(this.words, index, 1);
    Atomics.notify(this.words, index);
  }

  private put(key: string, value: Uint8Array): number {
    const revision = ++this.revision;
    this.entries.set(key, { value, revision });
    this.emit({ key, operation: 'PUT', value, revision });
    return revision;
  }

  private emit(entry: NameBucketEntry): void {
    this.outbox.push(entry);
    if (this.outbox.length > 1) return;
    for (let i = 0; i < this.outbox.length; i++) {
      for (const apply of this.listeners) apply(this.outbox[i]);
    }
    this.outbox.length = 0;
    // Only now: every thread's port has the change, so a thread that reads this revision finds it there.
    Atomics.store(this.words, REVISION, this.revision | 0);
  }
}

/** A call; id 0: no answer wanted (PortBucket.forget). */
type BucketCall =
  | { readonly id: number; readonly op: 'follow' }
  | { readonly id: number; readonly op: 'create' | 'get'; readonly key: string; readonly value?: Uint8Array }
  | { readonly id: number; readonly op: 'update'; readonly key: string; readonly value: Uint8Array; readonly revision: number }
  | { readonly id: number; readonly op: 'delete'; readonly key: string; readonly revision: number };

type BucketReply = { readonly id: number; readonly ok: boolean; readonly result: unknown } | { readonly watched: NameBucketEntry };

/** Serves `bucket` to thread `index` over `port` (its PortBucket). */
export function serveBucket(bucket: MemoryBucket, port: MessagePort, index: number): void {
  const watcher: Apply = (watched) => port.postMessage({ watched } satisfies BucketReply);
  const answer = (id: number, ok: boolean, result: unknown): void => {
    if (id === 0) return;
    port.postMessage({ id, ok, result } satisfies BucketReply);
    bucket.answered(index);
  };
  const done = (id: number, call: () => unknown): void => {
    let result: unknown;
    try {
      result = call();
    } catch (e) {
      return answer(id, false, e instanceof Error ? e.message : String(e));
    }
    answer(id, true, result);
  };
  port.on('message', (call: BucketCall) => {
    switch (call.op) {
      case 'follow':
        return answer(call.id, true, bucket.subscribe(watcher));
      case 'create':
        return done(call.id, () => bucket.createNow(call.key, call.value ?? new Uint8Array(0)));
      case 'get':
        return done(call.id, () => bucket.getNow(call.key));
      case 'update':
        return done(call.id, () => bucket.updateNow(call.key, call.value, call.revision));
      case 'delete':
        return done(call.id, () => bucket.deleteNow(call.key, call.revision));
    }
  });
  port.on('close', () => bucket.unsubscribe(watcher));
}

/** The node's name table as another thread sees it: each call waits for thread 1's answer. */
export class PortBucket implements NameBucket {
  readonly exact = true;
  private next = 1;
  private readonly words: Int32Array;
  /** The calls waiting for their answer (a write made while taking in a change waits inside another's wait). */
  private readonly waiting = new Set<number>();
  /** Answers taken off the port, by call. */
  private readonly answers = new Map<number, { ok: boolean; result: unknown }>();
  private apply: Apply | null = null;
  /** The table's revision this thread's replica has been given up to. */
  private revision = 0;

  constructor(
    private readonly port: MessagePort,
    memory: SharedArrayBuffer,
    private readonly index: number,
  ) {
    this.words = new Int32Array(memory);
    port.on('message', (reply: BucketReply) => this.take(reply));
  }

  async follow(apply: Apply): Promise<void> {
    this.apply = apply;
    const revision = (await this.call({ op: 'follow' })) as number;
    this.revision = Math.max(this.revision, revision);
  }

  catchUp(): void {
    if (((Atomics.load(this.words, REVISION) - this.revision) | 0) > 0) this.drain();
  }

  create(key: string, value: Uint8Array): Promise<number> {
    return this.call({ op: 'create', key, value }) as Promise<number>;
  }

  get(key: string): Promise<NameBucketEntry | null> {
    return this.call({ op: 'get', key }) as Promise<NameBucketEntry | null>;
  }

  update(key: string, value: Uint8Array, revision: number): Promise<number> {
    return this.call({ op: 'update', key, value, revision }) as Promise<number>;
  }

  delete(key: string, options: { previousSeq: number }): Promise<unknown> {
    return this.call({ op: 'delete', key, revision: options.previousSeq });
  }

  forget(key: string, revision: number): void {
    this.port.postMessage({ op: 'delete', key, revision, id: 0 } satisfies BucketCall);
  }

  /** Sends `call` and waits for thread 1's answer (the changes it sent before it are taken in on the way). */
  private call(call: DistributiveOmit<BucketCall, 'id'>): Promise<unknown> {
    const id = this.next++;
    this.waiting.add(id);
    this.port.postMessage({ ...call, id });
    const deadline = Date.now() + ANSWER_WAIT_MS;
    try {
      for (;;) {
        const seen = Atomics.load(this.words, this.index);
        this.drain();
        const answer = this.answers.get(id);
        if (answer !== undefined) {
          this.answers.delete(id);
          return answer.ok ? Promise.resolve(answer.result) : Promise.reject(new Error(String(answer.result)));
        }
        const left = deadline - Date.now();
        if (left <= 0 || Atomics.wait(this.words, this.index, seen, left) === 'timed-out') {
          return Promise.reject(new Error(`the node's name table did not answer in ${ANSWER_WAIT_MS} ms`));
        }
      }
    } finally {
      this.waiting.delete(id);
    }
  }

  private drain(): void {
    for (let m = receiveMessageOnPort(this.port); m !== undefined; m = receiveMessageOnPort(this.port)) this.take(m.message as BucketReply);
  }

  private take(reply: BucketReply): void {
    if ('watched' in reply) {
      this.revision = Math.max(this.revision, reply.watched.revision);
      this.apply?.(reply.watched);
    } else if (this.waiting.has(reply.id)) this.answers.set(reply.id, { ok: reply.ok, result: reply.result });
  }
}

/** What `call` returns, or the Error it throws, as a settled promise. */
function settled<T>(call: () => T): Promise<T> {
  try {
    return Promise.resolve(call());
  } catch (e) {
    return Promise.reject(e as Error);
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
