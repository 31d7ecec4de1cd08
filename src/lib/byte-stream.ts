/**
 * The byte stream behind every Lua stream object (the `stream` module's contract, src/modules/stream/spec.md):
 * an HTTP body, a request body, a file, a process's pipe. Each operation answers at once when it can, else
 * with a Promise, so a read of buffered data costs no trip through the scheduler.
 *
 * `ReadableByteStream` reads a Node Readable in paused mode: nothing is pulled from the source beyond the
 * Readable's own buffer (its highWaterMark) until the reader asks, so a fast producer (a peer sending 1 GB)
 * is held back by TCP instead of filling the heap.
 */
import type { Readable } from 'stream';

export type Maybe<T> = T | Promise<T>;

export type Whence = 'set' | 'cur' | 'end';

export interface StreamInfo {
  /** Total size in bytes, -1 when unknown. */
  readonly size: number;
  /** Current position in bytes, -1 when the stream cannot seek. */
  readonly position: number;
  readonly readable: boolean;
  readonly writable: boolean;
  readonly seekable: boolean;
}

/** Go's sentinel messages (Wippy's api/stream/errors.go), so Lua sees the same texts. */
export const STREAM_CLOSED = 'stream closed';
export const NOT_READABLE = 'stream is not readable';
export const NOT_WRITABLE = 'stream is not writable';
export const NOT_SEEKABLE = 'stream is not seekable';

/** Reads return at most this much when the caller gives no size (Go's DefaultChunkSize). */
export const DEFAULT_CHUNK = 32 * 1024;

export interface ByteStream {
  /** Up to `max` bytes (at least one), or null at the end. Rejects/throws an Error when reading fails. */
  read(max: number): Maybe<Uint8Array | null>;
  /** Writes all of `data`; the number of bytes written. */
  write(data: Uint8Array): Maybe<number>;
  /** The new position from the start. */
  seek(whence: Whence, offset: number): Maybe<number>;
  flush(): Maybe<void>;
  stat(): StreamInfo;
  /** Releases the source. Idempotent. */
  close(): Maybe<void>;
}

/** What a stream that only does some things answers for the others. */
export abstract class BaseStream implements ByteStream {
  abstract stat(): StreamInfo;
  abstract close(): Maybe<void>;
  read(_max: number): Maybe<Uint8Array | null> {
    throw new Error(NOT_READABLE);
  }
  write(_data: Uint8Array): Maybe<number> {
    throw new Error(NOT_WRITABLE);
  }
  seek(_whence: Whence, _offset: number): Maybe<number> {
    throw new Error(NOT_SEEKABLE);
  }
  flush(): Maybe<void> {}
}

/** A Node Readable (an HTTP body, a pipe) as a ByteStream, pulled on demand. */
export class ReadableByteStream extends BaseStream {
  /** The rest of the last chunk taken from the source, when a read asked for less. */
  private pending: Buffer | null = null;
  private position = 0;
  private closed = false;
  private failure: Error | null = null;
  private ended = false;
  private waiters: (() => void)[] = [];

  constructor(
    private readonly source: Readable,
    /** The size when known (a Content-Length), else -1. */
    private readonly size = -1,
  ) {
    super();
    const notify = (): void => {
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) w();
    };
    // Listening to 'readable' keeps the source in paused mode: it fills its buffer up to highWaterMark and
    // stops; read() below is the only thing that drains it.
    source.on('readable', notify);
    source.on('end', () => {
      this.ended = true;
      notify();
    });
    source.on('error', (e: Error) => {
      this.failure ??= e;
      notify();
    });
    source.on('close', notify);
  }

  override read(max: number): Maybe<Uint8Array | null> {
    if (this.closed) throw new Error(STREAM_CLOSED);
    const now = this.take(max);
    if (now !== undefined) return now;
    return new Promise((resolve, reject) => {
      const retry = (): void => {
        if (this.closed) return reject(new Error(STREAM_CLOSED));
        try {
          const r = this.take(max);
          if (r === undefined) this.waiters.push(retry);
          else resolve(r);
        } catch (e) {
          reject(e);
        }
      };
      this.waiters.push(retry);
    });
  }

  /** Bytes available now, null at the end, undefined when the reader must wait. */
  private take(max: number): Uint8Array | null | undefined {
    if (this.pending === null) {
      const chunk = this.source.read() as Buffer | string | null;
      if (chunk !== null) this.pending = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    }
    const pending = this.pending;
    if (pending !== null) {
      const n = Math.min(max, pending.length);
      // A copy: the Lua string must not pin (or share) the source's buffer.
      const out = new Uint8Array(pending.subarray(0, n));
      this.pending = n === pending.length ? null : pending.subarray(n);
      this.position += n;
      return out;
    }
    const failure = this.failure ?? this.source.errored;
    if (failure !== null) throw failure;
    if (this.ended || this.source.readableEnded) return null;
    // Destroyed without an end and without an error: the producer gave up (an aborted body).
    if (this.source.destroyed) throw new Error('unexpected EOF');
    return undefined;
  }

  stat(): StreamInfo {
    if (this.closed) throw new Error(STREAM_CLOSED);
    return { size: this.size, position: -1, readable: true, writable: false, seekable: false };
  }

  /** Bytes read so far. */
  get consumed(): number {
    return this.position;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pending = null;
    this.source.destroy();
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

/** A fixed string as a readable stream (a body already in memory). */
export class BytesStream extends BaseStream {
  private offset = 0;
  private closed = false;

  constructor(private readonly data: Uint8Array) {
    super();
  }

  override read(max: number): Uint8Array | null {
    if (this.closed) throw new Error(STREAM_CLOSED);
    if (this.offset >= this.data.length) return null;
    const end = Math.min(this.data.length, this.offset + max);
    const out = this.data.slice(this.offset, end);
    this.offset = end;
    return out;
  }

  override seek(whence: Whence, offset: number): number {
    if (this.closed) throw new Error(STREAM_CLOSED);
    const base = whence === 'set' ? 0 : whence === 'cur' ? this.offset : this.data.length;
    const to = base + offset;
    if (to < 0) throw new Error('seek: negative position');
    this.offset = to;
    return to;
  }

  stat(): StreamInfo {
    if (this.closed) throw new Error(STREAM_CLOSED);
    return { size: this.data.length, position: this.offset, readable: true, writable: false, seekable: true };
  }

  close(): void {
    this.closed = true;
  }
}

/** Reads a stream to its end; fails past `max` bytes. */
export async function readAll(stream: ByteStream, max: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const chunk = await stream.read(DEFAULT_CHUNK);
    if (chunk === null) break;
    size += chunk.length;
    if (size > max) throw new Error(`stream too large (max ${max} bytes)`);
    chunks.push(chunk);
  }
  return new Uint8Array(Buffer.concat(chunks, size));
}
