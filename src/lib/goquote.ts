/**
 * Go's `time` package quotes values in error messages with its own helper
 * (not strconv.Quote): ASCII is kept, `"` and `\` are backslash-escaped, and
 * every byte of a non-ASCII or control character is written as `\xNN`.
 * Reproducing it byte-for-byte keeps error strings identical to Wippy's.
 */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    if (cp >= 0x80 || cp < 0x20) {
      for (const byte of Buffer.from(ch, 'utf8')) {
        out += '\\x' + byte.toString(16).padStart(2, '0');
      }
    } else {
      if (ch === '"' || ch === '\\') out += '\\';
      out += ch;
    }
  }
  return out + '"';
}
