/**
 * Which processes of a node's threads are alive, in memory the threads share (spec.md "Threads", "Liveness"),
 * so that a send, monitor, link, cancel or terminate aimed at a process of another thread that has ended fails
 * at once with the error one thread gives, instead of being posted to a thread that will drop it.
 *
 * Per thread, a table of SLOTS slots indexed by the PID's number modulo SLOTS, each holding the number (as a
 * tag) of the process occupying it, written when a process is created (by the thread that numbers it: its own,
 * or the spawner's for a child placed there) and cleared when it ends. A process whose slot was taken by a live
 * one when it was created sets the slot's overflow bit, for good: for that slot the answer is "unknown", and
 * the operation goes as before (posted, as to any remote process). So a live process is never reported ended.
 */
import type { Pid } from '../kernel/pid';

export const LIVE_SLOTS = 1 << 16;
const WORDS = LIVE_SLOTS / 32;

/** Bytes of shared memory the live sets of `threads` threads take. */
export const liveSetBytes = (threads: number): number => threads * (LIVE_SLOTS + WORDS) * 4;

/** A PID's number as a slot's tag: never 0 (an empty slot). */
const tag = (uniq: number): number => (uniq % 0x7ffffffe) + 1;

export class LiveSets {
  private readonly slots: Int32Array;
  private readonly overflow: Int32Array;
  private readonly index = new Map<string, number>();

  /** `memory` from `offset`, liveSetBytes(threads) long; `names[i]` is thread i+1's node name. */
  constructor(memory: SharedArrayBuffer, offset: number, names: readonly string[]) {
    this.slots = new Int32Array(memory, offset, names.length * LIVE_SLOTS);
    this.overflow = new Int32Array(memory, offset + names.length * LIVE_SLOTS * 4, names.length * WORDS);
    names.forEach((name, i) => this.index.set(name, i));
  }

  /** Process `pid` exists (created on its thread, or numbered there by a spawner). */
  started(pid: Pid): void {
    const thread = this.threadOf(pid.node);
    if (thread === undefined) return;
    const at = thread * LIVE_SLOTS + (pid.uniq % LIVE_SLOTS);
    const mine = tag(pid.uniq);
    const held = Atomics.compareExchange(this.slots, at, 0, mine);
    if (held !== 0 && held !== mine) Atomics.or(this.overflow, at >> 5, 1 << (at & 31));
  }

  /** Process `pid` has ended (or never started). */
  ended(pid: Pid): void {
    const thread = this.threadOf(pid.node);
    if (thread === undefined) return;
    const at = thread * LIVE_SLOTS + (pid.uniq % LIVE_SLOTS);
    Atomics.compareExchange(this.slots, at, tag(pid.uniq), 0);
  }

  /** Whether the process numbered `uniq` on thread `node` is alive; undefined when this cannot tell. */
  alive(node: string | null, uniq: number): boolean | undefined {
    const thread = this.threadOf(node);
    if (thread === undefined) return undefined;
    const at = thread * LIVE_SLOTS + (uniq % LIVE_SLOTS);
    if (Atomics.load(this.slots, at) === tag(uniq)) return true;
    return (Atomics.load(this.overflow, at >> 5) & (1 << (at & 31))) !== 0 ? undefined : false;
  }

  private threadOf(node: string | null): number | undefined {
    return node === null ? undefined : this.index.get(node);
  }
}
