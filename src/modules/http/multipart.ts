/**
 * `multipart/form-data` as Go's ParseMultipartForm reads it for `req:parse_multipart()`: text fields by
 * name (every value), files by field name with their part headers. The body is already in memory (bounded by
 * the request's body limit); `maxMemory` bounds the text values.
 */
import { canonicalHeaderKey } from '../../lib/http-header';
import { ErrorValue } from '../../kernel/value';

/** One uploaded file of a multipart form, held in memory. */
export class MultipartFileObject {
  constructor(
    readonly filename: string,
    readonly headers: ReadonlyMap<string, string>,
    readonly data: Uint8Array,
  ) {}
}

export interface MultipartForm {
  readonly values: Map<string, string[]>;
  readonly files: Map<string, MultipartFileObject[]>;
}

const invalid = (message: string): ErrorValue => new ErrorValue(message, 'Invalid', false);

function boundaryOf(contentType: string): string {
  const [type, ...params] = contentType.split(';');
  if (type.trim().toLowerCase() !== 'multipart/form-data') throw invalid('request Content-Type isn\'t multipart/form-data');
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    if (p.slice(0, eq).trim().toLowerCase() !== 'boundary') continue;
    let v = p.slice(eq + 1).trim();
    if (v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
    if (v !== '') return v;
  }
  throw invalid('no multipart boundary param in Content-Type');
}

function dispositionParams(value: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /;\s*([^=;\s]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g;
  for (let m = re.exec(value); m !== null; m = re.exec(value)) out.set(m[1].toLowerCase(), (m[2] ?? m[3] ?? '').replace(/\\(.)/g, '$1').trim());
  return out;
}

export function parseMultipart(contentType: string, body: Uint8Array, maxMemory: number): MultipartForm {
  const boundary = boundaryOf(contentType);
  const buf = Buffer.from(body.buffer, body.byteOffset, body.length);
  const delimiter = Buffer.from(`--${boundary}`);
  const values = new Map<string, string[]>();
  const files = new Map<string, MultipartFileObject[]>();
  let pos = buf.indexOf(delimiter);
  if (pos < 0) throw invalid('multipart: NextPart: EOF');
  let textBytes = 0;
  for (;;) {
    pos += delimiter.length;
    if (buf[pos] === 0x2d && buf[pos + 1] === 0x2d) break; // the closing delimiter
    if (buf[pos] === 0x0d && buf[pos + 1] === 0x0a) pos += 2;
    else throw invalid('multipart: malformed delimiter line');
    const headerEnd = buf.indexOf('\r\n\r\n', pos);
    if (headerEnd < 0) throw invalid('multipart: malformed part headers');
    const headers = new Map<string, string>();
    for (const line of buf.subarray(pos, headerEnd).toString('utf8').split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) headers.set(canonicalHeaderKey(line.slice(0, colon).trim()), line.slice(colon + 1).trim());
    }
    const next = buf.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headerEnd + 4);
    if (next < 0) throw invalid('multipart: unexpected EOF');
    const data = new Uint8Array(buf.subarray(headerEnd + 4, next));
    pos = next + 2;
    const disposition = dispositionParams(headers.get('Content-Disposition') ?? '');
    const name = disposition.get('name');
    if (name === undefined) continue;
    const filename = disposition.get('filename');
    if (filename !== undefined) {
      const list = files.get(name) ?? [];
      list.push(new MultipartFileObject(filename, headers, data));
      files.set(name, list);
    } else {
      textBytes += data.length;
      if (textBytes > maxMemory) throw invalid('multipart: message too large');
      const list = values.get(name) ?? [];
      list.push(Buffer.from(data).toString('utf8'));
      values.set(name, list);
    }
  }
  return { values, files };
}
