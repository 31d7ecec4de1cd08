/**
 * A route table with Go 1.22 ServeMux semantics as Wippy uses them: the most specific matching pattern wins,
 * conflicting patterns are refused when the table is built, a GET pattern serves HEAD, a subtree pattern's
 * root without its slash is redirected (301) to it, a path matched only under other methods is a 405 with
 * `Allow`, and an unclean path (`//`, `.`, `..`) is redirected to its clean form.
 */
import { conflicts, parsePattern, relate, safeDecode, type Pattern } from './pattern';

export interface Route<H> {
  readonly pattern: Pattern;
  readonly handler: H;
}

export type MatchResult<H> =
  | { readonly kind: 'found'; readonly route: Route<H>; readonly params: ReadonlyMap<string, string> }
  | { readonly kind: 'redirect'; readonly location: string }
  | { readonly kind: 'methodNotAllowed'; readonly allow: readonly string[] }
  | { readonly kind: 'notFound' };

export class RouteConflict extends Error {}

export class ServeMux<H> {
  private readonly routes: Route<H>[] = [];
  /** Exact literal paths (no wildcard): path → routes, the fast path for most requests. */
  private readonly exact = new Map<string, Route<H>[]>();
  private readonly wild: Route<H>[] = [];

  /** Adds a pattern; throws a RouteConflict (naming both) or a PatternError. */
  add(text: string, handler: H, owner?: (h: H) => string): void {
    const pattern = parsePattern(text);
    for (const other of this.routes) {
      if (conflicts(pattern, other.pattern)) {
        const who = (h: H): string => (owner === undefined ? '' : ` (${owner(h)})`);
        throw new RouteConflict(`pattern "${text}"${who(handler)} conflicts with pattern "${other.pattern.text}"${who(other.handler)}`);
      }
    }
    const route = { pattern, handler };
    this.routes.push(route);
    const segs = pattern.segments;
    if (segs.every((s) => s.kind === 'literal')) {
      const key = '/' + segs.map((s) => (s.kind === 'literal' ? s.value : '')).join('/');
      const list = this.exact.get(key) ?? [];
      list.push(route);
      this.exact.set(key, list);
    } else {
      this.wild.push(route);
    }
  }

  get size(): number {
    return this.routes.length;
  }

  /** Routes a request: `rawPath` is the URL path as sent (still escaped), `query` the text after `?` or ''. */
  match(method: string, rawPath: string, query = ''): MatchResult<H> {
    const clean = cleanPath(rawPath);
    if (clean !== rawPath && method !== 'CONNECT') return { kind: 'redirect', location: clean + (query === '' ? '' : `?${query}`) };
    const parts = clean.slice(1).split('/').map(safeDecode);
    const candidates = this.candidates(clean, parts);
    let best: { route: Route<H>; params: Map<string, string> } | null = null;
    const allow = new Set<string>();
    for (const c of candidates) {
      const m = c.pattern.method;
      if (m === '' || m === method || (m === 'GET' && method === 'HEAD')) {
        if (best === null || relate(c.pattern, best.route.pattern) === 'moreSpecific') best = { route: c, params: this.params(c.pattern, parts) };
      } else {
        allow.add(m);
      }
    }
    if (best !== null) return { kind: 'found', route: best.route, params: best.params };
    if (allow.size > 0) {
      if (allow.has('GET')) allow.add('HEAD');
      return { kind: 'methodNotAllowed', allow: [...allow].sort() };
    }
    if (!clean.endsWith('/')) {
      const slashed = [...parts, ''];
      if (this.candidates(clean + '/', slashed).some((r) => isSubtreeRoot(r.pattern, slashed.length))) {
        return { kind: 'redirect', location: clean + '/' + (query === '' ? '' : `?${query}`) };
      }
    }
    return { kind: 'notFound' };
  }

  /** Every route whose path matches (any method). */
  private candidates(path: string, parts: readonly string[]): Route<H>[] {
    const out: Route<H>[] = [];
    const exact = this.exact.get(path);
    if (exact !== undefined) out.push(...exact);
    for (const r of this.wild) if (pathMatches(r.pattern, parts)) out.push(r);
    return out;
  }

  private params(pattern: Pattern, parts: readonly string[]): Map<string, string> {
    const out = new Map<string, string>();
    pattern.segments.forEach((s, i) => {
      // Wippy keeps `{rest...}` under the literal name "rest...", whose value Go's PathValue never gives.
      if (s.kind === 'wild' && parts[i] !== '') out.set(s.name, parts[i]);
    });
    return out;
  }
}

function pathMatches(pattern: Pattern, parts: readonly string[]): boolean {
  const segs = pattern.segments;
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i];
    if (s.kind === 'multi') return i < parts.length;
    if (i >= parts.length) return false;
    const p = parts[i];
    if (s.kind === 'end') return p === '' && i === parts.length - 1;
    if (s.kind === 'wild') {
      if (p === '') return false;
      continue;
    }
    if (p !== s.value) return false;
  }
  return segs.length === parts.length;
}

/** A pattern ending in an anonymous multi right after the request's segments (`/a/` for `/a`). */
function isSubtreeRoot(pattern: Pattern, length: number): boolean {
  const last = pattern.segments[pattern.segments.length - 1];
  return last !== undefined && last.kind === 'multi' && last.name === '' && pattern.segments.length === length;
}

/** Go's cleanPath: `path.Clean` that keeps a trailing slash. */
export function cleanPath(p: string): string {
  if (p === '') return '/';
  if (!p.startsWith('/')) p = '/' + p;
  if (!p.includes('//') && !p.includes('/.')) return p;
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  let clean = '/' + out.join('/');
  if ((p.endsWith('/') || p.endsWith('/.') || p.endsWith('/..')) && clean !== '/') clean += '/';
  return clean;
}
