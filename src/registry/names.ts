/**
 * What a namespace and an entry name may be. Wippy's loader takes any non-empty string, but its ids are
 * split at the first ":" (api/registry/id.go) and namespaces are dot-separated paths (`app.workers`, matched
 * by patterns such as `app.*`); `wisp run -x host/entry` splits at the first "/". A part that breaks those
 * rules names an entry nothing could ever reach, so it is refused where it is written:
 * - a namespace is non-empty parts separated by single dots, without ":", "/", spaces or control characters;
 * - a name has no ":", "/", spaces or control characters (dots, "-" and "_" are fine: `kv_server.service`).
 *   A name with ":" would be reachable through its full id, yet it is nearly always an id written as a name.
 */

// Spaces and control characters would make ids unreadable in logs and on the command line.
const BLANK = /[\s\p{Cc}]/u;

/** Why `namespace` is not a valid namespace, or null when it is. */
export function namespaceProblem(namespace: string): string | null {
  if (namespace.includes(':')) return 'it must not contain ":", which separates the namespace from the name in an id';
  if (namespace.includes('/')) return 'it must not contain "/", which separates the host from the entry in -x host/entry';
  if (BLANK.test(namespace)) return 'it must not contain spaces or control characters';
  if (namespace.split('.').includes('')) return 'its dot-separated parts must not be empty (no "..", no leading or trailing ".")';
  return null;
}

/** Why `name` is not a valid entry name, or null when it is. */
export function nameProblem(name: string): string | null {
  if (name.includes(':')) return 'it must not contain ":" (write the name alone: the namespace comes from the file)';
  if (name.includes('/')) return 'it must not contain "/", which separates the host from the entry in -x host/entry';
  if (BLANK.test(name)) return 'it must not contain spaces or control characters';
  return null;
}
