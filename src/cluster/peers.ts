/**
 * The other nodes and this node's connection with each (spec.md "Liveness" and "Connections"). Over NATS there
 * is no TCP connection between two nodes, so one is kept here, as Erlang's distribution keeps one: every bus
 * message from a node to another carries the sender's *epoch* for that pair, the receiver's epoch as the sender
 * last saw it, and a sequence number. A message that is missing (a gap in the numbers), a node silent for the
 * timeout, a goodbye, a newer incarnation, or the loss of this node's own NATS connection *resets* the
 * connection: it is down on this side at once (its monitors and links fire "node down"), and the new epoch on
 * the next message tells the other side, which treats it as a node-down too and drops what was sent on the old
 * connection. So frames are either delivered in order, or both sides have seen a node-down: nothing is lost
 * without a word. A connection is up again once each side has heard the other's current epoch.
 */

/** At most this many other nodes are kept track of; a heartbeat from one more is ignored (with a log line). */
export const MAX_PEERS = 1024;

/** Why a connection was reset, for the "node down" log line. */
export type DownReason = string;

/** What a bus message says about its connection: see `Peers.accept`. */
export interface Header {
  readonly node: string;
  readonly incarnation: number;
  /** The sender's epoch for this pair. */
  readonly epoch: number;
  /** This node's epoch for the pair, as the sender last saw it. */
  readonly seen: number;
  /** Numbers data messages 1, 2, ... per connection; a tick (no frames) repeats the last number. */
  readonly seq: number;
  readonly tick: boolean;
}

export type Stamp = readonly [epoch: number, seen: number, seq: number];

interface Peer {
  readonly incarnation: number;
  lastSeen: number;
  /** This node's epoch for the pair: bumped at every reset, so that the peer learns of it. */
  epoch: number;
  /** The peer's epoch, as last adopted from its messages. */
  remoteEpoch: number;
  /** Both sides agree on the epochs: messages flow and the node is up. */
  connected: boolean;
  /** The last data message numbered on this connection, sent and received. */
  sent: number;
  received: number;
}

export interface PeerEvents {
  up(node: string): void;
  /** A connected node went down: every relationship with its processes ends. */
  down(node: string, reason: DownReason): void;
  /** The connection was reset (connected or not): frames waiting for the node belong to the old one. */
  reset(node: string): void;
  /** A tick should go to the node soon: a handshake to finish, or a reset to tell. */
  tick(node: string): void;
  /** One more node than MAX_PEERS spoke. */
  tooMany(node: string): void;
}

const NONE: PeerEvents = { up() {}, down() {}, reset() {}, tick() {}, tooMany() {} };

export class Peers {
  private readonly peers = new Map<string, Peer>();
  /**
   * Nodes on a link that closes when they end (the other threads of this node, over message ports): never
   * timed out, and not reset when this node loses its NATS connection.
   */
  private readonly steady = new Set<string>();
  events: PeerEvents = NONE;

  constructor(
    readonly self: string,
    readonly incarnation: number,
    private readonly timeoutMs: number,
  ) {}

  /** Whether `node` is this node or connected to it (sends to it are accepted). */
  isUp(node: string): boolean {
    return node === this.self || this.peers.get(node)?.connected === true;
  }

  /** The incarnation of `node` while it is up. */
  incarnationOf(node: string): number | undefined {
    if (node === this.self) return this.incarnation;
    const p = this.peers.get(node);
    return p?.connected === true ? p.incarnation : undefined;
  }

  /** The nodes that are up. */
  nodes(): string[] {
    return [...this.peers].filter(([, p]) => p.connected).map(([n]) => n);
  }

  /** The nodes heard within the timeout: those that get a tick every heartbeat interval. */
  audible(now = Date.now()): string[] {
    return [...this.peers].filter(([, p]) => now - p.lastSeen <= this.timeoutMs).map(([n]) => n);
  }

  /**
   * `node` spoke as `incarnation` (a heartbeat, or the header of a bus message). False for an older
   * incarnation than the one known (its words are void), or for a node past MAX_PEERS.
   */
  heard(node: string, incarnation: number, now = Date.now()): boolean {
    if (node === this.self) return incarnation === this.incarnation;
    let p = this.peers.get(node);
    if (p !== undefined && incarnation < p.incarnation) return false;
    if (p !== undefined && incarnation > p.incarnation) {
      this.reset(node, `restarted (incarnation ${incarnation})`);
      p = undefined;
    }
    if (p === undefined) {
      if (!this.peers.has(node) && this.peers.size >= MAX_PEERS) {
        this.events.tooMany(node);
        return false;
      }
      p = { incarnation, lastSeen: now, epoch: 0, remoteEpoch: 0, connected: false, sent: 0, received: 0 };
      this.peers.set(node, p);
    }
    p.lastSeen = now;
    if (!p.connected) this.events.tick(node);
    return true;
  }

  /**
   * Whether the frames of a bus message are to be applied. The message's epochs decide which connection it
   * belongs to; one sent on a connection this node has reset is dropped (the sender will hear of the reset and
   * see a node-down), and a gap in the numbers resets the connection.
   */
  accept(h: Header, now = Date.now()): boolean {
    if (!this.heard(h.node, h.incarnation, now)) return false;
    const p = this.peers.get(h.node) as Peer;
    if (h.epoch < p.remoteEpoch) return false; // from before the sender's own reset
    if (h.epoch > p.remoteEpoch) {
      // The sender reset its side: a node-down here too, then a new connection on its epoch.
      p.remoteEpoch = h.epoch;
      this.renew(h.node, p, 'it reset the connection');
      this.events.tick(h.node); // so that it hears at once that this side has followed
    }
    if (h.seen < p.epoch) {
      // Sent before the sender heard of this node's reset: void. It hears of it from the next tick.
      this.events.tick(h.node);
      return false;
    }
    if (h.seen > p.epoch) {
      // An epoch of this node's that never was (a forged message): a reset past it, or the two would never agree.
      p.epoch = h.seen;
      this.reset(h.node, 'it spoke of a connection this node never had');
      return false;
    }
    const expected = h.tick ? p.received : p.received + 1;
    if (h.seq !== expected) {
      this.reset(h.node, h.tick ? `messages lost (${h.seq - p.received} after number ${p.received})` : `gap in its messages (expected number ${expected}, got ${h.seq})`);
      return false;
    }
    p.received = h.seq;
    if (!p.connected) {
      p.connected = true;
      this.events.up(h.node);
    }
    return true;
  }

  /** The header fields of the next message to `node` (a data message takes the next number); null if unknown. */
  stamp(node: string, data: boolean): Stamp | null {
    const p = this.peers.get(node);
    if (p === undefined) return null;
    if (data) p.sent++;
    return [p.epoch, p.remoteEpoch, p.sent];
  }

  /** Resets the connection with `node`: down here at once; the node hears of it from this side's next message. */
  reset(node: string, reason: DownReason): void {
    const p = this.peers.get(node);
    if (p === undefined) return;
    p.epoch++;
    this.renew(node, p, reason);
    this.events.tick(node);
  }

  /** `node` is on a link that closes when it ends: no timeout, and `resetAll` leaves it alone. */
  keepSteady(node: string): void {
    this.steady.add(node);
  }

  /** Whether `node` is one kept by `keepSteady`. */
  isSteady(node: string): boolean {
    return this.steady.has(node);
  }

  /** Resets every connection over NATS (this node lost its own NATS connection). */
  resetAll(reason: DownReason): void {
    for (const node of [...this.peers.keys()]) if (!this.steady.has(node)) this.reset(node, reason);
  }

  /** `node` said goodbye (a graceful shutdown): down at once. */
  left(node: string, incarnation: number): void {
    if (this.peers.get(node)?.incarnation === incarnation) this.reset(node, 'it left the cluster');
  }

  /** Resets the connection with every node silent for longer than the timeout. */
  sweep(now = Date.now()): void {
    for (const [node, p] of this.peers) {
      if (p.connected && now - p.lastSeen > this.timeoutMs && !this.steady.has(node)) this.reset(node, `silent for ${now - p.lastSeen} ms`);
    }
  }

  /** A new connection (one side's epoch changed): numbering restarts, what waited for the old one goes. */
  private renew(node: string, p: Peer, reason: DownReason): void {
    p.sent = 0;
    p.received = 0;
    this.events.reset(node);
    if (!p.connected) return;
    p.connected = false;
    this.events.down(node, reason);
  }
}
