/**
 * Go's http.DetectContentType for the cases a handler's output meets: what a response gets when the
 * handler wrote a body without a Content-Type (Wippy's `set_status` then `write_json` sends text/plain).
 */
const HTML_TAGS = ['<!DOCTYPE HTML', '<HTML', '<HEAD', '<SCRIPT', '<IFRAME', '<H1', '<DIV', '<FONT', '<TABLE', '<A', '<STYLE', '<TITLE', '<B', '<BODY', '<BR', '<P', '<!--'];

function startsWith(data: Uint8Array, sig: readonly number[]): boolean {
  if (data.length < sig.length) return false;
  for (let i = 0; i < sig.length; i++) if (data[i] !== sig[i]) return false;
  return true;
}

export function detectContentType(input: Uint8Array): string {
  const data = input.subarray(0, 512);
  let i = 0;
  while (i < data.length && (data[i] === 0x20 || data[i] === 0x09 || data[i] === 0x0a || data[i] === 0x0c || data[i] === 0x0d)) i++;
  const head = Buffer.from(data.subarray(i, i + 16)).toString('latin1').toUpperCase();
  for (const tag of HTML_TAGS) {
    if (head.startsWith(tag)) {
      const next = head.charCodeAt(tag.length);
      if (tag === '<!--' || next === 0x20 || next === 0x3e) return 'text/html; charset=utf-8';
    }
  }
  if (head.startsWith('<?XML')) return 'text/xml; charset=utf-8';
  if (startsWith(data, [0x25, 0x50, 0x44, 0x46, 0x2d])) return 'application/pdf';
  if (startsWith(data, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(data, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(data, [0x47, 0x49, 0x46, 0x38])) return 'image/gif';
  if (startsWith(data, [0x1f, 0x8b, 0x08])) return 'application/x-gzip';
  if (startsWith(data, [0x50, 0x4b, 0x03, 0x04])) return 'application/zip';
  if (startsWith(data, [0xef, 0xbb, 0xbf])) return 'text/plain; charset=utf-8';
  for (const b of data) {
    if (b <= 0x08 || b === 0x0b || (b >= 0x0e && b <= 0x1a) || (b >= 0x1c && b <= 0x1f)) return 'application/octet-stream';
  }
  return 'text/plain; charset=utf-8';
}
