/**
 * Zstandard dictionaries (RFC 8878 section 5): training one from samples, and reading one's id and content
 * size. A trained dictionary is in the standard format (magic, id, entropy tables, repeat offsets, content),
 * so any zstd implementation takes it.
 *
 * Training picks the content: segments of the samples whose 8-byte substrings recur most across samples,
 * chosen greedily (each choice lowers the worth of what it already covers), the most valuable last, where
 * offsets are shortest. The entropy tables are valid defaults (a flat literal Huffman table, the format's
 * predefined sequence distributions): the content is what makes small frames small, and an encoder builds
 * better tables per frame when the defaults do not fit.
 */

export class DictError extends Error {}

const MAGIC = 0xec30a437;
/** Repeat offsets of a new dictionary: zstd's starting values. */
const REPEAT_OFFSETS = [1, 4, 8];
/** Substring length whose recurrence gives a segment its worth. */
const KMER = 8;
/** Length of one chosen segment. */
const SEGMENT = 64;
/** At most this much sample data is looked at. */
const MAX_SAMPLE_BYTES = 8 * 1024 * 1024;

// The predefined distributions of RFC 8878 section 3.1.1.3.2.2 (accuracy logs 6, 6, 5).
const LITERAL_LENGTHS = [4, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 2, 1, 1, 1, 1, 1, -1, -1, -1, -1];
const MATCH_LENGTHS = [
  1, 4, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1, -1, -1,
];
const OFFSETS = [1, 1, 1, 1, 1, 1, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1];

/** Little-endian bit writer. */
class Bits {
  private readonly bytes: number[] = [];
  private acc = 0;
  private n = 0;

  write(value: number, bits: number): void {
    for (let i = 0; i < bits; i++) {
      this.acc |= ((value >>> i) & 1) << this.n;
      if (++this.n === 8) {
        this.bytes.push(this.acc);
        this.acc = 0;
        this.n = 0;
      }
    }
  }

  done(): number[] {
    return this.n > 0 ? [...this.bytes, this.acc] : this.bytes;
  }
}

/** An FSE table description of normalized counts (section 4.1.1). */
function fseDescription(counts: readonly number[], log: number): number[] {
  const out = new Bits();
  out.write(log - 5, 4);
  let remaining = (1 << log) + 1;
  let threshold = 1 << log;
  let nbBits = log + 1;
  for (const c of counts) {
    if (remaining <= 1) break;
    const max = 2 * threshold - 1 - remaining;
    remaining -= Math.abs(c);
    let value = c + 1;
    if (value < max) out.write(value, nbBits - 1);
    else {
      if (value >= threshold) value += max;
      out.write(value, nbBits);
    }
    while (remaining < threshold) {
      nbBits--;
      threshold >>= 1;
    }
  }
  return out.done();
}

/** Bytes an FSE table description takes at `at` (its counts read as section 4.1.1 decodes them). */
function fseLength(d: Uint8Array, at: number, maxLog: number): number {
  let bitPos = at * 8;
  const read = (bits: number): number => {
    let v = 0;
    for (let i = 0; i < bits; i++, bitPos++) {
      const byte = bitPos >> 3;
      if (byte >= d.length) throw new DictError('truncated');
      v |= ((d[byte] >> (bitPos & 7)) & 1) << i;
    }
    return v;
  };
  const peek = (bits: number): number => {
    const save = bitPos;
    const v = read(bits);
    bitPos = save;
    return v;
  };
  const log = read(4) + 5;
  if (log > maxLog) throw new DictError('accuracy log too large');
  let remaining = (1 << log) + 1;
  let threshold = 1 << log;
  let nbBits = log + 1;
  let symbols = 0;
  while (remaining > 1) {
    if (symbols > 255) throw new DictError('too many symbols');
    const max = 2 * threshold - 1 - remaining;
    let value: number;
    if ((peek(nbBits - 1) & (threshold - 1)) < max) value = read(nbBits - 1);
    else {
      value = read(nbBits);
      if (value >= threshold) value -= max;
    }
    const count = value - 1;
    remaining -= Math.abs(count);
    symbols++;
    if (count === 0) {
      for (;;) {
        const repeat = read(2);
        symbols += repeat;
        if (repeat !== 3) break;
      }
    }
    if (remaining < 1) throw new DictError('bad counts');
    while (remaining < threshold) {
      nbBits--;
      threshold >>= 1;
    }
  }
  return Math.ceil(bitPos / 8) - at;
}

/** A flat Huffman table for literals 0..127, in the direct representation (127 weights of 1, the last implied). */
function huffmanDescription(): number[] {
  const out = [127 + 127];
  for (let i = 0; i < 64; i++) out.push(i < 63 ? 0x11 : 0x10);
  return out;
}

/** The dictionary id and content size of a serialized dictionary; DictError when it is not one. */
export function inspectDictionary(d: Uint8Array): { id: number; contentSize: number } {
  if (d.length < 8) throw new DictError('too short');
  const view = new DataView(d.buffer, d.byteOffset, d.byteLength);
  if (view.getUint32(0, true) !== MAGIC) throw new DictError('bad magic');
  const id = view.getUint32(4, true);
  if (id === 0) throw new DictError('dictionary id 0');
  let at = 8;
  const header = d[at];
  if (header === undefined) throw new DictError('truncated');
  at += 1 + (header < 128 ? header : Math.ceil((header - 127) / 2));
  at += fseLength(d, at, 8); // offsets
  at += fseLength(d, at, 9); // match lengths
  at += fseLength(d, at, 9); // literal lengths
  at += 12;
  if (at > d.length) throw new DictError('truncated');
  for (let i = 0; i < 3; i++) {
    const rep = view.getUint32(at - 12 + 4 * i, true);
    if (rep === 0 || rep > d.length - at) throw new DictError('bad repeat offset');
  }
  return { id, contentSize: d.length - at };
}

/** FNV-1a of the KMER bytes at `at`. */
function kmerHash(s: Uint8Array, at: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < KMER; i++) h = Math.imul(h ^ s[at + i], 0x01000193);
  return h >>> 0;
}

interface Candidate {
  readonly sample: number;
  readonly start: number;
  readonly end: number;
  score: number;
  /** The kmer hashes it covers (each once). */
  readonly kmers: readonly number[];
}

/**
 * Picks dictionary content from `samples`, up to `size` bytes. A generator that yields between steps, so a
 * caller can run it in time slices.
 */
function* chooseContent(samples: readonly Uint8Array[], size: number): Generator<void, Uint8Array, void> {
  // How many samples each kmer occurs in: the worth of covering it.
  const worth = new Map<number, number>();
  let looked = 0;
  const used: Uint8Array[] = [];
  for (const s of samples) {
    if (looked + s.length > MAX_SAMPLE_BYTES) break;
    looked += s.length;
    used.push(s);
    const seen = new Set<number>();
    for (let i = 0; i + KMER <= s.length; i++) seen.add(kmerHash(s, i));
    for (const h of seen) worth.set(h, (worth.get(h) ?? 0) + 1);
    yield;
  }
  // Candidate segments: every SEGMENT-long window at a step of half a segment (whole samples when shorter).
  const candidates: Candidate[] = [];
  used.forEach((s, sample) => {
    const step = SEGMENT >> 1;
    for (let start = 0; start < s.length; start += step) {
      const end = Math.min(s.length, start + SEGMENT);
      const kmers = new Set<number>();
      for (let i = start; i + KMER <= end; i++) kmers.add(kmerHash(s, i));
      const list = [...kmers];
      candidates.push({ sample, start, end, kmers: list, score: list.reduce((t, h) => t + (worth.get(h) ?? 0) - 1, 0) });
      if (end === s.length) break;
    }
  });
  yield;
  // Lazy greedy: the best candidate by its score now; a chosen segment's kmers are worth nothing after.
  candidates.sort((a, b) => b.score - a.score);
  const chosen: Candidate[] = [];
  let total = 0;
  while (candidates.length > 0 && total < size) {
    const top = candidates.shift() as Candidate;
    const now = top.kmers.reduce((t, h) => t + (worth.get(h) ?? 0) - 1, 0);
    if (now <= 0) continue;
    if (candidates.length > 0 && now < candidates[0].score) {
      top.score = now;
      let lo = 0;
      let hi = candidates.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (candidates[mid].score > now) lo = mid + 1;
        else hi = mid;
      }
      candidates.splice(lo, 0, top);
      continue;
    }
    chosen.push(top);
    total += top.end - top.start;
    for (const h of top.kmers) worth.set(h, 0);
    yield;
  }
  // The most valuable segment last: it ends up nearest the data.
  const parts = chosen.reverse().map((c) => used[c.sample].subarray(c.start, c.end));
  let content = Buffer.concat(parts);
  if (content.length > size) content = content.subarray(content.length - size);
  return new Uint8Array(content);
}

/** Trains a dictionary of at most `size` bytes from `samples`, with `id` (a random one when 0). */
export function* trainDictionary(samples: readonly Uint8Array[], size: number, id: number): Generator<void, Uint8Array, void> {
  const entropy = [...huffmanDescription(), ...fseDescription(OFFSETS, 5), ...fseDescription(MATCH_LENGTHS, 6), ...fseDescription(LITERAL_LENGTHS, 6)];
  const room = size - 8 - entropy.length - 12;
  if (room < 8) throw new DictError(`dictionary size ${size} leaves no room for content`);
  let content = yield* chooseContent(samples, room);
  if (content.length < 8) {
    // Too little recurs: the samples themselves are the best content there is.
    content = new Uint8Array(Buffer.concat(samples.map((s) => Buffer.from(s))).subarray(0, room));
  }
  if (content.length < 8) throw new DictError('not enough sample data to build a dictionary');
  const dictId = id !== 0 ? id : 1 + Math.floor(Math.random() * 0xfffffffe);
  const out = Buffer.alloc(8 + entropy.length + 12 + content.length);
  out.writeUInt32LE(MAGIC, 0);
  out.writeUInt32LE(dictId >>> 0, 4);
  Buffer.from(entropy).copy(out, 8);
  let at = 8 + entropy.length;
  for (const rep of REPEAT_OFFSETS) {
    out.writeUInt32LE(rep, at);
    at += 4;
  }
  Buffer.from(content).copy(out, at);
  return new Uint8Array(out);
}
