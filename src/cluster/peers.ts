/**
 * Node liveness (spec.md "Liveness"): which other nodes are up, and in which incarnation. A node is up from the
 * first heartbeat or message it sends and down when it has been silent for the timeout, when it says goodbye,
 * or when a newer incarnation of it speaks (a restart faster than the timeout).
 */
export class Peers {
  private readonly up = new Map<string, { incarnation: number; lastSeen: number }>();
  private readonly downListeners: ((node: string) => void)[] = [];
  private readonly upListeners: ((node: string) => void)[] = [];

  constructor(
    readonly self: string,
    readonly incarnation: number,
    private readonly timeoutMs: number,
  ) {}

  onDown(fn: (node: string) => void): void {
    this.downListeners.push(fn);
  }

  onUp(fn: (node: string) => void): void {
    this.upListeners.push(fn);
  }

  isUp(node: string): boolean {
    return node === this.self || this.up.has(node);
  }

  /** The incarnation of `node` while it is up. */
  incarnationOf(node: string): number | undefined {
    return node === this.self ? this.incarnation : this.up.get(node)?.incarnation;
  }

  nodes(): string[] {
    return [...this.up.keys()];
  }

  /** `node` spoke as `incarnation`. False for an older incarnation than the one known (its words are void). */
  heard(node: string, incarnation: number, now = Date.now()): boolean {
    if (node === this.self) return incarnation === this.incarnation;
    const known = this.up.get(node);
    if (known !== undefined) {
      if (incarnation < known.incarnation) return false;
      if (incarnation === known.incarnation) {
        known.lastSeen = now;
        return true;
      }
      this.lost(node);
    }
    this.up.set(node, { incarnation, lastSeen: now });
    for (const fn of this.upListeners) fn(node);
    return true;
  }

  /** `node` said goodbye (a graceful shutdown): down at once. */
  left(node: string, incarnation: number): void {
    if (this.up.get(node)?.incarnation === incarnation) this.lost(node);
  }

  /** Marks every node silent for longer than the timeout as down. */
  sweep(now = Date.now()): void {
    for (const [node, p] of this.up) if (now - p.lastSeen > this.timeoutMs) this.lost(node);
  }

  private lost(node: string): void {
    if (!this.up.delete(node)) return;
    for (const fn of this.downListeners) fn(node);
  }
}
