/**
 * Zstandard through the reference C library compiled to WebAssembly (@bokuweb/zstd-wasm), run in one worker
 * thread so that compressing at level 22 or decoding a large frame never holds the main thread. Jobs queue in
 * the worker in arrival order; the worker is started on first use and does not keep the runtime alive.
 *
 * Decoding is bounded: a frame that declares a content size over the limit is refused before any work, and a
 * frame without a declared size is decoded into a buffer that doubles up to the limit and no further.
 */
import { Worker } from 'worker_threads';

export class ZstdError extends Error {
  constructor(
    message: string,
    /** The output would pass the caller's limit. */
    readonly tooLarge = false,
  ) {
    super(message);
  }
}

interface Job {
  readonly resolve: (data: Uint8Array) => void;
  readonly reject: (e: Error) => void;
}

type Request =
  | { op: 'compress'; data: Uint8Array; level: number; dict: Uint8Array | null }
  | { op: 'decompress'; data: Uint8Array; capacity: number; dict: Uint8Array | null };

// The worker's code: it loads the library once and answers each request with bytes or an error message.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('worker_threads');
const zstd = require(workerData.library);
const ready = zstd.init();
parentPort.on('message', async (m) => {
  await ready;
  try {
    let out;
    if (m.op === 'compress') {
      out = m.dict === null ? zstd.compress(m.data, m.level) : zstd.compressUsingDict(zstd.createCCtx(), m.data, m.dict, m.level);
    } else {
      const opts = { defaultHeapSize: m.capacity };
      out = m.dict === null ? zstd.decompress(m.data, opts) : zstd.decompressUsingDict(zstd.createDCtx(), m.data, m.dict, opts);
    }
    parentPort.postMessage({ id: m.id, data: out }, [out.buffer]);
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: String(e && e.message || e) });
  }
});
`;

let worker: Worker | null = null;
let nextId = 1;
const jobs = new Map<number, Job>();

function failAll(message: string): void {
  for (const job of jobs.values()) job.reject(new ZstdError(message));
  jobs.clear();
  worker = null;
}

function run(request: Request): Promise<Uint8Array> {
  if (worker === null) {
    const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { library: require.resolve('@bokuweb/zstd-wasm') } });
    w.unref();
    w.on('message', (m: { id: number; data?: Uint8Array; error?: string }) => {
      const job = jobs.get(m.id);
      jobs.delete(m.id);
      if (jobs.size === 0) w.unref();
      if (job === undefined) return;
      if (m.error !== undefined) job.reject(new ZstdError(m.error));
      else job.resolve(m.data as Uint8Array);
    });
    w.on('error', (e) => failAll(`zstd worker failed: ${e.message}`));
    w.on('exit', () => failAll('zstd worker exited'));
    worker = w;
  }
  const id = nextId++;
  const w = worker;
  w.ref(); // a job in flight keeps the runtime alive until it answers
  return new Promise((resolve, reject) => {
    jobs.set(id, { resolve, reject });
    w.postMessage({ id, ...request });
  });
}

export function zstdCompress(data: Uint8Array, level: number, dict: Uint8Array | null): Promise<Uint8Array> {
  return run({ op: 'compress', data, level, dict });
}

/** The content size the first frame declares, null when it declares none, or undefined when it is not a frame. */
export function declaredSize(frame: Uint8Array): number | null | undefined {
  if (frame.length < 6 || frame[0] !== 0x28 || frame[1] !== 0xb5 || frame[2] !== 0x2f || frame[3] !== 0xfd) return undefined;
  const descriptor = frame[4];
  const fcsFlag = descriptor >> 6;
  const singleSegment = (descriptor >> 5) & 1;
  const dictIdBytes = [0, 1, 2, 4][descriptor & 3];
  const at = 5 + (singleSegment ? 0 : 1) + dictIdBytes;
  const fcsBytes = fcsFlag === 0 ? singleSegment : [1, 2, 4, 8][fcsFlag];
  if (fcsBytes === 0) return null;
  if (frame.length < at + fcsBytes) return undefined;
  let size = 0;
  for (let i = fcsBytes - 1; i >= 0; i--) size = size * 256 + frame[at + i];
  return fcsBytes === 2 ? size + 256 : size;
}

const DST_TOO_SMALL = 70; // ZSTD_error_dstSize_tooSmall

/** The zstd error code in a failure of the library ("... with code N", N the size_t error value). */
function errorCode(e: unknown): number | null {
  const m = /code (-?\d+)/.exec(e instanceof Error ? e.message : String(e));
  if (m === null) return null;
  const n = Number(m[1]);
  return n < 0 ? -n : 2 ** 32 - n;
}

/** Decodes `data` into at most `max` bytes; ZstdError (tooLarge) past that. */
export async function zstdDecompress(data: Uint8Array, max: number, dict: Uint8Array | null): Promise<Uint8Array> {
  const declared = declaredSize(data);
  if (typeof declared === 'number' && declared > max) throw new ZstdError('decompressed size exceeds limit', true);
  let capacity = typeof declared === 'number' ? Math.max(declared, 1) : Math.min(max + 1, 1024 * 1024);
  for (;;) {
    try {
      const out = await run({ op: 'decompress', data, capacity, dict });
      if (out.length > max) throw new ZstdError('decompressed size exceeds limit', true);
      return out;
    } catch (e) {
      if (e instanceof ZstdError && e.tooLarge) throw e;
      if (errorCode(e) !== DST_TOO_SMALL) throw new ZstdError(describe(e));
      if (capacity > max) throw new ZstdError('decompressed size exceeds limit', true);
      capacity = Math.min(max + 1, capacity * 2);
    }
  }
}

// zstd's error codes (zstd_errors.h) and its messages.
const ZSTD_ERRORS: Record<number, string> = {
  10: 'unknown frame descriptor',
  12: 'version not supported',
  14: 'unsupported frame parameter',
  16: 'frame requires too much memory for decoding',
  20: 'data corruption detected',
  22: 'restored data doesn\'t match checksum',
  30: 'dictionary is corrupted',
  32: 'dictionary mismatch',
  72: 'src size is incorrect',
};

function describe(e: unknown): string {
  const code = errorCode(e);
  if (code === null) return e instanceof Error ? e.message : String(e);
  return ZSTD_ERRORS[code] ?? `zstd error ${code}`;
}
