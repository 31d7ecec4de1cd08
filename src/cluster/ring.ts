/**
 * A single-producer single-consumer ring of messages in a SharedArrayBuffer (spec.md "Threads", transport): one
 * thread writes messages in place, another reads them, with no postMessage and no structured clone. Positions
 * are free-running byte counters (head: read so far, tail: written so far), so full and empty never look alike;
 * a record is a 4-byte length and the bytes, padded to 4, and never straddles the end (a WRAP record skips the
 * rest). The writer publishes a record by storing the tail after writing it, the reader releases room by
 * storing the head after copying it out: Atomics order the plain writes before them.
 *
 * The ring also holds the reader's doorbell state (`SLEEP`), so that a writer knows whether the reader is
 * polling (nothing to do) or asleep in its event loop (it must be woken through the pair's port).
 */

/** Header slots (Int32) before the data. */
const HEAD = 0;
const TAIL = 1;
const SLEEP = 2;
const HEADER_BYTES = 16;

/** A record length that says: the rest of the ring up to its end is skipped. */
const WRAP = -1;
/** A record length that says: the messages from here on come through the port, until it says otherwise. */
const MARK = -2;

/** The reader is polling its rings: a writer need not wake it. */
export const AWAKE = 0;
/** The reader sleeps in its event loop: the first writer to see this wakes it (and moves it to WOKEN). */
export const ASLEEP = 1;
/** A wake-up is on its way: no other writer need post one. */
export const WOKEN = 2;

/** What `read` found: a message, nothing, or the mark (the next messages are on the port). */
export const PORT_MARK = Symbol('port mark');

const pad4 = (n: number): number => (n + 3) & ~3;

export class Ring {
  readonly capacity: number;
  private readonly words: Int32Array;
  private readonly bytes: Uint8Array;
  /** The writer's own copy of the tail (only it stores the tail), and the reader's of the head. */
  private tail: number;
  private head: number;

  /** A new ring of `capacity` bytes (a power of 2), or the reader's view of a writer's `buffer`. */
  constructor(readonly buffer: SharedArrayBuffer) {
    this.capacity = buffer.byteLength - HEADER_BYTES;
    if (this.capacity < 64 || (this.capacity & (this.capacity - 1)) !== 0) throw new Error(`bad ring size: ${buffer.byteLength}`);
    this.words = new Int32Array(buffer);
    this.bytes = new Uint8Array(buffer, HEADER_BYTES);
    this.tail = Atomics.load(this.words, TAIL);
    this.head = Atomics.load(this.words, HEAD);
  }

  static create(capacity: number): Ring {
    const ring = new Ring(new SharedArrayBuffer(HEADER_BYTES + capacity));
    Atomics.store(ring.words, SLEEP, ASLEEP);
    return ring;
  }

  /** Bytes the writer may still use, as far as it knows. */
  private free(): number {
    return this.capacity - ((this.tail - Atomics.load(this.words, HEAD)) >>> 0);
  }

  /**
   * Writes `data` (writer side): false when it does not fit now. Four bytes are always kept free, so that a
   * MARK can be written whenever a message does not fit.
   */
  write(data: Uint8Array): boolean {
    const need = 4 + pad4(data.length);
    const at = this.tail & (this.capacity - 1);
    const skip = at + need > this.capacity ? this.capacity - at : 0;
    if (skip + need + 4 > this.free()) return false;
    if (skip > 0) {
      this.words[(HEADER_BYTES + at) >> 2] = WRAP;
      this.tail = (this.tail + skip) >>> 0;
    }
    const pos = this.tail & (this.capacity - 1);
    this.words[(HEADER_BYTES + pos) >> 2] = data.length;
    this.bytes.set(data, pos + 4);
    this.tail = (this.tail + need) >>> 0;
    Atomics.store(this.words, TAIL, this.tail | 0);
    return true;
  }

  /** Writes a MARK (writer side): false when not even four bytes are free. */
  mark(): boolean {
    if (this.free() < 4) return false;
    this.words[(HEADER_BYTES + (this.tail & (this.capacity - 1))) >> 2] = MARK;
    this.tail = (this.tail + 4) >>> 0;
    Atomics.store(this.words, TAIL, this.tail | 0);
    return true;
  }

  /** Whether a MARK could be written now (writer side). */
  canMark(): boolean {
    return this.free() >= 4;
  }

  /** Whether anything is waiting (reader side). */
  pending(): boolean {
    return Atomics.load(this.words, TAIL) >>> 0 !== this.head;
  }

  /** The next message, copied out (reader side); null when the ring is empty. */
  read(): Uint8Array | typeof PORT_MARK | null {
    for (;;) {
      const tail = Atomics.load(this.words, TAIL) >>> 0;
      if (tail === this.head) return null;
      const at = this.head & (this.capacity - 1);
      const length = this.words[(HEADER_BYTES + at) >> 2];
      if (length === WRAP) {
        this.release(this.capacity - at);
        continue;
      }
      if (length === MARK) {
        this.release(4);
        return PORT_MARK;
      }
      const data = this.bytes.slice(at + 4, at + 4 + length);
      this.release(4 + pad4(length));
      return data;
    }
  }

  private release(n: number): void {
    this.head = (this.head + n) >>> 0;
    Atomics.store(this.words, HEAD, this.head | 0);
  }

  /** The reader's doorbell state (AWAKE, ASLEEP, WOKEN). */
  setSleep(state: number): void {
    Atomics.store(this.words, SLEEP, state);
  }

  /** Writer side: true when the reader sleeps and this writer is the one to wake it. */
  claimWake(): boolean {
    return Atomics.compareExchange(this.words, SLEEP, ASLEEP, WOKEN) === ASLEEP;
  }
}
