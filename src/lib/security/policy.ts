/**
 * Wippy's access-control model (its docs' "security" page, service/security/policy): an actor (who), a policy
 * (what it allows or denies), a decision. A policy names the actions and resources it governs; outside them it
 * has no say ("undefined"). Conditions (this file) or an expression (expr-policy.ts) narrow it further.
 * Values in actor and call metadata are plain JS (records, arrays, strings, numbers, booleans).
 */
import { Regex, RegexError } from '../regex';

export type Decision = 'allow' | 'deny' | 'undefined';
export type Effect = 'allow' | 'deny';
export type Meta = Readonly<Record<string, unknown>>;

export const NO_META: Meta = Object.freeze({});

/** Who acts: an id and what is known about it. Immutable. */
export class Actor {
  constructor(
    readonly id: string,
    readonly meta: Meta = NO_META,
  ) {}
}

export interface Policy {
  /** The entry id (`ns:name`) of a registry policy. */
  readonly id: string;
  evaluate(actor: Actor, action: string, resource: string, meta: Meta): Decision;
}

/** `actions` / `resources`: "*", a name, a prefix ending in `*` or `.*`, or a list of these. */
export type Filter = readonly string[];

/** A policy definition that does not hold together: the message is one line naming the field. */
export class PolicyError extends Error {}

/** Whether `pattern` covers `value` (Wippy's suffix wildcards: `a.*` and `a*` both match any value starting `a`). */
function covers(pattern: string, value: string): boolean {
  if (pattern === '*' || pattern === value) return true;
  if (pattern.length > 2 && pattern.endsWith('.*')) return value.startsWith(pattern.slice(0, -2));
  if (pattern.length > 1 && pattern.endsWith('*')) return value.startsWith(pattern.slice(0, -1));
  return false;
}

export function matchesFilter(filter: Filter, value: string): boolean {
  for (const pattern of filter) if (covers(pattern, value)) return true;
  return false;
}

/** `actions:` or `resources:` as written: a non-empty string or a non-empty list (its strings are kept). */
export function parseFilter(raw: unknown, field: string): Filter {
  if (typeof raw === 'string') {
    if (raw === '') throw new PolicyError(`${field} must not be empty`);
    return [raw];
  }
  if (Array.isArray(raw)) {
    if (raw.length === 0) throw new PolicyError(`${field} list must not be empty`);
    return raw.filter((x): x is string => typeof x === 'string');
  }
  throw new PolicyError(`${field} must be a string or a list of strings`);
}

export function parseEffect(raw: unknown): Effect {
  if (raw === 'allow' || raw === 'deny') return raw;
  throw new PolicyError(`effect must be "allow" or "deny", got ${JSON.stringify(raw) ?? 'nothing'}`);
}

export const OPERATORS = ['eq', 'ne', 'lt', 'gt', 'lte', 'gte', 'in', 'nin', 'exists', 'nexists', 'contains', 'ncontains', 'matches', 'nmatches'] as const;
export type Operator = (typeof OPERATORS)[number];

export interface Condition {
  /** `actor.id`, `actor.meta.<path>`, `meta.<path>`, `action`, `resource`; any other name is a key of meta. */
  readonly field: string;
  readonly operator: Operator;
  readonly value: unknown;
  /** A field whose value is compared instead of `value`. */
  readonly valueFrom: string;
  /** The compiled pattern of `matches`/`nmatches`. */
  readonly pattern: Regex | null;
  /** `field` and `valueFrom` split at dots once, when loaded. */
  readonly fieldPath: readonly string[];
  readonly fromPath: readonly string[] | null;
}

export function parseConditions(raw: unknown): Condition[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new PolicyError('conditions must be a list');
  return raw.map((c, i) => {
    if (typeof c !== 'object' || c === null || Array.isArray(c)) throw new PolicyError(`condition ${i} must be a mapping`);
    const { field, operator, value, value_from: valueFrom } = c as Record<string, unknown>;
    if (typeof field !== 'string' || field === '') throw new PolicyError(`condition ${i}: field is required`);
    if (typeof operator !== 'string' || operator === '') throw new PolicyError(`condition ${i}: operator is required`);
    if (!(OPERATORS as readonly string[]).includes(operator)) throw new PolicyError(`condition ${i}: unknown operator "${operator}"`);
    const from = typeof valueFrom === 'string' ? valueFrom : '';
    if ((value === undefined || value === null) && from === '') throw new PolicyError(`condition ${i}: value or value_from is required`);
    let pattern: Regex | null = null;
    if ((operator === 'matches' || operator === 'nmatches') && typeof value === 'string') {
      try {
        pattern = Regex.compile(value);
      } catch (e) {
        throw new PolicyError(`condition ${i}: invalid pattern: ${e instanceof RegexError ? e.message : String(e)}`);
      }
    }
    return { field, operator: operator as Operator, value, valueFrom: from, pattern, fieldPath: field.split('.'), fromPath: from === '' ? null : from.split('.') };
  });
}

const MISSING = undefined;

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && !(x instanceof Uint8Array);
}

function lookup(root: unknown, path: readonly string[]): unknown {
  let cur = root;
  for (const key of path) {
    if (!isRecord(cur) || !Object.prototype.hasOwnProperty.call(cur, key)) return MISSING;
    cur = cur[key];
  }
  return cur;
}

/** A field's value for one evaluation (`parts`: its path split at dots); undefined when it is absent. */
function fieldValue(parts: readonly string[], actor: Actor, action: string, resource: string, meta: Meta): unknown {
  switch (parts[0]) {
    case 'actor':
      if (parts[1] === 'id' && parts.length === 2) return actor.id;
      if (parts[1] === 'meta') return lookup(actor.meta, parts.slice(2));
      return MISSING;
    case 'meta':
      return parts.length < 2 ? MISSING : lookup(meta, parts.slice(1));
    case 'action':
      return action;
    case 'resource':
      return resource;
    default: {
      const path = parts.join('.');
      return Object.prototype.hasOwnProperty.call(meta, path) ? meta[path] : MISSING;
    }
  }
}

function toNumber(x: unknown): number | null {
  if (typeof x === 'number') return x;
  if (typeof x === 'string' && x.trim() !== '') {
    const n = Number(x);
    return Number.isNaN(n) ? null : n;
  }
  return null;
}

function toText(x: unknown): string | null {
  if (x === undefined || x === null || Array.isArray(x)) return null;
  if (typeof x === 'string') return x;
  if (typeof x === 'number' || typeof x === 'boolean') return String(x);
  return null;
}

/** Whether Go's ParseFloat might read `s` as a number (digits, sign, dot, Inf, NaN, after no other text). */
function mayBeNumber(s: string): boolean {
  const c = s.charCodeAt(0);
  return (c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46 || c === 73 || c === 105 || c === 78 || c === 110 || c === 32 || c === 9;
}

/** Go's loose equality in the condition evaluator: identical, or equal as numbers, or equal as text. */
function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  // Two different strings are equal only as numbers ("5" and "5.0").
  if (typeof a === 'string' && typeof b === 'string' && !(mayBeNumber(a) && mayBeNumber(b))) return false;
  const na = toNumber(a);
  const nb = toNumber(b);
  if (na !== null && nb !== null) return na === nb;
  const ta = toText(a);
  const tb = toText(b);
  return ta !== null && tb !== null && ta === tb;
}

function within(value: unknown, list: unknown): boolean {
  if (Array.isArray(list)) return list.some((item) => equal(value, item));
  if (typeof list === 'string') return equal(value, list);
  return false;
}

function containing(haystack: unknown, needle: unknown): boolean {
  const h = toText(haystack);
  const n = toText(needle);
  if (h !== null && n !== null) return h.includes(n);
  if (Array.isArray(haystack)) return haystack.some((item) => equal(item, needle));
  return false;
}

function compare(value: unknown, other: unknown, c: Condition): boolean {
  if (value === MISSING || value === null) {
    if (c.operator === 'exists') return other === false;
    if (c.operator === 'nexists') return other === true;
    return false;
  }
  switch (c.operator) {
    case 'exists':
      return typeof other === 'boolean' ? other : true;
    case 'nexists':
      return typeof other === 'boolean' ? !other : false;
    case 'eq':
      return equal(value, other);
    case 'ne':
      return !equal(value, other);
    case 'lt':
    case 'gt':
    case 'lte':
    case 'gte': {
      const a = toNumber(value);
      const b = toNumber(other);
      if (a === null || b === null) return false;
      return c.operator === 'lt' ? a < b : c.operator === 'gt' ? a > b : c.operator === 'lte' ? a <= b : a >= b;
    }
    case 'in':
      return within(value, other);
    case 'nin':
      return (Array.isArray(other) || typeof other === 'string') && !within(value, other);
    case 'contains':
      return containing(value, other);
    case 'ncontains':
      return (toText(value) !== null || Array.isArray(value)) && !containing(value, other);
    case 'matches':
    case 'nmatches': {
      const text = toText(value);
      if (text === null || c.pattern === null) return false;
      return c.pattern.test(text) === (c.operator === 'matches');
    }
  }
}

/** Whether every condition holds (none: it holds). An error in Go's evaluator (a non-numeric `lt`) is "no". */
export function conditionsHold(conditions: readonly Condition[], actor: Actor, action: string, resource: string, meta: Meta): boolean {
  for (const c of conditions) {
    const value = fieldValue(c.fieldPath, actor, action, resource, meta);
    const other = c.fromPath !== null ? fieldValue(c.fromPath, actor, action, resource, meta) : c.value;
    if (!compare(value, other, c)) return false;
  }
  return true;
}

/** `security.policy`: actions, resources, conditions, an effect. */
export class ConditionPolicy implements Policy {
  constructor(
    readonly id: string,
    readonly actions: Filter,
    readonly resources: Filter,
    readonly effect: Effect,
    readonly conditions: readonly Condition[],
  ) {}

  evaluate(actor: Actor, action: string, resource: string, meta: Meta): Decision {
    if (!matchesFilter(this.actions, action) || !matchesFilter(this.resources, resource)) return 'undefined';
    return conditionsHold(this.conditions, actor, action, resource, meta) ? this.effect : 'undefined';
  }
}

/** A `security.policy` entry's `policy:` mapping, compiled; a PolicyError says what is wrong. */
export function conditionPolicy(id: string, definition: Record<string, unknown>): ConditionPolicy {
  return new ConditionPolicy(
    id,
    parseFilter(definition.actions, 'actions'),
    parseFilter(definition.resources, 'resources'),
    parseEffect(definition.effect),
    parseConditions(definition.conditions),
  );
}
