/**
 * `compress`: gzip when the client sends `Accept-Encoding: gzip` and the body is at least
 * `compress.min.length` bytes (1024) or streamed, at `compress.level` (fastest, default, best). A response
 * that already has a Content-Encoding, and event streams (flushed event by event), pass as they are.
 */
import { constants, createGzip, type Gzip } from 'zlib';
import { option, type Middleware } from './types';
import type { HeaderMap, ResponseSink } from '../exchange';

class GzipSink implements ResponseSink {
  private gzip: Gzip | null = null;

  constructor(
    private readonly inner: ResponseSink,
    private readonly level: number,
    private readonly minLength: number,
  ) {}

  get closed(): boolean {
    return this.inner.closed;
  }

  writeHead(status: number, headers: HeaderMap): void {
    const length = headers.get('Content-Length')?.[0];
    const type = headers.get('Content-Type')?.[0] ?? '';
    const worth = length === undefined ? true : Number(length) >= this.minLength;
    if (worth && !headers.has('Content-Encoding') && !type.startsWith('text/event-stream') && status !== 204 && status !== 304) {
      headers.delete('Content-Length');
      headers.set('Content-Encoding', ['gzip']);
      const vary = headers.get('Vary') ?? [];
      headers.set('Vary', [...vary, 'Accept-Encoding']);
      const gzip = createGzip({ level: this.level });
      gzip.on('data', (d: Buffer) => this.inner.write(d));
      gzip.on('end', () => this.inner.end());
      gzip.on('error', () => this.inner.end());
      this.gzip = gzip;
    }
    this.inner.writeHead(status, headers);
  }

  write(chunk: Uint8Array): boolean {
    return this.gzip === null ? this.inner.write(chunk) : this.gzip.write(chunk);
  }

  drained(): Promise<void> {
    const gzip = this.gzip;
    if (gzip === null) return this.inner.drained();
    return new Promise((resolve) => gzip.once('drain', resolve));
  }

  end(chunk?: Uint8Array): void {
    if (this.gzip === null) return this.inner.end(chunk);
    if (chunk === undefined) this.gzip.end();
    else this.gzip.end(chunk);
  }
}

export const compress: Middleware = {
  name: 'compress',
  make(o) {
    const levelName = option(o, ['compress.level'], 'default');
    const level = levelName === 'fastest' ? constants.Z_BEST_SPEED : levelName === 'best' ? constants.Z_BEST_COMPRESSION : constants.Z_DEFAULT_COMPRESSION;
    const min = Number(option(o, ['compress.min.length'], '1024'));
    const minLength = Number.isInteger(min) && min > 0 ? min : 1024;
    return (next) => (x) => {
      const accept = x.req.headers['accept-encoding'] ?? '';
      if (/\bgzip\b/.test(accept) && x.upgrade === null) x.response.sink = new GzipSink(x.response.sink, level, minLength);
      else x.response.addHeader('Vary', 'Accept-Encoding');
      return next(x);
    };
  },
};
