/**
 * Cluster-scoped names (spec.md "Names") on a JetStream KV bucket: one key per scope and name holding the
 * owner's claim `{pid, node, incarnation}`. Every node keeps a replica of the bucket through a watch, so
 * `lookup` and `send` by name never wait. A claim whose owner's node is down (or a former incarnation) is
 * invisible at once and may be taken over, but is not deleted: a node that was only cut off gets its names
 * back when it is heard again, unless another took them meanwhile (then its process gets CANCEL "name
 * revoked"). First write wins through the KV's create/update-at-revision.
 */
import { ErrorValue } from '../kernel/value';
import { kernelErrors } from '../kernel/errors';
import { NAMES_PER_PROCESS, SCOPE } from '../kernel/names';
import type { Peers } from './peers';
import type { Log } from '../api/logging';
import { BoundedMap } from '../util/bounded-map';

/** One key of the names bucket, as the store reports it. */
export interface NameBucketEntry {
  readonly key: string;
  readonly operation: string;
  readonly value: Uint8Array;
  readonly revision: number;
  /** How many more entries the watch has pending (0: caught up). */
  readonly delta?: number;
}

/**
 * The store the claims live in: a JetStream KV bucket across nodes (`kvNames`), or the table thread 1 owns for
 * the threads of one node (name-table.ts). Writes are first-write-wins by revision, and every replica is given
 * every change.
 */
export interface NameBucket {
  /** Gives `apply` every entry, then every change; resolves once it has had what the bucket held (or after `maxWaitMs`). */
  follow(apply: (entry: NameBucketEntry) => void, maxWaitMs: number): Promise<void>;
  /** Gives `apply`, before returning, every change made so far (where the bucket can: the threads' table). */
  catchUp?(): void;
  /**
   * Whether every write is answered within the turn of the event loop it is made in and every replica sees it at
   * its next read (the threads' table): then an EVENTUAL claim waits for its answer as a CONSISTENT one does, and
   * a name taken first is refused at once, as on one thread, where a KV bucket's EVENTUAL claim is revoked later.
   */
  readonly exact?: boolean;
  /**
   * Deletes the claim of a process that has ended, without waiting for the answer: every thread reads such a
   * claim as free already (ClusterNames's `ended`), so only the table's size waits for it.
   */
  forget?(key: string, revision: number): void;
  /** Fails when the key exists. */
  create(key: string, value: Uint8Array): Promise<number>;
  get(key: string): Promise<NameBucketEntry | null>;
  /** Fails unless the key is at `revision`. */
  update(key: string, value: Uint8Array, revision: number): Promise<number>;
  delete(key: string, options: { previousSeq: number }): Promise<unknown>;
}

/** A JetStream KV bucket, as NATS's `KV` has it. */
export interface KvBucket extends Pick<NameBucket, 'create' | 'get' | 'update' | 'delete'> {
  status(): Promise<{ readonly values: number }>;
  watch(options: { key: string }): Promise<AsyncIterable<NameBucketEntry>>;
}

/** The names of a cluster in KV bucket `kv`: a replica follows its watch. */
export function kvNames(kv: KvBucket, log: Log): NameBucket {
  return {
    async follow(apply, maxWaitMs) {
      const status = await kv.status();
      let synced!: () => void;
      const ready = new Promise<void>((resolve) => (synced = resolve));
      if (status.values === 0) synced();
      // One filter for the whole bucket (several need nats-server 2.10; Debian ships 2.9); incarnations skipped.
      const iter = await kv.watch({ key: '>' });
      void (async () => {
        try {
          for await (const e of iter) {
            apply(e);
            if (e.delta === 0) synced(); // nothing pending: the replica has caught up
          }
        } catch (error) {
          log('error', 'cluster: name watch ended', { error: errorText(error) });
        }
      })();
      const timer = setTimeout(synced, maxWaitMs);
      await ready;
      clearTimeout(timer);
    },
    create: (key, value) => kv.create(key, value),
    get: (key) => kv.get(key),
    update: (key, value, revision) => kv.update(key, value, revision),
    delete: (key, options) => kv.delete(key, options),
  };
}

interface Claim {
  readonly pid: string;
  readonly node: string;
  readonly incarnation: number;
  /** The thread that made the claim for a process of another thread of its node (spec.md "Names"); absent: `node`. */
  readonly by?: string;
}

interface Held {
  readonly claim: Claim;
  /** The KV revision of the claim; 0 while this node's claim is still on its way. */
  revision: number;
}

const PREFIX: Record<number, string> = { [SCOPE.EVENTUAL]: 'e', [SCOPE.CONSISTENT]: 'c', [SCOPE.STRONG]: 's' };
/** Lookup order, as in Wippy: the consistent scopes shadow EVENTUAL, which shadows LOCAL. */
const LOOKUP_ORDER = [SCOPE.CONSISTENT, SCOPE.STRONG, SCOPE.EVENTUAL];

/**
 * A cluster name is a KV key (below), so it is bounded in bytes (the kernel's MAX_NAME_LENGTH counts
 * characters, up to 3 bytes each): a longer key makes a NATS protocol line the server refuses by cutting the
 * node's connection off. 1024 bytes keep the line well within NATS's 4 KB.
 */
export const MAX_CLUSTER_NAME_BYTES = 1024;

/** KV keys allow letters, digits and `-_=/.`: a name is stored as its UTF-8 bytes in base64url. */
export const nameKey = (scope: number, name: string): string => `${PREFIX[scope]}.${Buffer.from(name, 'utf8').toString('base64url')}`;
/** The keys a name is looked up under, memoised: every send by name asks. */
const keyCache = new BoundedMap<string, readonly string[]>(10_000);
function lookupKeys(name: string): readonly string[] {
  return keyCache.memo(name, () => LOOKUP_ORDER.map((scope) => nameKey(scope, name)));
}
const isNameKey = (key: string): boolean => key.length > 2 && key[1] === '.' && 'ecs'.includes(key[0]);
const nameOfKey = (key: string): string => Buffer.from(key.slice(2), 'base64url').toString('utf8');

const encodeClaim = (c: Claim): Uint8Array => Buffer.from(JSON.stringify(c));

function decodeClaim(bytes: Uint8Array): Claim | null {
  try {
    const c = JSON.parse(Buffer.from(bytes).toString('utf8')) as Partial<Claim>;
    if (typeof c.pid === 'string' && typeof c.node === 'string' && typeof c.incarnation === 'number') {
      return typeof c.by === 'string' ? { pid: c.pid, node: c.node, incarnation: c.incarnation, by: c.by } : { pid: c.pid, node: c.node, incarnation: c.incarnation };
    }
  } catch {
    /* not a claim: ignored below */
  }
  return null;
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export class ClusterNames {
  private readonly replica = new Map<string, Held>();
  /** This node's processes → the keys they hold (or are claiming). */
  private readonly owned = new Map<string, Set<string>>();
  /** Claims this thread made for another thread's process and released before they landed. */
  private readonly withdrawn = new WeakSet<Claim>();
  private inFlight = 0;

  constructor(
    private readonly kv: NameBucket,
    private readonly peers: Peers,
    private readonly isLocalAlive: (pid: string) => boolean,
    /** Whether a process of this node, of any of its threads, is known to have ended (live-set.ts; else false). */
    private readonly ended: (pid: string) => boolean,
    /** Tells a process it lost an EVENTUAL name to an earlier claim (Wippy: CANCEL "name revoked: <n>"). */
    private readonly revoked: (pid: string, name: string) => void,
    private readonly log: Log,
  ) {}

  /** Starts following the bucket; resolves once the replica holds what the bucket held (or after `maxWaitMs`). */
  async start(maxWaitMs = 3000): Promise<void> {
    await this.kv.follow((e) => {
      if (!isNameKey(e.key)) return;
      if (e.operation === 'PUT') this.seen(e.key, e.value, e.revision);
      else this.gone(e.key, e.revision);
    }, maxWaitMs);
    // Claims left by this node's former incarnations are void now.
    for (const [key, held] of this.replica) {
      if (held.claim.node === this.peers.self && held.claim.incarnation !== this.peers.incarnation) this.drop(key, held);
    }
  }

  lookup(name: string): string | undefined {
    this.kv.catchUp?.();
    // No longer name can be held (and none is worth a cached key).
    if (this.replica.size === 0 || name.length > MAX_CLUSTER_NAME_BYTES) return undefined;
    for (const key of lookupKeys(name)) {
      const held = this.replica.get(key);
      if (held !== undefined && this.live(held.claim)) return held.claim.pid;
    }
    return undefined;
  }

  /**
   * Claims `name` for `pid`, a process of this node, or (`node`) of another thread of this node: that thread
   * takes the claim over when its watch sees it (`seen`), so that the name goes when the process does.
   */
  register(name: string, pid: string, scope: number, node = this.peers.self): ErrorValue | null | Promise<ErrorValue | null> {
    if (PREFIX[scope] === undefined) return new ErrorValue(`unknown registry scope ${scope}`, 'Invalid');
    this.kv.catchUp?.();
    const bytes = Buffer.byteLength(name, 'utf8');
    if (bytes > MAX_CLUSTER_NAME_BYTES) return new ErrorValue(`name too long for the cluster: ${bytes} bytes (at most ${MAX_CLUSTER_NAME_BYTES})`, 'Invalid');
    const key = nameKey(scope, name);
    const current = this.replica.get(key);
    if (current !== undefined && this.live(current.claim)) {
      return current.claim.pid === pid ? null : kernelErrors.nameTaken();
    }
    const mine = node === this.peers.self;
    // The kernel's bound for a process's names holds for its cluster names (held, or being claimed) too: every
    // node keeps a replica of them.
    if (mine && (this.owned.get(pid)?.size ?? 0) >= NAMES_PER_PROCESS) {
      return new ErrorValue(`too many names: ${pid} has ${NAMES_PER_PROCESS} registered`, 'Unavailable');
    }
    const incarnation = mine ? this.peers.incarnation : this.peers.incarnationOf(node);
    if (incarnation === undefined) return kernelErrors.processNotFound();
    const claim: Claim = mine ? { pid, node, incarnation } : { pid, node, incarnation, by: this.peers.self };
    if (mine) this.own(pid, key);
    if (scope === SCOPE.EVENTUAL && this.kv.exact !== true) {
      // Visible here at once; the bus decides later, and a loser is told by CANCEL.
      const provisional = { claim, revision: 0 };
      this.replica.set(key, provisional);
      void this.claim(key, claim).then((won) => {
        if (won === true) return;
        if (won !== false) this.log('warn', 'cluster: an EVENTUAL name is held on this node only for now', { name, error: won.message });
        else if (mine) this.lose(key, pid, name);
        else if (this.replica.get(key) === provisional) this.replica.delete(key);
      });
      return null;
    }
    return this.claim(key, claim).then((won) => {
      if (won === true) return null;
      if (mine) this.disown(pid, key);
      return won === false ? kernelErrors.nameTaken() : won;
    });
  }

  /** Releases `name`: held by a process of this node, or of another thread of this node (its thread is told by the watch). */
  unregister(name: string, scope: number): boolean {
    if (PREFIX[scope] === undefined || name.length > MAX_CLUSTER_NAME_BYTES) return false;
    this.kv.catchUp?.();
    const key = nameKey(scope, name);
    const held = this.replica.get(key);
    if (held === undefined || !this.live(held.claim)) return false;
    if (held.claim.node !== this.peers.self) {
      if (!this.peers.isSteady(held.claim.node)) return false;
      // This thread's claim for another's process, still on its way: dropped once it lands (claimed).
      if (held.revision === 0) {
        if (held.claim.by !== this.peers.self) return false;
        this.withdrawn.add(held.claim);
        this.replica.delete(key);
        return true;
      }
      this.drop(key, held);
      return true;
    }
    if (!this.owned.get(held.claim.pid)?.has(key)) return false;
    this.disown(held.claim.pid, key);
    this.drop(key, held);
    return true;
  }

  /** The cluster names a local process holds or is claiming. */
  namesOf(pid: string): string[] {
    this.kv.catchUp?.();
    return [...(this.owned.get(pid) ?? [])].map(nameOfKey);
  }

  /** A local process ended: its names go, before anyone hears of its exit from the bus. */
  releaseAll(pid: string): void {
    const keys = this.owned.get(pid);
    if (keys === undefined) return;
    this.owned.delete(pid);
    for (const key of keys) {
      const held = this.replica.get(key);
      if (held !== undefined && held.claim.pid === pid) this.drop(key, held, true);
    }
  }


  /** Releases every claim of this node (graceful shutdown). */
  async releaseEverything(): Promise<void> {
    const deletions: Promise<void>[] = [];
    for (const [key, held] of this.replica) {
      if (held.claim.node === this.peers.self && held.revision > 0) {
        deletions.push(this.kv.delete(key, { previousSeq: held.revision }).then(() => undefined, () => undefined));
      }
    }
    this.owned.clear();
    await Promise.all(deletions);
  }

  private live(claim: Claim): boolean {
    if (claim.node === this.peers.self) return claim.incarnation === this.peers.incarnation && this.isLocalAlive(claim.pid);
    return this.peers.incarnationOf(claim.node) === claim.incarnation && !this.ended(claim.pid);
  }

  /** Whether a claim of this node is on its way to the bucket. */
  get claiming(): boolean {
    return this.inFlight > 0;
  }

  /** true when this claim holds the key; false when a live claim of another holds it; an error if the bus failed. */
  private async claim(key: string, claim: Claim): Promise<boolean | ErrorValue> {
    this.inFlight++;
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        let revision: number | null = null;
        try {
          revision = await this.kv.create(key, encodeClaim(claim));
        } catch {
          const entry = await this.kv.get(key);
          if (entry === null || entry.operation !== 'PUT') continue; // deleted meanwhile: create again
          const other = decodeClaim(entry.value);
          if (other !== null && other.pid !== claim.pid && this.live(other)) return false;
          try {
            revision = await this.kv.update(key, encodeClaim(claim), entry.revision);
          } catch {
            continue; // someone wrote first: look again
          }
        }
        return this.claimed(key, claim, revision);
      }
      return false;
    } catch (e) {
      return new ErrorValue(`cluster registry unavailable: ${errorText(e)}`, 'Unavailable', true);
    } finally {
      this.inFlight--;
    }
  }

  private claimed(key: string, claim: Claim, revision: number): true {
    const held = { claim, revision };
    if (this.withdrawn.delete(claim) || (claim.node === this.peers.self && (this.owned.get(claim.pid)?.has(key) !== true || !this.isLocalAlive(claim.pid)))) {
      this.drop(key, held); // the owner exited (or unregistered) while the claim was on its way
      return true;
    }
    const now = this.replica.get(key);
    if (now === undefined || now.revision <= revision) this.replica.set(key, held);
    return true;
  }

  private lose(key: string, pid: string, name: string): void {
    if (this.owned.get(pid)?.has(key) !== true) return;
    this.disown(pid, key);
    const held = this.replica.get(key);
    if (held !== undefined && held.claim.pid === pid) this.replica.delete(key);
    this.revoked(pid, name);
  }

  private seen(key: string, value: Uint8Array, revision: number): void {
    const claim = decodeClaim(value);
    if (claim === null) {
      this.log('warn', 'cluster: ignored a malformed name claim', { key });
      return;
    }
    const held = this.replica.get(key);
    if (held !== undefined && held.revision > revision) return;
    const now = { claim, revision };
    this.replica.set(key, now);
    // A claim of ours lost: an EVENTUAL claim lost the race, or this node was cut off and another took the name.
    if (held !== undefined && held.claim.node === this.peers.self && held.claim.pid !== claim.pid) {
      this.lose(key, held.claim.pid, nameOfKey(key));
    }
    // Another thread of this node claimed it for a process here: this thread holds it from now on (the process
    // may not have started here yet: a spawner claims before the child runs), or drops it if it has ended.
    if (claim.by !== undefined && claim.node === this.peers.self && claim.incarnation === this.peers.incarnation) {
      if (this.isLocalAlive(claim.pid) || !this.ended(claim.pid)) this.own(claim.pid, key);
      else this.drop(key, now, true);
    }
  }

  private gone(key: string, revision: number): void {
    const held = this.replica.get(key);
    if (held === undefined || held.revision === 0 || held.revision >= revision) return;
    this.replica.delete(key);
    // Released by another thread of this node (process.registry.unregister there).
    if (held.claim.node === this.peers.self) this.disown(held.claim.pid, key);
  }

  /** Deletes a claim of the replica and the bucket (`ended`: its holder has ended, so no reader waits for it). */
  private drop(key: string, held: Held, ended = false): void {
    if (this.replica.get(key) === held) this.replica.delete(key);
    if (held.revision === 0) return;
    if (ended && this.kv.forget !== undefined) this.kv.forget(key, held.revision);
    else this.kv.delete(key, { previousSeq: held.revision }).catch(() => undefined);
  }

  private own(pid: string, key: string): void {
    let keys = this.owned.get(pid);
    if (keys === undefined) this.owned.set(pid, (keys = new Set()));
    keys.add(key);
  }

  private disown(pid: string, key: string): void {
    const keys = this.owned.get(pid);
    keys?.delete(key);
    if (keys?.size === 0) this.owned.delete(pid);
  }
}
