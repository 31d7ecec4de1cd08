/**
 * The node's `env.storage.memory` storages across threads (spec.md "Shared memory services"): thread 1 holds
 * the truth and passes each write on to every other thread, which keeps a replica and reads it without waiting.
 * The messages go over the port of shared.ts.
 */
import type { MessagePort } from 'worker_threads';
import type { ErrorValue } from '../kernel/value';

/** Thread 1 to a thread: a write to storage `env` as thread 1 applied it (`own`: one that thread made). */
export interface EnvWrite {
  readonly env: string;
  readonly name: string;
  readonly value: string;
  readonly own: boolean;
}

/** What the `env` service keeps in an `env.storage.memory` (src/services/env): names to values. */
export interface EnvStorage {
  get(name: string): string | undefined;
  /** Null when written, else why not (the owner is down, too many writes waiting, a value too large). */
  set(name: string, value: string): ErrorValue | null;
  list(): Map<string, string>;
}

/**
 * The node's `env.storage.memory` storages (thread 1): the truth, each write passed on to every other thread in
 * the order it was made, so that each thread keeps a replica and reads it without waiting, as env reads are.
 */
export class SharedEnv {
  private readonly storages = new Map<string, Map<string, string>>();
  private readonly ports = new Set<MessagePort>();

  /** Thread 1's storage `id`. */
  storage(id: string): EnvStorage {
    const values = this.values(id);
    return {
      get: (name) => values.get(name),
      set: (name, value) => (this.write(id, name, value, null), null),
      list: () => new Map(values),
    };
  }

  add(port: MessagePort): void {
    this.ports.add(port);
  }

  remove(port: MessagePort): void {
    this.ports.delete(port);
  }

  write(id: string, name: string, value: string, from: MessagePort | null): void {
    this.values(id).set(name, value);
    for (const port of this.ports) port.postMessage({ env: id, name, value, own: port === from } satisfies EnvWrite);
  }

  private values(id: string): Map<string, string> {
    let values = this.storages.get(id);
    if (values === undefined) this.storages.set(id, (values = new Map()));
    return values;
  }
}

/**
 * A replica of an `env.storage.memory` on another thread. A write is seen on its own thread at once and sent to
 * thread 1; writes of other threads arrive in thread 1's order. While a write of its own is on its way, the
 * replica keeps it over others' earlier writes to the name (its own comes back after them, and wins there too),
 * so every replica ends with thread 1's value and a thread always reads its own last write.
 */
export class EnvReplica implements EnvStorage {
  readonly values = new Map<string, string>();
  /** Own writes per name not yet back from thread 1. */
  private readonly unconfirmed = new Map<string, number>();

  constructor(
    /** Sends a write to thread 1; an error when it cannot (nothing is sent then). */
    private readonly send: (name: string, value: string) => ErrorValue | null,
  ) {}

  get(name: string): string | undefined {
    return this.values.get(name);
  }

  set(name: string, value: string): ErrorValue | null {
    const refused = this.send(name, value);
    if (refused !== null) return refused;
    this.values.set(name, value);
    this.unconfirmed.set(name, (this.unconfirmed.get(name) ?? 0) + 1);
    return null;
  }

  list(): Map<string, string> {
    return new Map(this.values);
  }

  /** A write as thread 1 applied it (`own`: one of this thread's, sent with `value.length` counted). */
  applied(name: string, value: string, own: boolean): void {
    const waiting = this.unconfirmed.get(name) ?? 0;
    if (own) {
      if (waiting <= 1) this.unconfirmed.delete(name);
      else this.unconfirmed.set(name, waiting - 1);
      if (waiting <= 1) this.values.set(name, value);
    } else if (waiting === 0) this.values.set(name, value);
  }
}
