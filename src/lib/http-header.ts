/** HTTP header names as Go writes them (net/textproto). */

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Go's CanonicalMIMEHeaderKey: the first letter and every letter after a hyphen upper case, the rest lower
 * case (`content-type` → `Content-Type`); a name with a byte that is not a token character stays as it is.
 */
export function canonicalHeaderKey(name: string): string {
  if (!TOKEN.test(name)) return name;
  let out = '';
  let upper = true;
  for (const c of name) {
    out += upper ? c.toUpperCase() : c.toLowerCase();
    upper = c === '-';
  }
  return out;
}
