/**
 * The node's outgoing and incoming frames on NATS (spec.md "Wire"). A frame is encoded when it is posted, so a
 * value too large for the bus is refused to its sender there and then; frames for one node are queued in order
 * and published together once per turn of the event loop, on one connection, so per-sender FIFO holds. Each
 * bus message carries its connection's epochs and number (peers.ts), and a tick keeps every audible node
 * informed of the last number sent. Posting never waits for the network, and what waits is bounded: per node in
 * the outbox, and in the NATS client until the server confirms it has read it.
 */
import { encode } from './wire';
import { ErrorValue, Table } from '../kernel/value';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Frame } from './frames';
import type { Log } from '../api/logging';
import type { Peers } from './peers';

/** Subjects of one cluster: everything is under `wisp.<cluster>.`, so clusters on one server never mix. */
export class Subjects {
  constructor(readonly cluster: string) {}
  node(node: string): string {
    return `wisp.${this.cluster}.node.${node}`;
  }
  get heartbeat(): string {
    return `wisp.${this.cluster}.heartbeat`;
  }
}

/** Frames per bus message at most; bigger batches are split (and so is any batch over the server's max payload). */
const BATCH_FRAMES = 512;
/** Frames waiting for one node beyond which a send fails rather than grow memory without bound. */
export const OUTBOX_LIMIT = 200_000;
/** Bytes waiting for one node beyond which a send fails. */
export const OUTBOX_BYTES = 64 * 1024 * 1024;
/** Bytes handed to the NATS client and not yet confirmed read by the server beyond which sends fail. */
export const UNCONFIRMED_BYTES = 64 * 1024 * 1024;
/** Published bytes after which the server is asked to confirm (a PING; its PONG comes after those bytes). */
const CONFIRM_EVERY = 1024 * 1024;
/** Room for a message's header (node name, incarnation, epochs, number, frame count) within max_payload. */
const HEADER_ROOM = 128;
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

interface Outbox {
  frames: Uint8Array[];
  bytes: number;
}

/** The error a sender gets for a value too large to cross nodes (Wippy: "message too large", Invalid). */
export function tooLarge(size: number, limit: number): ErrorValue {
  const details = new Table();
  details.map.set('size', size);
  details.map.set('max_size', limit);
  return new ErrorValue(`message too large for the cluster: ${size} bytes, at most ${limit}`, 'Invalid', false, details);
}

/**
 * What carries the bus's messages between nodes: NATS subjects between nodes (`natsLink`), or message ports
 * between the threads of one node (threads.ts). Each message reaches its node whole and in order.
 */
export interface BusLink {
  /** The largest message the link carries. */
  readonly maxPayload: number;
  /**
   * When queued frames go out: at the end of the task that queued them (a scheduler's batch, a received
   * message), or once per turn of the event loop; or each frame as soon as it is posted ('post': the rings
   * between threads, where a message costs a copy and a polling receiver sees it at once). NATS batches per turn.
   */
  readonly publishAfter: 'post' | 'task' | 'turn';
  /** Called at the end of each flush (the end of a task, for 'post' and 'task'). */
  afterFlush?(): void;
  isClosed(): boolean;
  /** Hands a message to the link for `node`; throws only while the link is closing. */
  publish(node: string, data: Uint8Array): void;
  /** Resolves once what was published so far has left this node (the NATS server read it). */
  confirm(): Promise<void>;
  /** Where this node's own messages go. */
  listen(fn: (data: Uint8Array) => void): void;
  /**
   * Hands to `listen`'s function, now, the messages already waiting from every other thread but `except`
   * (ports only): see ClusterRouter "catchUp".
   */
  catchUp?(except: string): void;
  /**
   * Whether `node` may have sent this one something it has not read yet (rings: its ring holds something, or
   * its messages come by port now). Links that cannot tell (NATS, ports alone) leave it out.
   */
  mayHaveUnread?(node: string): boolean;
}

/** The bus over NATS: each node listens on its own subject. */
export function natsLink(nc: NatsConnection, subjects: Subjects, self: string): BusLink {
  return {
    get maxPayload() {
      return nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD;
    },
    publishAfter: 'turn',
    isClosed: () => nc.isClosed(),
    publish: (node, data) => nc.publish(subjects.node(node), data),
    confirm: () => nc.flush(),
    listen(fn) {
      nc.subscribe(subjects.node(self), {
        callback: (err, msg) => {
          if (err === null) fn(msg.data);
        },
      });
    },
  };
}

export class Bus {
  private readonly outboxes = new Map<string, Outbox>();
  private scheduled = false;
  private batchListener: ((data: Uint8Array) => void) | null = null;
  private readonly selfBytes: Uint8Array;
  /** Bytes published, and of those, how many the server has confirmed (a flush answered after them). */
  private published = 0;
  private confirmed = 0;
  /** Bytes in all outboxes. */
  private queued = 0;
  private confirming = false;
  private readonly flushBound = (): void => this.flush();

  constructor(
    private readonly link: BusLink,
    self: string,
    private readonly incarnation: number,
    private readonly peers: Peers,
    private readonly log: Log,
  ) {
    this.selfBytes = Uint8Array.from(encode([self, incarnation]).subarray(1)); // both, without the array header
    link.listen((data) => this.batchListener?.(data));
  }

  onBatch(fn: (data: Uint8Array) => void): void {
    this.batchListener = fn;
  }

  /** Receives now what the other threads (but `except`) have already sent this one. */
  catchUp(except: string): void {
    this.link.catchUp?.(except);
  }

  /** Whether `node` may have sent this one something not read yet (BusLink "mayHaveUnread"); false when the link cannot tell. */
  mayHaveUnread(node: string): boolean {
    return this.link.mayHaveUnread?.(node) ?? false;
  }

  /** The largest frame the bus carries: the server's max_payload less a header. */
  get frameLimit(): number {
    return this.link.maxPayload - HEADER_ROOM;
  }

  /** Queues a frame for `node`: null once queued, else why not (too large, or too much waiting). */
  post(node: string, frame: Frame): ErrorValue | null {
    const bytes = encode(frame);
    if (bytes.length > this.frameLimit) return tooLarge(bytes.length, this.frameLimit);
    const unconfirmed = this.published - this.confirmed + this.queued;
    if (unconfirmed + bytes.length > UNCONFIRMED_BYTES) {
      return new ErrorValue(`the NATS server is not keeping up: ${unconfirmed} bytes sent or queued and not yet confirmed`, 'Unavailable', true);
    }
    if (this.link.publishAfter === 'post' && !this.outboxes.has(node)) {
      this.publish(node, [bytes]);
      this.schedule();
      return null;
    }
    const box = this.outbox(node);
    if (box.frames.length >= OUTBOX_LIMIT || box.bytes + bytes.length > OUTBOX_BYTES) {
      return new ErrorValue(`node ${node} is not keeping up: ${box.frames.length} messages (${box.bytes} bytes) waiting`, 'Unavailable', true);
    }
    box.frames.push(bytes);
    box.bytes += bytes.length;
    this.queued += bytes.length;
    return null;
  }

  /** A message with no frames goes to `node` at the next flush (if nothing else does): it carries the epochs and last number. */
  tick(node: string): void {
    this.outbox(node);
  }

  /** The frames waiting for `node` belong to a connection that was reset: they go (the reset said node-down). */
  discard(node: string): void {
    const box = this.outboxes.get(node);
    if (box === undefined) return;
    this.queued -= box.bytes;
    box.frames = [];
    box.bytes = 0;
  }

  /** The NATS client dropped the connection and what it buffered: nothing is waiting for a confirmation now. */
  connectionLost(): void {
    this.outboxes.clear();
    this.queued = 0;
    this.confirmed = this.published;
  }

  flush(): void {
    this.scheduled = false;
    this.queued = 0;
    if (this.link.isClosed()) return this.outboxes.clear();
    this.publishQueued();
    this.link.afterFlush?.();
  }

  private publishQueued(): void {
    const limit = this.frameLimit;
    for (const [node, box] of this.outboxes) {
      this.outboxes.delete(node);
      if (box.frames.length === 0) {
        this.publish(node, []);
        continue;
      }
      let batch: Uint8Array[] = [];
      let bytes = 0;
      for (const frame of box.frames) {
        if (batch.length === BATCH_FRAMES || bytes + frame.length > limit) {
          this.publish(node, batch);
          batch = [];
          bytes = 0;
        }
        batch.push(frame);
        bytes += frame.length;
      }
      this.publish(node, batch);
    }
  }

  private outbox(node: string): Outbox {
    let box = this.outboxes.get(node);
    if (box === undefined) this.outboxes.set(node, (box = { frames: [], bytes: 0 }));
    this.schedule();
    return box;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    if (this.link.publishAfter === 'turn') setImmediate(this.flushBound);
    else queueMicrotask(this.flushBound);
  }

  /** One bus message `[node, incarnation, epoch, seen, number, frames]`, the frames already encoded. */
  private publish(node: string, frames: Uint8Array[]): void {
    const stamp = this.peers.stamp(node, frames.length > 0);
    if (stamp === null) return;
    const parts = [Uint8Array.of(0x96), this.selfBytes, encode(stamp).subarray(1), arrayHeader(frames.length), ...frames];
    let length = 0;
    for (const p of parts) length += p.length;
    // An array of its own, not a slice of Node's shared pool: a message port copies (or transfers) a view's
    // whole buffer, which for a pooled Buffer is 8 KiB per message.
    const data = new Uint8Array(length);
    let at = 0;
    for (const p of parts) {
      data.set(p, at);
      at += p.length;
    }
    try {
      this.link.publish(node, data);
    } catch (e) {
      // Only when the connection is closing; the peers' reset says node-down for whatever this carried.
      this.log('warn', 'cluster: publish failed', { error: e instanceof Error ? e.message : String(e), to: node });
      return;
    }
    this.published += length;
    if (this.published - this.confirmed > CONFIRM_EVERY) this.confirm();
  }

  /** Asks the server to confirm what was published so far; one question at a time. */
  private confirm(): void {
    if (this.confirming) return;
    this.confirming = true;
    const mark = this.published;
    this.link
      .confirm()
      .then(
        () => void (this.confirmed = Math.max(this.confirmed, mark)),
        () => undefined, // the connection dropped: connectionLost() settles the count
      )
      .finally(() => {
        this.confirming = false;
        if (this.published - this.confirmed > CONFIRM_EVERY && !this.link.isClosed()) this.confirm();
      });
  }
}

/** A msgpack array header for `n` elements. */
function arrayHeader(n: number): Uint8Array {
  if (n < 16) return Uint8Array.of(0x90 | n);
  if (n < 0x10000) return Uint8Array.of(0xdc, n >> 8, n & 0xff);
  return Uint8Array.of(0xdd, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}
