/**
 * Go's bufio.Scanner over a ByteStream: the split functions ScanLines, ScanWords, ScanBytes and ScanRunes
 * with their exact edge cases, and its 64 KiB token limit ("bufio.Scanner: token too long").
 */
import type { ByteStream, Maybe } from './byte-stream';
import { messageOf } from './message';

export type SplitMode = 'lines' | 'words' | 'bytes' | 'runes';

export const SPLIT_MODES: readonly SplitMode[] = ['lines', 'words', 'bytes', 'runes'];

/** bufio.MaxScanTokenSize. */
export const MAX_TOKEN = 64 * 1024;

/** How far to advance and the token found (null: none yet); null when more data is needed. */
type Split = (data: Buffer, atEOF: boolean) => { advance: number; token: Buffer | null } | null;

const REPLACEMENT = Buffer.from([0xef, 0xbf, 0xbd]);

const scanLines: Split = (data, atEOF) => {
  if (atEOF && data.length === 0) return null;
  const nl = data.indexOf(0x0a);
  if (nl >= 0) return { advance: nl + 1, token: dropCR(data.subarray(0, nl)) };
  if (atEOF) return { advance: data.length, token: dropCR(data) };
  return null;
};

function dropCR(b: Buffer): Buffer {
  return b.length > 0 && b[b.length - 1] === 0x0d ? b.subarray(0, b.length - 1) : b;
}

const scanBytes: Split = (data) => (data.length === 0 ? null : { advance: 1, token: data.subarray(0, 1) });

/** One UTF-8 sequence at the start of `data`: its code point and length; -1 when invalid, 0 when cut short. */
function decodeRune(data: Buffer): { rune: number; size: number } {
  const b0 = data[0];
  if (b0 < 0x80) return { rune: b0, size: 1 };
  const need = b0 >= 0xf0 && b0 <= 0xf4 ? 4 : b0 >= 0xe0 ? (b0 <= 0xef ? 3 : 0) : b0 >= 0xc2 ? 2 : 0;
  if (need === 0) return { rune: -1, size: 1 };
  let rune = b0 & (0xff >> (need + 1));
  for (let i = 1; i < need; i++) {
    if (i >= data.length) return { rune: -1, size: 0 };
    const b = data[i];
    // The second byte's range excludes overlongs, surrogates and code points past U+10FFFF, as Go's tables do.
    const lo = i === 1 && b0 === 0xe0 ? 0xa0 : i === 1 && b0 === 0xf0 ? 0x90 : 0x80;
    const hi = i === 1 && b0 === 0xed ? 0x9f : i === 1 && b0 === 0xf4 ? 0x8f : 0xbf;
    if (b < lo || b > hi) return { rune: -1, size: 1 };
    rune = (rune << 6) | (b & 0x3f);
  }
  return { rune, size: need };
}

/** utf8.FullRune: enough bytes to decide. */
function fullRune(data: Buffer): boolean {
  return data.length > 0 && decodeRune(data).size !== 0;
}

const scanRunes: Split = (data, atEOF) => {
  if (atEOF && data.length === 0) return null;
  if (data.length === 0) return null;
  if (data[0] < 0x80) return { advance: 1, token: data.subarray(0, 1) };
  const { rune, size } = decodeRune(data);
  if (size > 1 || (size === 1 && rune >= 0)) return { advance: size, token: data.subarray(0, size) };
  if (!atEOF && !fullRune(data)) return null;
  // An invalid byte (or a sequence cut by the end): one byte, as U+FFFD.
  return { advance: 1, token: REPLACEMENT };
};

/** unicode.IsSpace for the code points Go's ScanWords tests. */
function isSpace(r: number): boolean {
  if (r <= 0xff) return r === 0x20 || (r >= 0x09 && r <= 0x0d) || r === 0x85 || r === 0xa0;
  if (r >= 0x2000 && r <= 0x200a) return true;
  return r === 0x1680 || r === 0x2028 || r === 0x2029 || r === 0x202f || r === 0x205f || r === 0x3000;
}

const scanWords: Split = (data, atEOF) => {
  let start = 0;
  while (start < data.length) {
    const { rune, size } = decodeRune(data.subarray(start));
    if (size === 0) break;
    if (!isSpace(rune)) break;
    start += size;
  }
  for (let i = start; i < data.length; ) {
    const { rune, size } = decodeRune(data.subarray(i));
    if (size === 0) break;
    if (isSpace(rune)) return { advance: i + size, token: data.subarray(start, i) };
    i += size;
  }
  if (atEOF && data.length > start) return { advance: data.length, token: data.subarray(start) };
  return start > 0 ? { advance: start, token: null } : null;
};

const SPLITS: Record<SplitMode, Split> = { lines: scanLines, words: scanWords, bytes: scanBytes, runes: scanRunes };

export class Scanner {
  private buffer: Buffer = Buffer.alloc(0);
  private atEOF = false;
  private done = false;
  /** The error that ended scanning (Go's scanner.Err()), null at a clean end. */
  error: string | null = null;

  constructor(
    private readonly stream: ByteStream,
    mode: SplitMode,
    private readonly maxToken = MAX_TOKEN,
  ) {
    this.split = SPLITS[mode];
  }

  private readonly split: Split;

  /** The next token, or null when scanning has ended (at the end, or on an error kept in `error`). */
  scan(): Maybe<Uint8Array | null> {
    for (;;) {
      if (this.done) return null;
      if (this.buffer.length > 0 || this.atEOF) {
        const r = this.split(this.buffer, this.atEOF);
        if (r !== null) {
          this.buffer = this.buffer.subarray(r.advance);
          if (r.token !== null) return new Uint8Array(r.token);
          if (r.advance > 0) continue;
        }
      }
      if (this.atEOF) {
        this.done = true;
        return null;
      }
      if (this.buffer.length >= this.maxToken) return this.stop('bufio.Scanner: token too long');
      let chunk: ReturnType<ByteStream['read']>;
      try {
        chunk = this.stream.read(this.maxToken - this.buffer.length);
      } catch (e) {
        return this.stop(messageOf(e));
      }
      if (chunk instanceof Promise) {
        return chunk.then(
          (c) => {
            this.accept(c);
            return this.scan();
          },
          (e: unknown) => this.stop(messageOf(e)),
        );
      }
      this.accept(chunk);
    }
  }

  private accept(chunk: Uint8Array | null): void {
    if (chunk === null) this.atEOF = true;
    else this.buffer = this.buffer.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buffer, chunk]);
  }

  private stop(message: string): null {
    this.done = true;
    this.error = message;
    return null;
  }
}
