/** Wippy's policy model: filters, every condition operator, expression policies, scope decisions, the check. */
import { Actor, conditionPolicy, exprPolicy, isAllowed, PolicyError, Scope, type Meta } from '../../src/lib/security';

const admin = new Actor('admin', { role: 'admin', level: 5, tags: ['a', 'b'], org: { id: 'acme' } });
const user = new Actor('u1', { role: 'viewer', level: '2' });

const decide = (definition: Record<string, unknown>, actor: Actor, action = 'read', resource = 'doc:1', meta: Meta = {}): string =>
  conditionPolicy('t:p', definition).evaluate(actor, action, resource, meta);

describe('actions and resources', () => {
  const base = { effect: 'allow' };
  test.each([
    ['*', 'anything', 'allow'],
    ['read', 'read', 'allow'],
    ['read', 'write', 'undefined'],
    ['doc.*', 'doc.read', 'allow'],
    ['doc.*', 'docx', 'allow'], // Wippy's prefix match does not require the dot
    ['doc*', 'document', 'allow'],
    [['list', 'get'], 'get', 'allow'],
    [['list', 'get'], 'put', 'undefined'],
  ])('actions %j against %s: %s', (actions, action, want) => {
    expect(decide({ ...base, actions, resources: '*' }, user, action as string)).toBe(want);
  });

  test('resources filter too, and deny is an effect', () => {
    expect(decide({ effect: 'deny', actions: '*', resources: 'doc:*' }, user)).toBe('deny');
    expect(decide({ effect: 'deny', actions: '*', resources: 'img:*' }, user)).toBe('undefined');
  });

  test('bad definitions are one-line errors', () => {
    expect(() => decide({ effect: 'maybe', actions: '*', resources: '*' }, user)).toThrow(PolicyError);
    expect(() => decide({ effect: 'allow', actions: '', resources: '*' }, user)).toThrow('actions must not be empty');
    expect(() => decide({ effect: 'allow', actions: [], resources: '*' }, user)).toThrow('actions list must not be empty');
    expect(() => decide({ effect: 'allow', actions: '*', resources: 3 }, user)).toThrow('resources must be a string or a list');
    expect(() => decide({ effect: 'allow', actions: '*', resources: '*', conditions: [{ field: 'x', operator: 'like', value: 1 }] }, user)).toThrow('unknown operator "like"');
    expect(() => decide({ effect: 'allow', actions: '*', resources: '*', conditions: [{ field: 'x', operator: 'eq' }] }, user)).toThrow('value or value_from is required');
    expect(() => decide({ effect: 'allow', actions: '*', resources: '*', conditions: [{ field: 'x', operator: 'matches', value: '(' }] }, user)).toThrow('invalid pattern');
  });
});

describe('conditions', () => {
  const when = (field: string, operator: string, value: unknown, actor: Actor = admin, meta: Meta = {}): string =>
    decide({ effect: 'allow', actions: '*', resources: '*', conditions: [{ field, operator, value }] }, actor, 'read', 'doc:1', meta);

  test.each([
    ['actor.id', 'eq', 'admin', 'allow'],
    ['actor.id', 'ne', 'admin', 'undefined'],
    ['actor.meta.role', 'eq', 'admin', 'allow'],
    ['actor.meta.level', 'gt', 4, 'allow'],
    ['actor.meta.level', 'gte', 5, 'allow'],
    ['actor.meta.level', 'lt', 5, 'undefined'],
    ['actor.meta.level', 'lte', '5', 'allow'], // numbers compare across types, as in Go's evaluator
    ['actor.meta.level', 'eq', '5', 'allow'],
    ['actor.meta.role', 'in', ['admin', 'root'], 'allow'],
    ['actor.meta.role', 'nin', ['admin', 'root'], 'undefined'],
    ['actor.meta.tags', 'contains', 'b', 'allow'],
    ['actor.meta.tags', 'ncontains', 'b', 'undefined'],
    ['actor.meta.role', 'contains', 'dmi', 'allow'],
    ['actor.meta.role', 'matches', '^ad', 'allow'],
    ['actor.meta.role', 'nmatches', '^ad', 'undefined'],
    ['actor.meta.org.id', 'eq', 'acme', 'allow'],
    ['actor.meta.missing', 'exists', true, 'undefined'],
    ['actor.meta.missing', 'exists', false, 'allow'],
    ['actor.meta.missing', 'nexists', true, 'allow'],
    ['actor.meta.role', 'exists', true, 'allow'],
    ['actor.meta.role', 'lt', 3, 'undefined'], // not a number: the condition fails, no error
    ['action', 'eq', 'read', 'allow'],
    ['resource', 'matches', '^doc:\\d+$', 'allow'],
  ])('%s %s %j: %s', (field, op, value, want) => {
    expect(when(field, op, value)).toBe(want);
  });

  test('meta fields, bare names and value_from', () => {
    expect(when('meta.owner', 'eq', 'admin', admin, { owner: 'admin' })).toBe('allow');
    expect(when('owner', 'eq', 'admin', admin, { owner: 'admin' })).toBe('allow');
    const owner = { effect: 'allow', actions: '*', resources: '*', conditions: [{ field: 'meta.owner', operator: 'eq', value_from: 'actor.id' }] };
    expect(decide(owner, admin, 'read', 'doc', { owner: 'admin' })).toBe('allow');
    expect(decide(owner, user, 'read', 'doc', { owner: 'admin' })).toBe('undefined');
  });

  test('every condition must hold', () => {
    const both = { effect: 'deny', actions: '*', resources: '*', conditions: [
      { field: 'meta.classification', operator: 'eq', value: 'confidential' },
      { field: 'actor.meta.level', operator: 'lt', value: 3 },
    ] };
    expect(decide(both, user, 'read', 'd', { classification: 'confidential' })).toBe('deny');
    expect(decide(both, admin, 'read', 'd', { classification: 'confidential' })).toBe('undefined');
  });
});

describe('expression policies', () => {
  const p = exprPolicy('t:e', { effect: 'allow', actions: '*', resources: 'doc:*', expression: 'actor.meta.role == "admin" || (action == "read" && meta.public == true)' });

  test('the expression decides within the filters', () => {
    expect(p.evaluate(admin, 'write', 'doc:1', {})).toBe('allow');
    expect(p.evaluate(user, 'read', 'doc:1', { public: true })).toBe('allow');
    expect(p.evaluate(user, 'write', 'doc:1', { public: true })).toBe('undefined');
    expect(p.evaluate(admin, 'write', 'img:1', {})).toBe('undefined');
  });

  test('a run error or a non-boolean result means no say', () => {
    const bad = exprPolicy('t:b', { effect: 'deny', actions: '*', resources: '*', expression: 'actor.meta.level / 0 > 1 ? "x" : 1' });
    expect(bad.evaluate(admin, 'a', 'r', {})).toBe('undefined');
  });

  test('a bad expression is refused when loaded', () => {
    expect(() => exprPolicy('t:x', { effect: 'allow', actions: '*', resources: '*', expression: 'actor.id ==' })).toThrow('expression does not compile');
    expect(() => exprPolicy('t:x', { effect: 'allow', actions: '*', resources: '*', expression: '  ' })).toThrow('expression is required');
  });
});

describe('scopes and the check', () => {
  const allowRead = conditionPolicy('t:read', { effect: 'allow', actions: 'read', resources: '*' });
  const denySecret = conditionPolicy('t:secret', { effect: 'deny', actions: '*', resources: 'secret' });

  test('deny wins, allow next, else undefined; scopes are immutable', () => {
    const s = Scope.of([allowRead]);
    const both = s.with(denySecret);
    expect(s.contains('t:secret')).toBe(false);
    expect(both.evaluate(user, 'read', 'doc', {})).toBe('allow');
    expect(both.evaluate(user, 'read', 'secret', {})).toBe('deny');
    expect(both.evaluate(user, 'write', 'doc', {})).toBe('undefined');
    expect(both.without('t:secret').evaluate(user, 'read', 'secret', {})).toBe('allow');
    expect(Scope.EMPTY.evaluate(user, 'read', 'doc', {})).toBe('undefined');
  });

  test('the check: permissive without an actor or scope unless strict; undefined is a denial', () => {
    const s = Scope.of([allowRead]);
    expect(isAllowed(null, false, 'write', 'x')).toBe(true);
    expect(isAllowed(null, true, 'read', 'x')).toBe(false);
    expect(isAllowed({ actor: user, scope: null }, false, 'write', 'x')).toBe(true);
    expect(isAllowed({ actor: user, scope: null }, true, 'write', 'x')).toBe(false);
    expect(isAllowed({ actor: user, scope: s }, false, 'read', 'x')).toBe(true);
    expect(isAllowed({ actor: user, scope: s }, false, 'write', 'x')).toBe(false);
  });
});
