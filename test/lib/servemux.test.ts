/** Go 1.22 ServeMux rules as Wippy routes by them: precedence, conflicts, subtrees, redirects, 405. */
import { ServeMux, RouteConflict, cleanPath, parsePattern, relate } from '../../src/lib/servemux';

function mux(patterns: string[]): ServeMux<string> {
  const m = new ServeMux<string>();
  for (const p of patterns) m.add(p, p);
  return m;
}

function found(m: ServeMux<string>, method: string, path: string): string | undefined {
  const r = m.match(method, path);
  return r.kind === 'found' ? r.route.handler : undefined;
}

test('the most specific pattern wins', () => {
  const m = mux(['GET /a/{x}', 'GET /a/b', '/a/', 'POST /a/{x}', 'GET /{$}', '/']);
  expect(found(m, 'GET', '/a/b')).toBe('GET /a/b');
  expect(found(m, 'GET', '/a/c')).toBe('GET /a/{x}');
  expect(found(m, 'POST', '/a/c')).toBe('POST /a/{x}');
  expect(found(m, 'DELETE', '/a/c')).toBe('/a/');
  expect(found(m, 'GET', '/a/c/d')).toBe('/a/');
  expect(found(m, 'GET', '/')).toBe('GET /{$}');
  expect(found(m, 'GET', '/zzz')).toBe('/');
  expect(found(m, 'HEAD', '/a/b')).toBe('GET /a/b');
});

test('overlapping patterns with neither more specific conflict; equal ones too', () => {
  expect(() => mux(['GET /a/{x}', 'GET /a/{y}'])).toThrow(RouteConflict);
  expect(() => mux(['GET /{a}/b', 'GET /a/{b}'])).toThrow(/conflicts with pattern "GET \/\{a\}\/b"/);
  expect(() => mux(['GET /x', 'GET /x'])).toThrow(RouteConflict);
  expect(() => mux(['GET /a/{x}', 'POST /a/{y}', 'GET /a/b'])).not.toThrow();
  expect(relate(parsePattern('GET /a'), parsePattern('/a'))).toBe('moreSpecific');
  expect(relate(parsePattern('/a/'), parsePattern('/a/{x...}'))).toBe('equivalent');
});

test(':name is {name}; {rest...} matches the rest but gives no value', () => {
  const m = mux(['GET /u/:id/p', 'GET /files/{rest...}']);
  const r = m.match('GET', '/u/7/p');
  expect(r.kind === 'found' && Object.fromEntries(r.params)).toEqual({ id: '7' });
  const f = m.match('GET', '/files/a/b');
  expect(f.kind === 'found' && f.params.size).toBe(0);
  expect(() => mux(['GET /u/:id', 'GET /u/{id}'])).toThrow(RouteConflict);
});

test('a wildcard does not match an empty segment; exact paths do not match with a slash', () => {
  const m = mux(['GET /a/{x}', 'GET /hello']);
  expect(m.match('GET', '/a/').kind).toBe('notFound');
  expect(m.match('GET', '/hello/').kind).toBe('notFound');
});

test('subtree root redirect, 405 with sorted Allow, unclean path redirect', () => {
  const m = mux(['GET /api/users/', 'POST /x', 'PUT /x']);
  expect(m.match('GET', '/api/users', 'a=1')).toEqual({ kind: 'redirect', location: '/api/users/?a=1' });
  expect(m.match('GET', '/x')).toEqual({ kind: 'methodNotAllowed', allow: ['POST', 'PUT'] });
  expect(m.match('GET', '/api//users/../users/')).toEqual({ kind: 'redirect', location: '/api/users/' });
  expect(cleanPath('/a/./b/../c/')).toBe('/a/c/');
  expect(cleanPath('/..')).toBe('/');
});

test('escaped segments are compared decoded', () => {
  const m = mux(['GET /a b/{x}']);
  const r = m.match('GET', '/a%20b/c%2Fd');
  expect(r.kind === 'found' && r.params.get('x')).toBe('c/d');
});

test('bad patterns are refused with a reason', () => {
  expect(() => parsePattern('GET nopath')).toThrow(/must start with/);
  expect(() => parsePattern('/a/{x}y')).toThrow(/whole segment/);
  expect(() => parsePattern('/a/{x...}/b')).toThrow(/last segment/);
  expect(() => parsePattern('/{x}/{x}')).toThrow(/duplicate/);
});
