/**
 * The transport between threads (src/cluster/ring.ts, thread-link.ts) at its own level, where what fills the
 * ring is under the test's control: two links joined by a real MessageChannel in this thread, so that the
 * reader cannot read while the writer's task runs. What runs through real threads and real Lua is in
 * threads.test.ts.
 */
import { MessageChannel } from 'worker_threads';
import { Ring, PORT_MARK } from '../../src/cluster/ring';
import { threadLink, type ThreadLink } from '../../src/cluster/thread-link';
import { until } from '../helpers/poll';

const idle = { pending: () => false, run: () => undefined };

/** Message `i` of `size` bytes: its number in the first four bytes, then a pattern from it. */
function message(i: number, size: number): Uint8Array {
  const data = new Uint8Array(Math.max(4, size));
  new DataView(data.buffer).setUint32(0, i);
  for (let k = 4; k < data.length; k += 997) data[k] = (i + k) & 0xff;
  if (data.length > 4) data[data.length - 1] = (i + data.length - 1) & 0xff;
  return data;
}

/** Whether `data` is message `i` of `size` bytes, whole (expect() per message would be slow at these counts). */
function intact(data: Uint8Array, i: number, size: number): boolean {
  if (data.length !== Math.max(4, size) || new DataView(data.buffer, data.byteOffset).getUint32(0) !== i) return false;
  for (let k = 4; k < data.length; k += 997) if (data[k] !== ((i + k) & 0xff)) return false;
  return data.length === 4 || data[data.length - 1] === ((i + data.length - 1) & 0xff);
}

/** The first message of `got` that is not the one expected at its place (-1: none). */
const firstWrong = (got: readonly Uint8Array[], size: (i: number) => number): number => got.findIndex((data, i) => !intact(data, i, size(i)));

interface Pair {
  readonly a: ThreadLink;
  readonly got: Uint8Array[];
  readonly closed: string[];
  /** The writer's thread ends: its side of the port closes. */
  endWriter(): void;
  close(): void;
}

function pair(): Pair {
  const { port1, port2 } = new MessageChannel();
  const a = threadLink(new Map([['t2', port1]]), 1024 * 1024, idle);
  const b = threadLink(new Map([['t1', port2]]), 1024 * 1024, idle);
  const got: Uint8Array[] = [];
  const closed: string[] = [];
  a.listen(() => undefined);
  b.listen((data) => got.push(data));
  b.onClosed((node) => closed.push(`${node} after ${got.length}`));
  return {
    a,
    got,
    closed,
    endWriter() {
      a.close();
      port1.close();
    },
    close() {
      a.close();
      b.close();
      port1.close();
      port2.close();
    },
  };
}

describe('the ring', () => {
  test('wraps around its end with messages of every size, whole and in order, and says when it is full', () => {
    const ring = Ring.create(256);
    const reader = new Ring(ring.buffer);
    let written = 0;
    let read = 0;
    let fulls = 0;
    for (let round = 0; round < 2000; round++) {
      const size = (round * 37) % 120;
      while (!ring.write(message(written, size))) {
        fulls++;
        const data = reader.read();
        if (data === null || data === PORT_MARK || !intact(data, read, (read * 37) % 120)) throw new Error(`message ${read} wrong`);
        read++;
      }
      written++;
    }
    for (let data = reader.read(); data !== null; data = reader.read()) {
      if (data === PORT_MARK || !intact(data, read, (read * 37) % 120)) throw new Error(`message ${read} wrong`);
      read++;
    }
    expect(read).toBe(written);
    expect(fulls).toBeGreaterThan(100);
  });

  test('a full ring still takes a mark, and a message larger than the ring never goes in', () => {
    const ring = Ring.create(64);
    const reader = new Ring(ring.buffer);
    expect(ring.write(new Uint8Array(100))).toBe(false);
    while (ring.write(new Uint8Array(4)));
    expect(ring.canMark()).toBe(true);
    expect(ring.mark()).toBe(true);
    let marks = 0;
    let messages = 0;
    for (let data = reader.read(); data !== null; data = reader.read()) {
      if (data === PORT_MARK) marks++;
      else messages++;
    }
    expect([marks, messages]).toEqual([1, 7]); // 8-byte records while 12 bytes are free, then the mark
  });
});

describe('the link between two threads', () => {
  test('a task writing far more than the ring holds: the rest goes by port, and all arrive in order', async () => {
    const p = pair();
    try {
      const n = 20_000; // ~2 MB of 100-byte messages in one task against a 64 KiB ring
      for (let i = 0; i < n; i++) p.a.publish('t2', message(i, 100));
      p.a.afterFlush?.();
      await until(() => p.got.length === n, 10_000);
      expect(firstWrong(p.got, () => 100)).toBe(-1);
      // The next task goes back to the ring (and the port again when it fills).
      for (let i = n; i < n + 100; i++) p.a.publish('t2', message(i, 100));
      p.a.afterFlush?.();
      await until(() => p.got.length === n + 100, 10_000);
      expect(firstWrong(p.got, () => 100)).toBe(-1);
    } finally {
      p.close();
    }
  });

  test('large frames (up to 1 MiB) between small ones, over several tasks, keep their place', async () => {
    const p = pair();
    try {
      const sizes: number[] = [];
      for (let task = 0; task < 20; task++) {
        for (let k = 0; k < 50; k++) {
          const i = sizes.length;
          const size = k % 10 === 3 ? 1024 * 1024 - 64 : k % 10 === 7 ? 20_000 : 30;
          sizes.push(size);
          p.a.publish('t2', message(i, size));
        }
        p.a.afterFlush?.();
        if (task % 3 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      await until(() => p.got.length === sizes.length, 20_000);
      expect(firstWrong(p.got, (i) => sizes[i])).toBe(-1);
    } finally {
      p.close();
    }
  });

  test('a peer whose port closes: what it wrote before is delivered first, then it is down', async () => {
    const p = pair();
    try {
      for (let i = 0; i < 500; i++) p.a.publish('t2', message(i, i % 5 === 0 ? 30_000 : 50));
      p.a.afterFlush?.();
      p.endWriter();
      await until(() => p.closed.length === 1, 10_000);
      expect(p.closed).toEqual(['t1 after 500']);
      expect(firstWrong(p.got, (i) => (i % 5 === 0 ? 30_000 : 50))).toBe(-1);
    } finally {
      p.close();
    }
  });
});
