/**
 * Run-time registry changes on a node run with several threads (`wisp run --threads N`): every thread holds the
 * registry's history (its hosts compile from it), and thread 1 orders the changes. A change is checked on the
 * thread that makes it (its Lua compiled there), then applied by thread 1 after whatever it applied before,
 * passed on to every worker, and applied by each in the order thread 1 sent them, so every thread goes through
 * the same versions with the same numbers. The call that made it returns once every thread that is up has
 * applied it (or after CHANGE_SETTLE_MS for a thread that does not answer): from then on a process on any
 * thread sees it, so a message sent after the call reaches a process that sees the change. A process that reads
 * meanwhile sees the previous version or the new one, each whole.
 */
import type { MessagePort, Worker } from 'worker_threads';
import { RegistryError, UnsupportedChange, type RegistryStore, type StoreChange, type Version } from '../registry';
import type { Log } from '../api/logging';
import { isObject, Pending } from './thread-view';

/** How long a worker's change waits for thread 1 before it fails. */
const CHANGE_TIMEOUT_MS = 30_000;
/** How long thread 1 waits for the workers to have applied a change before the call returns anyway. */
const CHANGE_SETTLE_MS = 5_000;

/** A worker asks thread 1 for a change and gets an answer; thread 1 passes every change on, and each worker says it has it. */
type ChangeRequest = { readonly registryAsk: number; readonly change: StoreChange };
type ChangeAnswer = { readonly registryAnswer: number; readonly version?: number; readonly error?: string; readonly unsupported?: boolean };
type ChangeMade = { readonly registryMade: StoreChange; readonly version: number };
type ChangeApplied = { readonly registryApplied: number };

const made = (store: RegistryStore, change: StoreChange): Version => ('ops' in change ? store.apply(change.ops) : store.restore(change.restore));

/**
 * Thread 1's side: makes every change (its own processes' and the workers'), passes it on to each worker that
 * is up and waits until they have it. Returns the handler of the workers' messages.
 */
export function leadRegistry(store: RegistryStore, workers: readonly Worker[], alive: (w: Worker) => boolean, log: Log): (worker: Worker, message: unknown) => boolean {
  const acks = new Pending<true>();
  /** The acknowledgement each worker still owes, by version (one change at a time reaches a version number). */
  const owed = new Map<Worker, number[]>();
  const change = async (c: StoreChange): Promise<number> => {
    const version = made(store, c).id;
    await Promise.all(
      workers.filter(alive).map(async (w) => {
        const got = await acks.ask((id) => {
          owed.set(w, [...(owed.get(w) ?? []), id]);
          w.postMessage({ registryMade: c, version } satisfies ChangeMade);
        }, CHANGE_SETTLE_MS);
        if (got === null && alive(w)) log('warn', 'registry: a thread has not confirmed a change; going on without it', { version });
      }),
    );
    return version;
  };
  store.leader = { change };
  return (worker, message) => {
    if (!isObject(message)) return false;
    if (typeof message.registryApplied === 'number') {
      // A worker applies in the order they were sent: its oldest owed acknowledgement is this one.
      const id = owed.get(worker)?.shift();
      if (id !== undefined) acks.settle(id, true);
      return true;
    }
    if (typeof message.registryAsk !== 'number') return false;
    const { registryAsk: id, change: asked } = message as ChangeRequest;
    void change(asked).then(
      (version) => answer({ registryAnswer: id, version }),
      (e: unknown) => answer({ registryAnswer: id, error: e instanceof Error ? e.message : String(e), unsupported: e instanceof UnsupportedChange }),
    );
    return true;
    function answer(a: ChangeAnswer): void {
      if (alive(worker)) worker.postMessage(a);
    }
  };
}

/** A worker's side: its processes' changes go through thread 1; returns the handler of thread 1's messages. */
export function followRegistry(store: RegistryStore, port: MessagePort, log: Log): (message: unknown) => boolean {
  const pending = new Pending<ChangeAnswer>();
  store.leader = {
    async change(change) {
      const answer = await pending.ask((id) => port.postMessage({ registryAsk: id, change } satisfies ChangeRequest), CHANGE_TIMEOUT_MS);
      if (answer === null) throw new Error('registry change: thread t1 did not answer');
      if (answer.error !== undefined) throw answer.unsupported === true ? new UnsupportedChange(answer.error) : new RegistryError(answer.error);
      return answer.version as number;
    },
  };
  return (message) => {
    if (!isObject(message)) return false;
    if (typeof message.registryAnswer === 'number') {
      pending.settle(message.registryAnswer, message as ChangeAnswer);
      return true;
    }
    if (!isObject(message.registryMade)) return false;
    const { registryMade: change, version } = message as ChangeMade;
    try {
      const applied = made(store, change);
      if (applied.id !== version) log('error', 'registry: this thread is out of step with thread t1', { version: applied.id, expected: version });
    } catch (e) {
      log('error', 'registry: a change thread t1 made could not be applied here', { version, error: e instanceof Error ? e.message : String(e) });
    }
    port.postMessage({ registryApplied: version } satisfies ChangeApplied);
    return true;
  };
}
