/**
 * The bus between the threads of one node (spec.md "Threads", transport): a SharedArrayBuffer ring per direction
 * of each pair of threads, and the pair's MessagePort beside it.
 *
 * - A bus message is written into the ring when it is posted (the Bus publishes each frame at once on this
 *   link), so a thread that is polling sees it within a microsecond. What does not fit (a large frame, a full
 *   ring) goes through the port instead: the writer puts a MARK in the ring, and the messages after it go on the
 *   port until the end of the task, the last port message saying whether the ring follows. The reader reads
 *   the ring up to the MARK, then the port's messages in order, then the ring again, so per-sender FIFO holds
 *   across the two. The ring is bounded; the port is what it was before the rings (unbounded, as postMessage).
 * - A reader that sleeps in its event loop is woken through the port, once per sleep, by the writer that sees it
 *   asleep (at its first message of a task, and at the end of the task if it wrote more after that). A thread that has just sent something
 *   and has nothing to run polls its rings for a moment before sleeping (a reply usually comes within tens of
 *   microseconds), and runs its schedulers straight from the poll. The poll is bounded and backs off: after
 *   misses in a row it is tried one time in 2, 4, ... 64 until one pays; a thread that sends nothing never
 *   polls, so an idle node uses no CPU.
 * - Rings are made when a thread first sends to another (64 KiB each, at most 32 per thread); past that budget a
 *   pair uses its port alone.
 * - A port closes when its thread ends: what that thread wrote into the ring before is read first.
 * - `catchUp` reads, at once, what every thread but one has sent (see ClusterRouter "catchUp").
 */
import { receiveMessageOnPort, type MessagePort } from 'worker_threads';
import { Ring, PORT_MARK, AWAKE, ASLEEP } from './ring';
import type { BusLink } from './bus';

const RING_BYTES = 64 * 1024;
/** Rings a thread makes for its sends at most (memory: RING_BYTES each). */
const RINGS_PER_THREAD = 32;
/** A message larger than this goes through the port, so that one large frame does not fill the ring. */
const INLINE_MAX = RING_BYTES / 4;

/**
 * How long a thread polls for a reply at most (µs; a poll that pays ends when the reply comes, so only a miss
 * costs all of it), the misses in a row after which it polls only one time in 2, 4, ... and at most 64.
 */
const POLL_US = 50;
const MISSES_BEFORE_BACKOFF = 2;
const POLL_RETRY_EVERY = 64;
/** Work done straight from one poll before the event loop gets its turn again (ms). */
const POLL_WORK_MS = 2;

/** What the pair's port carries besides the rings. */
type PortMessage =
  /** Wake up and read the rings. */
  | 0
  /** The sender's ring for its messages to this thread. */
  | { readonly ring: SharedArrayBuffer }
  /** Messages after a MARK, packed (pack()); `ring`: the sender's ring follows them. */
  | { readonly frames: Uint8Array; readonly ring: boolean };

/** The local work a poll can run at once: the thread's schedulers with a batch queued. */
export interface LocalWork {
  pending(): boolean;
  run(): void;
}

interface Outgoing {
  readonly port: MessagePort;
  ring: Ring | null;
  /** Messages go on the port (after a MARK) until the end of this task. */
  viaPort: boolean;
  queued: Uint8Array[];
  /** Something was written for this thread in this task. */
  wrote: boolean;
  /**
   * A message went into the ring after the doorbell was last looked at. Looking at it (waking the reader if it
   * sleeps) after a write covers that write: a reader woken, or still to go back to sleep, reads it.
   */
  unseen: boolean;
}

interface Incoming {
  ring: Ring | null;
  /** The ring said MARK: the next messages are the port's. */
  onPort: boolean;
  held: { frames: Uint8Array; ring: boolean }[];
}

/**
 * Messages as one array (each a 4-byte length and its bytes), moved to the other thread whole: a port copies
 * each array it is given, and moving many costs time quadratic in their number.
 */
function pack(frames: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  let length = 0;
  for (const f of frames) length += 4 + f.length;
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const f of frames) {
    view.setUint32(at, f.length);
    out.set(f, at + 4);
    at += 4 + f.length;
  }
  return out;
}

/** The messages of a pack(), each an array of its own (a value decoded from one may keep it). */
function unpack(packed: Uint8Array): Uint8Array[] {
  const view = new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
  const out: Uint8Array[] = [];
  for (let at = 0; at < packed.length; ) {
    const length = view.getUint32(at);
    out.push(packed.slice(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return out;
}

export interface ThreadLink extends BusLink {
  /** The peer's port closed: `fn` after what it wrote has been read. */
  onClosed(fn: (node: string) => void): void;
  close(): void;
}

export function threadLink(ports: ReadonlyMap<string, MessagePort>, maxPayload: number, work: LocalWork): ThreadLink {
  let closed = false;
  let deliver: (data: Uint8Array) => void = () => undefined;
  let closedFn: (node: string) => void = () => undefined;
  let ringsMade = 0;
  const out = new Map<string, Outgoing>();
  const into = new Map<string, Incoming>();
  for (const [node, port] of ports) {
    out.set(node, { port, ring: null, viaPort: false, queued: [], wrote: false, unseen: false });
    into.set(node, { ring: null, onPort: false, held: [] });
  }

  let misses = 0;
  let skipped = 0;
  let polling = false;
  let pollAgain = false;

  /** Reads what `node` sent, in order; true when anything came. */
  function readFrom(state: Incoming): boolean {
    let got = false;
    for (;;) {
      // A sender without a ring (past its budget) sends everything by port.
      if (state.onPort || state.ring === null) {
        const next = state.held.shift();
        if (next === undefined) return got;
        for (const f of unpack(next.frames)) deliver(f);
        got = true;
        state.onPort = !next.ring;
        continue;
      }
      const data = state.ring?.read() ?? null;
      if (data === null) return got;
      if (data === PORT_MARK) state.onPort = true;
      else {
        got = true;
        deliver(data);
      }
    }
  }

  function readAll(): boolean {
    let got = false;
    for (const state of into.values()) if (readFrom(state)) got = true;
    return got;
  }

  function setSleep(state: number): void {
    for (const s of into.values()) s.ring?.setSleep(state);
  }

  /** Looks at the reader's doorbell after a write: wakes it if it sleeps. */
  function ring(o: Outgoing): void {
    o.unseen = false;
    if (o.ring?.claimWake() === true) o.port.postMessage(0 satisfies PortMessage);
  }

  /** The end of a task that wrote: port messages out, sleeping readers woken. */
  function endTask(): boolean {
    let wrote = false;
    for (const o of out.values()) {
      if (!o.wrote) continue;
      wrote = true;
      o.wrote = false;
      if (o.viaPort) {
        const ring = o.ring?.canMark() ?? false;
        const frames = pack(o.queued);
        o.queued = [];
        o.port.postMessage({ frames, ring } satisfies PortMessage, [frames.buffer]);
        o.viaPort = !ring;
      } else if (o.unseen) ring(o);
    }
    return wrote;
  }

  /**
   * Polls the rings for up to POLL_US, running what arrives (and the schedulers it wakes) at once; after misses
   * in a row, only now and then. Never longer than POLL_WORK_MS of work before the event loop's turn.
   */
  function poll(): void {
    if (polling) return;
    if (misses >= MISSES_BEFORE_BACKOFF) {
      if (++skipped < Math.min(POLL_RETRY_EVERY, 2 ** (misses - MISSES_BEFORE_BACKOFF))) return;
      skipped = 0;
    }
    polling = true;
    setSleep(AWAKE);
    const began = performance.now();
    let deadline = began + POLL_US / 1000;
    let paid = false;
    try {
      for (;;) {
        const now = performance.now();
        if (readAll()) {
          paid = true;
          work.run();
          endTask();
          if (now - began > POLL_WORK_MS) {
            pollAgain = true;
            return;
          }
          deadline = performance.now() + POLL_US / 1000;
          continue;
        }
        if (now > deadline || work.pending() || closed) return;
      }
    } finally {
      polling = false;
      misses = paid ? 0 : Math.min(misses + 1, 64);
      setSleep(ASLEEP);
      // A writer that looked before the doorbell went back to ASLEEP did not wake this thread: look once more.
      if (readAll()) {
        work.run();
        endTask();
      }
      if (pollAgain) {
        pollAgain = false;
        setImmediate(poll);
      }
    }
  }

  /** Takes what a port message says into `state`: a ring, or messages that came by port. */
  function takePortMessage(state: Incoming, msg: PortMessage): void {
    if (msg === 0) return;
    if ('frames' in msg) state.held.push({ frames: msg.frames, ring: msg.ring });
    else state.ring = new Ring(msg.ring);
  }

  function onPortMessage(node: string, msg: PortMessage): void {
    const state = into.get(node) as Incoming;
    takePortMessage(state, msg);
    // Asleep again before reading: a writer after this read wakes it anew.
    state.ring?.setSleep(ASLEEP);
    if (readAll() && !polling) {
      work.run();
      if (endTask() && !work.pending()) poll();
    }
  }

  return {
    maxPayload,
    publishAfter: 'post',
    isClosed: () => closed,
    publish(node, data) {
      if (closed) throw new Error('the thread is closing');
      const o = out.get(node);
      if (o === undefined) return;
      const first = !o.wrote;
      o.wrote = true;
      if (o.ring === null && ringsMade < RINGS_PER_THREAD) {
        ringsMade++;
        o.ring = Ring.create(RING_BYTES);
        o.port.postMessage({ ring: o.ring.buffer } satisfies PortMessage);
      }
      if (!o.viaPort && o.ring !== null && data.length <= INLINE_MAX && o.ring.write(data)) {
        // A sleeping reader is woken by the first message of a task at once, and at the end of the task only
        // if more came after that: at most two wake-ups a task, and none for a task's single message twice.
        o.unseen = true;
        if (first) ring(o);
        return;
      }
      if (!o.viaPort && o.ring !== null) {
        o.ring.mark();
        o.viaPort = true;
      }
      if (o.ring === null) o.viaPort = true;
      o.queued.push(data);
    },
    afterFlush() {
      if (endTask() && !work.pending()) poll();
    },
    confirm: () => Promise.resolve(),
    listen(fn) {
      deliver = fn;
      for (const [node, port] of ports) {
        port.on('message', (msg: PortMessage) => onPortMessage(node, msg));
        port.on('close', () => {
          readFrom(into.get(node) as Incoming);
          closedFn(node);
        });
      }
    },
    catchUp(except) {
      // Everything the other threads (but `except`, whose order stands) have sent so far, their ports' waiting
      // messages included (a ring, or frames that came by port), delivered now.
      for (const [node, port] of ports) {
        if (node === except) continue;
        const state = into.get(node) as Incoming;
        readFrom(state);
        for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) {
          takePortMessage(state, m.message as PortMessage);
          readFrom(state);
        }
      }
    },
    mayHaveUnread(node) {
      const state = into.get(node);
      return state !== undefined && (state.ring === null || state.onPort || state.held.length > 0 || state.ring.pending());
    },
    onClosed(fn) {
      closedFn = fn;
    },
    close() {
      closed = true;
    },
  };
}
