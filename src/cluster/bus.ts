/**
 * The node's outgoing and incoming frames on NATS (spec.md "Wire"). Frames for one node are queued in order
 * and published together once per turn of the event loop, on one connection, so per-sender FIFO holds. Posting
 * never waits for the network: a slow or stuck peer costs memory in the client's buffer, never a blocked process.
 */
import { encode } from './wire';
import { ErrorValue } from '../kernel/value';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Frame } from './frames';
import type { ClusterLog } from './router';

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

export class Bus {
  private readonly outboxes = new Map<string, Frame[]>();
  private scheduled = false;
  private batchListener: ((data: Uint8Array) => void) | null = null;

  constructor(
    private readonly nc: NatsConnection,
    private readonly subjects: Subjects,
    private readonly self: string,
    private readonly incarnation: number,
    private readonly log: ClusterLog,
  ) {
    nc.subscribe(subjects.node(self), {
      callback: (err, msg) => {
        if (err === null) this.batchListener?.(msg.data);
      },
    });
  }

  onBatch(fn: (data: Uint8Array) => void): void {
    this.batchListener = fn;
  }

  post(node: string, frame: Frame): ErrorValue | null {
    let box = this.outboxes.get(node);
    if (box === undefined) this.outboxes.set(node, (box = []));
    if (box.length >= OUTBOX_LIMIT) return new ErrorValue(`node ${node} is not keeping up: ${OUTBOX_LIMIT} messages waiting`, 'Unavailable', true);
    box.push(frame);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return null;
  }

  flush(): void {
    this.scheduled = false;
    if (this.nc.isClosed()) return this.outboxes.clear();
    for (const [node, frames] of this.outboxes) {
      this.outboxes.delete(node);
      for (let i = 0; i < frames.length; i += BATCH_FRAMES) this.publish(node, frames.slice(i, i + BATCH_FRAMES));
    }
  }

  private publish(node: string, frames: Frame[]): void {
    const data = encode([this.self, this.incarnation, frames]);
    const max = this.nc.info?.max_payload ?? 1024 * 1024;
    if (data.length > max) {
      if (frames.length === 1) {
        this.log('error', 'cluster: message too large for the bus, dropped', { bytes: data.length, max_payload: max, to: node });
        return;
      }
      const half = frames.length >> 1;
      this.publish(node, frames.slice(0, half));
      this.publish(node, frames.slice(half));
      return;
    }
    try {
      this.nc.publish(this.subjects.node(node), data);
    } catch (e) {
      this.log('warn', 'cluster: publish failed', { error: e instanceof Error ? e.message : String(e), to: node });
    }
  }
}
