/**
 * One route pattern as Go 1.22's ServeMux reads it (`[METHOD ]/path`), and how two patterns relate: the
 * relation decides precedence (the more specific pattern wins) and conflicts (two patterns that overlap with
 * neither more specific cannot both be registered). Wippy also accepts `:name` for `{name}`.
 */

/** One path segment: a literal, a one-segment wildcard, or a rest-of-path wildcard (`{x...}` or a trailing `/`). */
export type Segment =
  | { readonly kind: 'literal'; readonly value: string }
  | { readonly kind: 'wild'; readonly name: string }
  | { readonly kind: 'multi'; readonly name: string }
  /** `{$}`: only the path that ends with the slash before it. */
  | { readonly kind: 'end' };

export interface Pattern {
  /** The text it was parsed from, for messages. */
  readonly text: string;
  /** Upper-case method, '' for any. */
  readonly method: string;
  readonly segments: readonly Segment[];
}

export class PatternError extends Error {}

const WILD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Parses `GET /a/{id}` or `/static/` ; throws a PatternError with a one-line reason. */
export function parsePattern(text: string): Pattern {
  const space = text.search(/[ \t]/);
  const method = space < 0 ? '' : text.slice(0, space);
  const path = space < 0 ? text : text.slice(space).trim();
  if (method !== '' && !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(method)) throw new PatternError(`invalid method "${method}" in pattern "${text}"`);
  if (!path.startsWith('/')) throw new PatternError(`pattern "${text}": the path must start with "/"`);
  const segments: Segment[] = [];
  const names = new Set<string>();
  const parts = path.slice(1).split('/');
  for (let i = 0; i < parts.length; i++) {
    const raw = parts[i];
    const last = i === parts.length - 1;
    if (raw === '') {
      if (last) {
        segments.push({ kind: 'multi', name: '' });
        break;
      }
      throw new PatternError(`pattern "${text}": empty path segment`);
    }
    let inner: string | null = null;
    if (raw.startsWith('{') && raw.endsWith('}')) inner = raw.slice(1, -1);
    else if (raw.startsWith(':') && raw.length > 1) inner = raw.slice(1);
    else if (raw.includes('{') || raw.includes('}')) throw new PatternError(`pattern "${text}": a wildcard must be a whole segment`);
    if (inner === null) {
      segments.push({ kind: 'literal', value: safeDecode(raw) });
      continue;
    }
    if (inner === '$') {
      if (!last) throw new PatternError(`pattern "${text}": {$} must be at the end`);
      segments.push({ kind: 'end' });
      continue;
    }
    const multi = inner.endsWith('...');
    const name = multi ? inner.slice(0, -3) : inner;
    if (!WILD_NAME.test(name)) throw new PatternError(`pattern "${text}": bad wildcard name "${name}"`);
    if (names.has(name)) throw new PatternError(`pattern "${text}": duplicate wildcard name "${name}"`);
    names.add(name);
    if (multi && !last) throw new PatternError(`pattern "${text}": {${inner}} must be the last segment`);
    segments.push(multi ? { kind: 'multi', name: inner } : { kind: 'wild', name });
  }
  return { text, method, segments };
}

/** How the requests two patterns match relate. */
export type Relation = 'equivalent' | 'moreSpecific' | 'moreGeneral' | 'overlaps' | 'disjoint';

function inverse(r: Relation): Relation {
  return r === 'moreSpecific' ? 'moreGeneral' : r === 'moreGeneral' ? 'moreSpecific' : r;
}

function combine(r1: Relation, r2: Relation): Relation {
  switch (r1) {
    case 'equivalent':
      return r2;
    case 'disjoint':
      return 'disjoint';
    case 'overlaps':
      return r2 === 'disjoint' ? 'disjoint' : 'overlaps';
    default:
      if (r2 === 'equivalent') return r1;
      if (r2 === inverse(r1)) return 'overlaps';
      return r2;
  }
}

function compareMethods(m1: string, m2: string): Relation {
  if (m1 === m2) return 'equivalent';
  if (m1 === '') return 'moreGeneral';
  if (m2 === '') return 'moreSpecific';
  // A GET pattern also matches HEAD.
  if (m1 === 'GET' && m2 === 'HEAD') return 'moreGeneral';
  if (m2 === 'GET' && m1 === 'HEAD') return 'moreSpecific';
  return 'disjoint';
}

function compareSegments(s1: Segment, s2: Segment): Relation {
  if (s1.kind === 'multi' && s2.kind === 'multi') return 'equivalent';
  if (s1.kind === 'multi') return 'moreGeneral';
  if (s2.kind === 'multi') return 'moreSpecific';
  if (s1.kind === 'wild' && s2.kind === 'wild') return 'equivalent';
  if (s1.kind === 'wild') return s2.kind === 'end' ? 'disjoint' : 'moreGeneral';
  if (s2.kind === 'wild') return s1.kind === 'end' ? 'disjoint' : 'moreSpecific';
  if (s1.kind === 'end' || s2.kind === 'end') return s1.kind === s2.kind ? 'equivalent' : 'disjoint';
  return s1.value === s2.value ? 'equivalent' : 'disjoint';
}

function comparePaths(p1: Pattern, p2: Pattern): Relation {
  const a = p1.segments;
  const b = p2.segments;
  const multi1 = a.length > 0 && a[a.length - 1].kind === 'multi';
  const multi2 = b.length > 0 && b[b.length - 1].kind === 'multi';
  if (a.length !== b.length && !multi1 && !multi2) return 'disjoint';
  let rel: Relation = 'equivalent';
  let i = 0;
  for (; i < a.length && i < b.length; i++) {
    rel = combine(rel, compareSegments(a[i], b[i]));
    if (rel === 'disjoint') return rel;
  }
  if (i === a.length && i === b.length) return rel;
  // One ran out: only a trailing multi of the shorter can absorb the rest of the longer.
  if (a.length < b.length && multi1) return combine(rel, 'moreGeneral');
  if (b.length < a.length && multi2) return combine(rel, 'moreSpecific');
  return 'disjoint';
}

/** How p1's requests relate to p2's. */
export function relate(p1: Pattern, p2: Pattern): Relation {
  const m = compareMethods(p1.method, p2.method);
  if (m === 'disjoint') return 'disjoint';
  return combine(m, comparePaths(p1, p2));
}

export function conflicts(p1: Pattern, p2: Pattern): boolean {
  const r = relate(p1, p2);
  return r === 'equivalent' || r === 'overlaps';
}

/** A path segment as the pattern compares it: percent-decoded when it decodes. */
export function safeDecode(s: string): string {
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
